// What a server's memory does under two clients issue 11 names: one that writes requests
// without ever reading the answers (a flood), and many connections that stay idle. The server
// is any process behind a Unix socket (mps3d, redis-server); the requests are the caller's.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace mps3::test {

struct flood_result {
    std::uint64_t offered = 0;   // bytes the client meant to write
    std::uint64_t accepted = 0;  // bytes the socket took before the end (or the stall)
    bool stalled = false;        // the server stopped taking bytes before all were offered
    double seconds = 0;          // from the first byte to the end or the stall
    std::uint64_t rss_before = 0;
    std::uint64_t rss_peak = 0;   // the most resident memory during the flood
    std::uint64_t rss_after = 0;  // once the client closed and the server answered again
    bool exact_peak = false;      // peak from the kernel's high-water mark (else sampled)
};

/// request(i): the i-th request line ('\n' included). Writes them in a loop, never reading,
/// until `bytes` are written or the server took nothing for `stall` (its backpressure).
/// ping_line/pong: a request on a fresh connection, and text its answer holds, to know the
/// server serves again after the flooding client closed.
flood_result flood(const std::filesystem::path& socket, pid_t server,
                   const std::function<std::string(std::size_t)>& request, std::uint64_t bytes,
                   std::chrono::milliseconds stall, const std::string& ping_line,
                   const std::string& pong);

struct idle_result {
    std::size_t connections = 0;
    std::uint64_t rss_before = 0;
    std::uint64_t rss_open = 0;    // with every connection open and idle
    std::uint64_t rss_closed = 0;  // once they closed and the server answered again
    [[nodiscard]] double bytes_per_connection() const {
        return connections == 0
                   ? 0
                   : (static_cast<double>(rss_open) - static_cast<double>(rss_before)) /
                         static_cast<double>(connections);
    }
};

/// Opens `connections` connections, each answering ping_line once (so the server has set each
/// up), then measures with all of them idle.
idle_result idle_connections(const std::filesystem::path& socket, pid_t server,
                             std::size_t connections, const std::string& ping_line,
                             const std::string& pong);

}  // namespace mps3::test
