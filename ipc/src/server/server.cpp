#include <mps3/ipc/server.hpp>

#include <mps3/ipc/response.hpp>

#include "server/peer_credentials.hpp"
#include "server/session.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/socket.h>

#include <chrono>
#include <string>
#include <utility>

namespace mps3::ipc {
namespace {

namespace asio = boost::asio;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

}  // namespace

server::server(unix_acceptor acceptor, server_options options, install_fn install)
    : acceptor_(std::move(acceptor)), options_(std::move(options)), install_(std::move(install)) {}

// Out of line: destroying the sessions needs session's definition.
server::~server() = default;

void server::start() {
    asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
}

void server::stop_accepting() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
}

void server::close_sessions() {
    // close() posts each session's removal, so the map is not changed while we walk it.
    for (auto& [id, s] : sessions_) {
        s->close();
    }
}

void server::refuse(session::socket_type& socket, const rpc_error& why) {
    ++refused_;
    // One best-effort line so the client learns why, then the connection is closed. Written
    // without waiting: a client that does not read it just sees the connection close.
    const auto line = to_line(error_json(rpc_id(), why));
    const int fd = socket.native_handle();
    ::send(fd, line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    ::shutdown(fd, SHUT_WR);
    // Closing with unread input makes Linux reset the peer (ECONNRESET), which could reach the
    // client before the error line: read what it already sent first (bounded).
    char sink[4096];
    for (int i = 0; i < 16 && ::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
    }
    boost::system::error_code ignored;
    socket.close(ignored);
}

asio::awaitable<void> server::accept_loop() {
    const access_policy policy{options_.own_uid, options_.allowed_uids, options_.allowed_gids};
    while (acceptor_.is_open()) {
        auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
                break;
            }
            // EMFILE and friends: log, breathe, go on (a tight loop would spin on the error).
            if (options_.log) {
                options_.log(log_level::warn, "ipc", "accept failed: " + ec.message());
            }
            asio::steady_timer pause(acceptor_.get_executor(), std::chrono::milliseconds(100));
            auto [wait_ec] = co_await pause.async_wait(use_tuple);
            (void)wait_ec;
            continue;
        }
        auto peer = read_peer_credentials(socket.native_handle());
        if (!peer || !peer_allowed(*peer, policy)) {
            const auto who = peer ? "uid " + std::to_string(peer->uid) + " (pid " +
                                        std::to_string(peer->pid) + ")"
                                  : std::string("an unidentified peer");
            if (options_.log) {
                options_.log(log_level::warn, "ipc", "refused a connection from " + who);
            }
            refuse(socket, rpc_error(rpc_code::forbidden,
                                     "Forbidden: this mps3d serves its own user only; " + who +
                                         " is not in allowed_uids/allowed_gids"));
            continue;
        }
        if (sessions_.size() >= options_.max_connections) {
            if (options_.log) {
                options_.log(log_level::warn, "ipc",
                             "refused a connection: " + std::to_string(sessions_.size()) +
                                 " connections already (max_connections)");
            }
            refuse(
                socket,
                rpc_error(rpc_code::limit_exceeded,
                          "Limit exceeded: mps3d already serves " +
                              std::to_string(sessions_.size()) + " connections (max_connections)",
                          "{\"maxConnections\":" + std::to_string(options_.max_connections) + "}"));
            continue;
        }
        const auto id = next_id_++;
        auto s = std::make_shared<session>(std::move(socket), id, options_.session,
                                           options_.parsing, options_.log);
        sessions_.emplace(id, s);
        if (options_.log) {
            options_.log(log_level::debug, "ipc",
                         "connection " + std::to_string(id) + " from uid " +
                             std::to_string(peer->uid) + " pid " + std::to_string(peer->pid));
        }
        s->start(install_, [this, id] {
            sessions_.erase(id);
            if (options_.log) {
                options_.log(log_level::debug, "ipc",
                             "connection " + std::to_string(id) + " closed");
            }
        });
    }
}

}  // namespace mps3::ipc
