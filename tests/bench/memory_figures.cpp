#include "memory_figures.hpp"

#include "process_stats.hpp"
#include "raw_socket.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <stdexcept>
#include <vector>

namespace mps3::test {
namespace {

using steady = std::chrono::steady_clock;

constexpr std::size_t chunk_bytes = std::size_t{1} << 20;

// One round trip on a fresh connection: the server is serving (and done with what came before
// it on the event loop).
void ping(const std::filesystem::path& socket, const std::string& line, const std::string& pong) {
    raw_socket s(socket);
    if (!s.send(line)) {
        throw std::runtime_error("ping: cannot send");
    }
    const auto answer = s.read_line(std::chrono::seconds(120));
    if (!answer || answer->find(pong) == std::string::npos) {
        throw std::runtime_error("ping: unexpected answer " + answer.value_or("(none)"));
    }
}

// Whole request lines, about chunk_bytes of them, starting at request `first`.
std::string next_chunk(const std::function<std::string(std::size_t)>& request, std::size_t& next) {
    std::string chunk;
    while (chunk.size() < chunk_bytes) {
        chunk += request(next++);
    }
    return chunk;
}

}  // namespace

flood_result flood(const std::filesystem::path& socket, pid_t server,
                   const std::function<std::string(std::size_t)>& request, std::uint64_t bytes,
                   std::chrono::milliseconds stall, const std::string& ping_line,
                   const std::string& pong) {
    flood_result r;
    r.offered = bytes;
    ping(socket, ping_line, pong);
    r.rss_before = rss_bytes(server);
    r.exact_peak = reset_peak_rss(server);
    std::uint64_t sampled_peak = r.rss_before;
    {
        raw_socket client(socket);
        std::size_t next = 0;
        std::string chunk;
        std::size_t sent_of_chunk = 0;
        const auto started = steady::now();
        auto last_progress = started;
        while (r.accepted < bytes) {
            if (sent_of_chunk == chunk.size()) {
                chunk = next_chunk(request, next);
                sent_of_chunk = 0;
            }
            const auto want =
                std::min<std::uint64_t>(chunk.size() - sent_of_chunk, bytes - r.accepted);
            const auto n = ::send(client.fd(), chunk.data() + sent_of_chunk, want,
                                  MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n > 0) {
                sent_of_chunk += static_cast<std::size_t>(n);
                r.accepted += static_cast<std::uint64_t>(n);
                last_progress = steady::now();
                continue;
            }
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                throw std::runtime_error("flood: the server closed the connection after " +
                                         std::to_string(r.accepted) + " bytes");
            }
            sampled_peak = std::max(sampled_peak, rss_bytes(server));
            if (steady::now() - last_progress >= stall) {
                r.stalled = true;
                break;
            }
            pollfd p{client.fd(), POLLOUT, 0};
            ::poll(&p, 1, 50);
        }
        r.seconds =
            std::chrono::duration<double>((r.stalled ? last_progress : steady::now()) - started)
                .count();
        sampled_peak = std::max(sampled_peak, rss_bytes(server));
        r.rss_peak = r.exact_peak ? peak_rss_bytes(server) : sampled_peak;
    }  // the client closes without having read a byte
    ping(socket, ping_line, pong);
    r.rss_after = rss_bytes(server);
    return r;
}

idle_result idle_connections(const std::filesystem::path& socket, pid_t server,
                             std::size_t connections, const std::string& ping_line,
                             const std::string& pong) {
    idle_result r;
    r.connections = connections;
    ping(socket, ping_line, pong);
    r.rss_before = rss_bytes(server);
    {
        std::vector<std::unique_ptr<raw_socket>> open;
        open.reserve(connections);
        for (std::size_t i = 0; i < connections; ++i) {
            open.push_back(std::make_unique<raw_socket>(socket));
            if (!open.back()->send(ping_line)) {
                throw std::runtime_error("idle: connection " + std::to_string(i) + " cannot send");
            }
            const auto answer = open.back()->read_line(std::chrono::seconds(30));
            if (!answer || answer->find(pong) == std::string::npos) {
                throw std::runtime_error("idle: connection " + std::to_string(i) + " got " +
                                         answer.value_or("no answer"));
            }
        }
        r.rss_open = rss_bytes(server);
    }
    ping(socket, ping_line, pong);
    r.rss_closed = rss_bytes(server);
    return r;
}

}  // namespace mps3::test
