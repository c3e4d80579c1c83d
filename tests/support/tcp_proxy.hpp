// A loopback TCP proxy in front of the test S3 server, for faults a real server cannot be asked
// to produce: it counts what reaches the server (to prove a daemon sends nothing while offline)
// and can cut the server off (new connections refused, open ones closed) and restore it.
// For benchmarks it can also delay the client -> server direction (a WAN round trip on
// loopback) and count the HTTP requests that pass, by kind.
// With a fault_plan (fault_plan.hpp) it also injects HTTP faults per request: S3 errors,
// resets, stalls, truncated bodies, silence.
// It runs on its own thread and io_context: test-side only, the daemon stays single-threaded.
#pragma once

#include "fault_plan.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace mps3::test {

/// What passed through the proxy since it started (snapshots subtract to give an interval).
struct proxy_traffic {
    // HTTP requests seen in the client -> server stream, by kind. LIST is a GET whose query
    // holds list-type=2 (ListObjectsV2); it is not counted as a GET too.
    std::uint64_t list = 0;
    std::uint64_t get = 0;
    std::uint64_t head = 0;
    std::uint64_t put = 0;
    std::uint64_t del = 0;
    std::uint64_t other = 0;
    // Connections whose stream stopped parsing as HTTP/1.1 with Content-Length bodies (chunked
    // bodies, a head over 64 KiB, garbage): their later requests are not counted.
    std::uint64_t unparsed = 0;
    std::uint64_t bytes_to_server = 0;
    std::uint64_t bytes_from_server = 0;
    std::uint64_t connections = 0;

    [[nodiscard]] std::uint64_t requests() const { return list + get + head + put + del + other; }
    friend proxy_traffic operator-(const proxy_traffic& a, const proxy_traffic& b);
};

class tcp_proxy {
  public:
    /// target_url: "http://127.0.0.1:PORT" (the test server's endpoint).
    explicit tcp_proxy(const std::string& target_url);
    ~tcp_proxy();
    tcp_proxy(const tcp_proxy&) = delete;
    tcp_proxy& operator=(const tcp_proxy&) = delete;

    /// "http://127.0.0.1:<proxy port>".
    [[nodiscard]] std::string url() const;

    /// Cut: refuse new connections and close the open ones. Restore: pass traffic again.
    void cut();
    void restore();

    /// Connections accepted from now on are served request by request (http_fault_relay.hpp),
    /// each request getting the fault `plan` picks; nullptr: plain byte forwarding again. Open
    /// connections keep their mode. Counting works the same in both modes.
    void set_fault_plan(std::shared_ptr<fault_plan> plan);

    /// One-way delay added to every chunk forwarded client -> server, like netem latency: each
    /// chunk is stamped on arrival and written at arrival + delay, in order, with no bandwidth
    /// cap. A request thus costs about `delay` more. 0 (the default) forwards at once. Applies
    /// to chunks that arrive after the call.
    void set_delay(std::chrono::milliseconds delay);

    [[nodiscard]] std::uint64_t connections() const;      // accepted while passing
    [[nodiscard]] std::uint64_t bytes_to_server() const;  // forwarded client -> server
    /// Counters so far; consistent with each other (taken under one lock).
    [[nodiscard]] proxy_traffic traffic() const;

    struct impl;

  private:
    std::shared_ptr<impl> impl_;
};

}  // namespace mps3::test
