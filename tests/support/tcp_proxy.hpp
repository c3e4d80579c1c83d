// A loopback TCP proxy in front of the test S3 server, for faults a real server cannot be asked
// to produce: it counts what reaches the server (to prove a daemon sends nothing while offline)
// and can cut the server off (new connections refused, open ones closed) and restore it.
// It runs on its own thread and io_context: test-side only, the daemon stays single-threaded.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace mps3::test {

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

    [[nodiscard]] std::uint64_t connections() const;      // accepted while passing
    [[nodiscard]] std::uint64_t bytes_to_server() const;  // forwarded client -> server

    struct impl;

  private:
    std::shared_ptr<impl> impl_;
};

}  // namespace mps3::test
