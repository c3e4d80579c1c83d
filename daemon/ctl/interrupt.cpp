#include "interrupt.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>

namespace mps3::ctl {
namespace {

int interrupt_write_fd = -1;  // NOLINT(cppcoreguidelines-avoid-non-const-global-variables)

extern "C" void on_interrupt_signal(int /*signal*/) {
    const int saved = errno;
    const char byte = 1;
    // Non-blocking: when the pipe is full, a wake-up is already pending.
    [[maybe_unused]] const auto written = ::write(interrupt_write_fd, &byte, 1);
    errno = saved;
}

}  // namespace

result<int> install_interrupt_pipe() {
    int fds[2] = {-1, -1};  // NOLINT(cppcoreguidelines-avoid-c-arrays): pipe2's interface
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        return error(errc::storage, std::string("pipe2() failed: ") + std::strerror(errno));
    }
    interrupt_write_fd = fds[1];
    struct sigaction action {};
    action.sa_handler = on_interrupt_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: poll() returns EINTR and then sees the pipe
    for (const int signal : {SIGINT, SIGTERM}) {
        if (::sigaction(signal, &action, nullptr) != 0) {
            return error(errc::storage, std::string("sigaction() failed: ") + std::strerror(errno));
        }
    }
    return fds[0];
}

}  // namespace mps3::ctl
