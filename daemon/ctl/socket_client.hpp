// A blocking JSON-RPC client on mps3d's Unix socket, for a command-line tool: no event loop, no
// threads. Plain POSIX sockets and poll() with deadlines; EINTR is retried, and an optional
// "interrupt" file descriptor (the read end of a self-pipe a signal handler writes to) ends any
// wait with errc::cancelled.
//
// Errors are mps3::error values:
//   errc::network       cannot connect, connection lost, I/O error (messages name the socket);
//   errc::timeout       the deadline passed without an answer;
//   errc::cancelled     the interrupt descriptor became readable;
//   errc::bad_response  mps3d sent something that is not JSON-RPC 2.0, or a line over the limit.
#pragma once

#include <mps3/ipc/client.hpp>
#include <mps3/ipc/line_splitter.hpp>
#include <mps3/result.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace mps3::ctl {

/// The longest line mps3ctl accepts from mps3d. Answers can be far longer than the 16 MiB mps3d
/// accepts from clients: a list page of 100 values at mps3d's 8 MiB value limit fits in this.
inline constexpr std::size_t max_answer_bytes = std::size_t{1} << 30;

class socket_client {
  public:
    using clock = std::chrono::steady_clock;
    using deadline = std::optional<clock::time_point>;  // nullopt: wait for ever

    /// Connects to mps3d's socket. Failures name the path and the system's reason, and ask
    /// "is mps3d running?" when there is nothing listening there.
    static result<socket_client> connect(const std::filesystem::path& path);

    socket_client(socket_client&& other) noexcept;
    socket_client& operator=(socket_client&& other) noexcept;
    socket_client(const socket_client&) = delete;
    socket_client& operator=(const socket_client&) = delete;
    ~socket_client();

    /// A readable fd ends every wait with errc::cancelled; -1 for none. Not owned.
    void set_interrupt_fd(int fd) { interrupt_fd_ = fd; }

    /// Sends a request (params_json: a JSON object's text) and returns its id.
    result<ipc::rpc_id> send(std::string_view method, std::string_view params_json, deadline until);

    /// The next response or notification. A response to no pending request (a late answer to
    /// a request given up on) is dropped, except an error with a null id (mps3d could not read
    /// which request it was) while one request is pending: that is taken as its answer.
    result<ipc::incoming> receive(deadline until);

    /// send, then receive until the answer to that request; notifications that arrive meanwhile
    /// are kept, in order, for the next receive(). On a timeout the request is forgotten.
    result<ipc::rpc_response> call(std::string_view method, std::string_view params_json,
                                   deadline until);

    [[nodiscard]] const std::filesystem::path& path() const { return path_; }

  private:
    socket_client(int fd, std::filesystem::path path);

    enum class ready { yes, timed_out, interrupted };
    result<ready> wait_for(short events, deadline until);
    status read_some(deadline until);
    error lost(const std::string& what) const;

    int fd_ = -1;
    int interrupt_fd_ = -1;
    std::filesystem::path path_;
    ipc::client_codec codec_;
    ipc::line_splitter splitter_{max_answer_bytes};
    std::deque<ipc::incoming> queue_;       // parsed, not yet returned
    std::optional<ipc::rpc_id> last_sent_;  // for a null-id error answer
    bool closed_ = false;                   // mps3d closed its side
};

}  // namespace mps3::ctl
