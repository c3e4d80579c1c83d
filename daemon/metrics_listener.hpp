// The Prometheus endpoint: a small HTTP/1.1 server on the daemon's io_context. `GET /metrics`
// answers the exposition (text/plain; version=0.0.4); any other path is 404, any other method
// 405. Requests are bounded (8 KiB of header, no body), idle connections are closed after 30 s,
// and beyond 16 connections a new one is closed at once: the endpoint can never hold up the
// socket clients, whose requests share the io thread.
#pragma once

#include "metrics/listen_address.hpp"
#include "observability_settings.hpp"

#include <mps3/log.hpp>
#include <mps3/result.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace mps3::daemon {

struct metrics_listener_options {
    std::size_t max_connections = 16;
    std::size_t max_header_bytes = 8192;
    std::chrono::seconds idle_timeout{30};
};

class metrics_listener {
  public:
    using render_fn = std::function<std::string()>;

    /// Binds and listens (errc::network when the address cannot be taken); start() accepts.
    static result<std::unique_ptr<metrics_listener>> open(boost::asio::any_io_executor executor,
                                                          const metrics::listen_address& at,
                                                          render_fn render, log_sink log,
                                                          metrics_listener_options options = {});
    ~metrics_listener();
    metrics_listener(const metrics_listener&) = delete;
    metrics_listener& operator=(const metrics_listener&) = delete;

    void start();
    /// Closes the listening socket and every connection.
    void stop();
    /// The port bound (the one the system chose for port 0).
    [[nodiscard]] std::uint16_t port() const;

    struct state;

  private:
    explicit metrics_listener(std::shared_ptr<state> s);
    std::shared_ptr<state> state_;
};

/// The listener `metrics_listen` asks for, started, its address logged; nullptr when the key is
/// unset. errc::network when the address cannot be taken (mps3d then refuses to start).
result<std::unique_ptr<metrics_listener>> serve_metrics(boost::asio::any_io_executor executor,
                                                        const observability_settings& settings,
                                                        metrics_listener::render_fn render,
                                                        const log_sink& log);

}  // namespace mps3::daemon
