#include "raw_socket.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace mps3::test {
namespace {

using clock = std::chrono::steady_clock;

int millis_left(clock::time_point until) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now()).count();
    return static_cast<int>(std::max<long>(left, 0));
}

}  // namespace

raw_socket::raw_socket(const std::filesystem::path& path) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    if (fd_ < 0 ||
        ::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {  // NOLINT
        const int err = errno;
        if (fd_ >= 0) {
            ::close(fd_);
        }
        throw std::runtime_error("cannot connect to " + path.string() + ": " + std::strerror(err));
    }
}

raw_socket::~raw_socket() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

bool raw_socket::send(std::string_view bytes, std::chrono::milliseconds timeout) {
    const auto until = clock::now() + timeout;
    while (!bytes.empty()) {
        pollfd p{fd_, POLLOUT, 0};
        if (::poll(&p, 1, millis_left(until)) <= 0) {
            return false;
        }
        const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                continue;
            }
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::optional<std::string> raw_socket::read_line(std::chrono::milliseconds timeout) {
    const auto until = clock::now() + timeout;
    for (;;) {
        if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
            auto line = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            return line;
        }
        if (eof_) {
            return std::nullopt;
        }
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, millis_left(until)) <= 0) {
            return std::nullopt;
        }
        char chunk[65536];
        const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
        if (n <= 0) {
            if (n < 0 && errno == EINTR) {
                continue;
            }
            eof_ = true;
            continue;
        }
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }
}

bool raw_socket::closed_by_peer(std::chrono::milliseconds timeout) {
    const auto until = clock::now() + timeout;
    while (!eof_) {
        if (!read_line(std::chrono::milliseconds(millis_left(until)))) {
            return eof_;
        }
    }
    return true;
}

}  // namespace mps3::test
