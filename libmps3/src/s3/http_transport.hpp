// HTTP/1.1 over TCP or TLS with a keep-alive connection pool, built on Boost.Beast.
// One attempt per call: retries are the client's business. Beast headers stay in the .cpp.
#pragma once

#include "s3/http_message.hpp"

#include <mps3/log.hpp>
#include <mps3/result.hpp>
#include <mps3/s3/endpoint.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>

namespace mps3::s3::detail {

struct transport_options {
    endpoint server;
    std::string ca_file;
    bool verify_tls = true;
    std::size_t max_connections = 8;
    std::size_t max_response_body = std::size_t{1} << 30;  // 1 GiB
    std::chrono::seconds max_idle{20};  // pooled connections older than this are not reused
    log_sink log;
};

class http_transport {
  public:
    using deadline = std::chrono::steady_clock::time_point;

    http_transport(boost::asio::any_io_executor executor, transport_options options);
    ~http_transport();
    http_transport(const http_transport&) = delete;
    http_transport& operator=(const http_transport&) = delete;

    /// Sends one request and reads its response. The deadline covers waiting for a pool slot,
    /// DNS, connect, TLS handshake, write and read. A pooled connection the server had closed
    /// is replaced transparently (once) before anything counts as a failure.
    boost::asio::awaitable<result<http_response>> async_exchange(http_request request,
                                                                 deadline until);

    /// Aborts every exchange in flight (errc::cancelled), wakes waiters, drops idle connections.
    void cancel_all();

    [[nodiscard]] std::size_t idle_connections() const noexcept;
    [[nodiscard]] std::size_t connections_opened() const noexcept;

  private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

}  // namespace mps3::s3::detail
