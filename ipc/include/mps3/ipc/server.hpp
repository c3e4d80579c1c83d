// The daemon's Unix-socket server: accepts connections, checks who is connecting (SO_PEERCRED),
// and runs one session per allowed connection. One executor, no threads.
//
// Memory per connection is bounded by session_limits whatever the client does: reading stops
// while too many lines await their answers or too much output waits for the client to read it,
// a line over max_frame is refused unread, and a subscription whose client falls behind ends
// with `lagged` (see ipc/src/server/session.hpp).
#pragma once

#include <mps3/ipc/connection.hpp>
#include <mps3/ipc/dispatcher.hpp>
#include <mps3/ipc/message.hpp>
#include <mps3/ipc/unix_listener.hpp>
#include <mps3/log.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

namespace mps3::ipc {

class session;

struct session_limits {
    std::size_t max_frame = std::size_t{16} << 20;        // bytes per line, terminator excluded
    std::size_t max_lines_in_flight = 64;                 // lines dispatched, not yet answered
    std::size_t max_queued_bytes = std::size_t{8} << 20;  // output waiting for the client
    std::size_t max_queued_notifications = 1024;          // per subscription
    std::size_t max_subscriptions = 1024;                 // open at once on one connection
    /// The largest response line (a batch's included); a larger answer is replaced by -32003.
    std::size_t max_answer_bytes = default_max_answer_bytes;
};

struct server_options {
    session_limits session;
    parse_limits parsing;
    std::uint32_t own_uid = 0;
    std::vector<std::uint32_t> allowed_uids;  // besides own_uid
    std::vector<std::uint32_t> allowed_gids;
    /// Connections served at once; one more is told so and closed (file descriptors are finite).
    std::size_t max_connections = 1024;
    log_sink log;
};

class server {
  public:
    server(unix_acceptor acceptor, server_options options, install_fn install);
    server(const server&) = delete;
    server& operator=(const server&) = delete;
    ~server();

    void start();
    /// Stops accepting (the listening socket is closed; its file stays for systemd to own or
    /// for the daemon to remove).
    void stop_accepting();
    /// Closes every connection now.
    void close_sessions();

    [[nodiscard]] std::size_t connections() const { return sessions_.size(); }
    [[nodiscard]] std::uint64_t refused() const { return refused_; }

  private:
    boost::asio::awaitable<void> accept_loop();
    void refuse(boost::asio::local::stream_protocol::socket& socket, const rpc_error& why);

    unix_acceptor acceptor_;
    server_options options_;
    install_fn install_;
    std::map<std::uint64_t, std::shared_ptr<session>> sessions_;
    std::uint64_t next_id_ = 1;
    std::uint64_t refused_ = 0;
};

}  // namespace mps3::ipc
