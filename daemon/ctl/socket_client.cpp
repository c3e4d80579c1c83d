#include "socket_client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

namespace mps3::ctl {
namespace {

std::string errno_text(int e) {
    return std::strerror(e);
}

error connect_error(const std::filesystem::path& path, const std::string& why) {
    return {errc::network, "cannot connect to mps3d at " + path.string() + ": " + why};
}

/// After connect() was interrupted by a signal the connection goes on in the background; wait
/// for it and collect its result.
int finish_interrupted_connect(int fd) {
    pollfd p{fd, POLLOUT, 0};
    while (::poll(&p, 1, -1) < 0) {
        if (errno != EINTR) {
            return errno;
        }
    }
    int so_error = 0;
    socklen_t len = sizeof so_error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0) {
        return errno;
    }
    return so_error;
}

int milliseconds_until(socket_client::clock::time_point until) {
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(until - socket_client::clock::now());
    return static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(left.count(), 0, INT_MAX));
}

}  // namespace

result<socket_client> socket_client::connect(const std::filesystem::path& path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string& text = path.native();
    if (text.empty()) {
        return connect_error(path, "the socket path is empty");
    }
    if (text.size() >= sizeof address.sun_path) {
        return connect_error(path, "the path is longer than " +
                                       std::to_string(sizeof address.sun_path - 1) +
                                       " bytes, the limit for a Unix socket");
    }
    std::memcpy(address.sun_path, text.data(), text.size());

    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return connect_error(path, "socket() failed: " + errno_text(errno));
    }
    socket_client client(fd, path);  // closes fd on every return below
    // NOLINTNEXTLINE(cppcoreguidelines-pro-type-reinterpret-cast): the sockets API
    const auto* generic = reinterpret_cast<const sockaddr*>(&address);
    int failure = 0;
    if (::connect(fd, generic, sizeof address) != 0) {
        failure = errno == EINTR ? finish_interrupted_connect(fd) : errno;
    }
    if (failure != 0) {
        std::string why = errno_text(failure);
        if (failure == ENOENT || failure == ECONNREFUSED) {
            why += " (is mps3d running?)";
        }
        return connect_error(path, why);
    }
    // Non-blocking from here on: every wait is a poll() with a deadline.
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
        return connect_error(path, "fcntl() failed: " + errno_text(errno));
    }
    return client;
}

socket_client::socket_client(int fd, std::filesystem::path path)
    : fd_(fd), path_(std::move(path)) {}

socket_client::socket_client(socket_client&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      interrupt_fd_(other.interrupt_fd_),
      path_(std::move(other.path_)),
      codec_(std::move(other.codec_)),
      splitter_(std::move(other.splitter_)),
      queue_(std::move(other.queue_)),
      last_sent_(std::move(other.last_sent_)),
      closed_(other.closed_) {}

socket_client& socket_client::operator=(socket_client&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) {
            ::close(fd_);
        }
        fd_ = std::exchange(other.fd_, -1);
        interrupt_fd_ = other.interrupt_fd_;
        path_ = std::move(other.path_);
        codec_ = std::move(other.codec_);
        splitter_ = std::move(other.splitter_);
        queue_ = std::move(other.queue_);
        last_sent_ = std::move(other.last_sent_);
        closed_ = other.closed_;
    }
    return *this;
}

socket_client::~socket_client() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

error socket_client::lost(const std::string& what) const {
    return {errc::network, what + " (socket " + path_.string() + ")"};
}

result<socket_client::ready> socket_client::wait_for(short events, deadline until) {
    std::array<pollfd, 2> fds{{{fd_, events, 0}, {interrupt_fd_, POLLIN, 0}}};
    const nfds_t count = interrupt_fd_ >= 0 ? 2 : 1;
    for (;;) {
        const int timeout = until ? milliseconds_until(*until) : -1;
        const int n = ::poll(fds.data(), count, timeout);
        if (n < 0) {
            if (errno == EINTR) {
                continue;  // a signal: its handler writes to the interrupt fd if it matters
            }
            return lost("poll() failed: " + errno_text(errno));
        }
        if (count == 2 && fds[1].revents != 0) {
            return ready::interrupted;
        }
        if (fds[0].revents != 0) {
            return ready::yes;
        }
        if (until && clock::now() >= *until) {
            return ready::timed_out;
        }
    }
}

result<ipc::rpc_id> socket_client::send(std::string_view method, std::string_view params_json,
                                        deadline until) {
    auto out = codec_.request(method, params_json);
    if (!out) {
        return std::move(out).err();
    }
    std::string_view left = out->line;
    while (!left.empty()) {
        const ssize_t n = ::send(fd_, left.data(), left.size(), MSG_NOSIGNAL);
        if (n >= 0) {
            left.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EPIPE || errno == ECONNRESET) {
            // mps3d closed the connection, maybe after saying why (a refused user gets a
            // Forbidden error line): the request stays pending so that receive() reads that
            // line as its answer, or reports the lost connection.
            break;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            codec_.forget(out->id);
            return lost("cannot send to mps3d: " + errno_text(errno));
        }
        auto woke = wait_for(POLLOUT, until);
        if (!woke || *woke != ready::yes) {
            codec_.forget(out->id);
            if (!woke) {
                return std::move(woke).err();
            }
            if (*woke == ready::interrupted) {
                return error(errc::cancelled, "interrupted");
            }
            return error(errc::timeout, "mps3d did not take the request in time");
        }
    }
    last_sent_ = out->id;
    return std::move(out->id);
}

status socket_client::read_some(deadline until) {
    auto woke = wait_for(POLLIN, until);
    if (!woke) {
        return std::move(woke).err();
    }
    if (*woke == ready::interrupted) {
        return error(errc::cancelled, "interrupted");
    }
    if (*woke == ready::timed_out) {
        return error(errc::timeout, "no answer from mps3d in time");
    }
    std::array<char, 65536> buffer{};
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n < 0) {
        if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
            return success{};
        }
        closed_ = true;
        return lost("the connection to mps3d failed: " + errno_text(errno));
    }
    const bool end_of_stream = n == 0;
    // An unterminated line at the end is served if it is a whole message (a peer may omit the
    // last '\n'); if it does not parse, mps3d stopped in the middle of writing it.
    const bool cut_short = end_of_stream && splitter_.buffered() > 0;
    if (!end_of_stream) {
        splitter_.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    }
    for (;;) {
        std::optional<ipc::frame> frame = end_of_stream ? splitter_.finish() : splitter_.next();
        if (!frame) {
            break;
        }
        if (frame->type == ipc::frame::kind::oversized) {
            closed_ = true;  // the rest of the stream cannot be trusted to line up
            return error(errc::bad_response, "mps3d sent a line longer than " +
                                                 std::to_string(max_answer_bytes) + " bytes");
        }
        auto incoming = codec_.receive(frame->text);
        if (!incoming) {
            closed_ = true;
            if (cut_short) {
                return lost("mps3d closed the connection in the middle of a message");
            }
            return error(errc::bad_response,
                         "mps3d sent something mps3ctl cannot read: " + incoming.err().message);
        }
        for (auto& item : *incoming) {
            auto* response = std::get_if<ipc::rpc_response>(&item);
            if (response != nullptr && !response->method) {
                const bool ours = response->error && response->id.is_null() && last_sent_ &&
                                  codec_.pending() == 1 && codec_.is_pending(*last_sent_);
                if (!ours) {
                    continue;  // a late answer to a request given up on
                }
                response->id = *last_sent_;
                codec_.forget(*last_sent_);
            }
            queue_.push_back(std::move(item));
        }
        if (end_of_stream) {
            break;  // finish() yields at most one line
        }
    }
    if (end_of_stream) {
        closed_ = true;
    }
    return success{};
}

result<ipc::incoming> socket_client::receive(deadline until) {
    for (;;) {
        if (!queue_.empty()) {
            ipc::incoming item = std::move(queue_.front());
            queue_.pop_front();
            return item;
        }
        if (closed_) {
            return lost(codec_.pending() > 0 ? "mps3d closed the connection before answering"
                                             : "mps3d closed the connection");
        }
        if (auto read = read_some(until); !read) {
            return std::move(read).err();
        }
    }
}

result<ipc::rpc_response> socket_client::call(std::string_view method, std::string_view params_json,
                                              deadline until) {
    auto id = send(method, params_json, until);
    if (!id) {
        return std::move(id).err();
    }
    for (;;) {
        const auto answer = std::find_if(queue_.begin(), queue_.end(), [&](const auto& item) {
            const auto* response = std::get_if<ipc::rpc_response>(&item);
            return response != nullptr && response->id == *id;
        });
        if (answer != queue_.end()) {
            ipc::rpc_response response = std::get<ipc::rpc_response>(std::move(*answer));
            queue_.erase(answer);
            return response;
        }
        if (closed_) {
            return lost("mps3d closed the connection before answering '" + std::string(method) +
                        "'");
        }
        if (auto read = read_some(until); !read) {
            if (read.err().code == errc::timeout) {
                codec_.forget(*id);
            }
            return std::move(read).err();
        }
    }
}

}  // namespace mps3::ctl
