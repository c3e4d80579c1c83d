#include "systemd_integration.hpp"

#include <systemd/sd-daemon.h>

#include <cstdint>
#include <cstring>

namespace mps3::daemon {
namespace {

// sd_notify returns an error when the manager cannot be reached; the daemon works on regardless
// (at worst a Type=notify start times out, which systemd reports), so the result is not used.
void send(const std::string& message) {
    static_cast<void>(sd_notify(0, message.c_str()));
}

}  // namespace

std::string sanitize_status(std::string_view status) {
    std::string out(status);
    for (char& c : out) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7F) {
            c = ' ';
        }
    }
    return out;
}

void notify_ready(std::string_view status) {
    send("READY=1\nSTATUS=" + sanitize_status(status));
}

void notify_status(std::string_view status) {
    send("STATUS=" + sanitize_status(status));
}

void notify_stopping(std::string_view status) {
    send("STOPPING=1\nSTATUS=" + sanitize_status(status));
}

void notify_watchdog() {
    send("WATCHDOG=1");
}

std::optional<std::chrono::microseconds> watchdog_interval() {
    std::uint64_t usec = 0;
    // unset_environment 0: a child process started later would inherit the expectation, but
    // mps3d starts none, and the status loop reads it again at each start.
    if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) {
        return std::nullopt;
    }
    return std::chrono::microseconds(static_cast<std::int64_t>(usec / 2));
}

result<std::optional<int>> adopt_activated_socket() {
    const int count = sd_listen_fds(1);
    if (count < 0) {
        return error(errc::invalid_argument,
                     std::string("cannot read the sockets systemd passed (LISTEN_FDS): ") +
                         std::strerror(-count));
    }
    if (count == 0) {
        return std::optional<int>();
    }
    if (count > 1) {
        return error(errc::invalid_argument,
                     "systemd passed " + std::to_string(count) +
                         " sockets; mps3d takes exactly one (one ListenStream= in mps3d.socket)");
    }
    const int fd = SD_LISTEN_FDS_START;
    const int is_unix = sd_is_socket_unix(fd, SOCK_STREAM, 1, nullptr, 0);
    if (is_unix < 0) {
        return error(errc::invalid_argument, "cannot inspect the socket systemd passed (fd " +
                                                 std::to_string(fd) +
                                                 "): " + std::strerror(-is_unix));
    }
    if (is_unix == 0) {
        return error(errc::invalid_argument,
                     "the socket systemd passed (fd " + std::to_string(fd) +
                         ") is not a listening Unix stream socket; mps3d.socket must use "
                         "ListenStream= with a file system path");
    }
    return std::optional<int>(fd);
}

}  // namespace mps3::daemon
