// The daemon's Unix-socket server: accepts connections, checks who is connecting (SO_PEERCRED),
// and runs one session per allowed connection. One executor, no threads.
#pragma once

#include "server/peer_credentials.hpp"
#include "server/session.hpp"
#include "server/unix_listener.hpp"

#include <mps3/log.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

namespace mps3::ipc {

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
    server(unix_acceptor acceptor, server_options options, session::install_fn install);
    server(const server&) = delete;
    server& operator=(const server&) = delete;

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
    void refuse(session::socket_type& socket, const rpc_error& why);

    unix_acceptor acceptor_;
    server_options options_;
    session::install_fn install_;
    std::map<std::uint64_t, std::shared_ptr<session>> sessions_;
    std::uint64_t next_id_ = 1;
    std::uint64_t refused_ = 0;
};

}  // namespace mps3::ipc
