// The daemon's listening socket: made by mps3d itself (a private directory, a private socket,
// a stale socket of a dead daemon replaced, a live daemon's socket left alone) or handed over by
// systemd (socket activation).
#pragma once

#include <mps3/result.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <sys/types.h>
#include <filesystem>

namespace mps3::ipc {

using unix_acceptor = boost::asio::local::stream_protocol::acceptor;

struct listen_options {
    /// Mode of the socket file. 0600: only the daemon's user can connect at all; the group bit
    /// (0660) is for allowed_gids/uids setups, where SO_PEERCRED still decides.
    mode_t socket_mode = 0600;
    /// Mode of the directory created for the socket when it is missing.
    mode_t directory_mode = 0700;
};

/// Creates the socket's directory if missing (never loosening an existing one), refuses a path
/// where another daemon is listening, replaces a stale socket file (nobody listening), binds and
/// listens. Never unlinks anything that is not a socket.
result<unix_acceptor> listen_unix(boost::asio::any_io_executor executor,
                                  const std::filesystem::path& path,
                                  const listen_options& options = listen_options());

/// Wraps a listening socket passed by systemd (sd_listen_fds).
result<unix_acceptor> adopt_listener(boost::asio::any_io_executor executor, int fd);

}  // namespace mps3::ipc
