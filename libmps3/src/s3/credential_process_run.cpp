// Running a credential_process: posix_spawnp with pipes, read with poll() against a deadline.
// Boost.Process is not among MPS3's dependencies, and this is all it would do here. The caller
// runs it off the io thread (s3::credential_source), so blocking on the child is fine.
#include <mps3/s3/credential_process.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>

extern char** environ;  // NOLINT: POSIX

namespace mps3::s3 {
namespace {

using steady = std::chrono::steady_clock;

// A credentials document is a few hundred bytes; more is not one.
constexpr std::size_t max_output = 64 * 1024;
constexpr std::size_t max_stderr_excerpt = 300;

struct fd_pair {
    int read = -1;
    int write = -1;
    ~fd_pair() {
        for (const int fd : {read, write}) {
            if (fd >= 0) {
                ::close(fd);
            }
        }
    }
};

error failed(const std::string& program, const std::string& why) {
    return {errc::no_credentials, "credential_process '" + program + "' " + why};
}

std::string first_line(std::string_view text) {
    const auto start = text.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos) {
        return {};
    }
    text = text.substr(start);
    text = text.substr(0, std::min(text.find_first_of("\r\n"), max_stderr_excerpt));
    return std::string(text);
}

}  // namespace

result<credentials> run_credential_process(std::string_view command,
                                           std::chrono::milliseconds timeout) {
    auto words = split_command_line(command);
    if (!words) {
        return error(errc::no_credentials, words.err().message);
    }
    // The program name only in messages: arguments may carry a role or an account name.
    const std::string program = words->front();
    std::vector<char*> argv;
    for (auto& w : *words) {
        argv.push_back(w.data());
    }
    argv.push_back(nullptr);

    fd_pair out;
    fd_pair err;
    std::array<int, 2> fds{};
    if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
        return failed(program, "could not start: " + std::generic_category().message(errno));
    }
    out.read = fds[0];
    out.write = fds[1];
    if (::pipe2(fds.data(), O_CLOEXEC) != 0) {
        return failed(program, "could not start: " + std::generic_category().message(errno));
    }
    err.read = fds[0];
    err.write = fds[1];

    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_adddup2(&actions, out.write, 1);
    ::posix_spawn_file_actions_adddup2(&actions, err.write, 2);
    pid_t child = -1;
    const int spawned = ::posix_spawnp(&child, argv[0], &actions, nullptr, argv.data(), environ);
    ::posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
        return failed(program, "could not start: " + std::generic_category().message(spawned));
    }
    ::close(out.write);
    out.write = -1;
    ::close(err.write);
    err.write = -1;

    std::string stdout_text;
    std::string stderr_text;
    const auto deadline = steady::now() + timeout;
    bool timed_out = false;
    bool too_long = false;
    std::array<pollfd, 2> polled{pollfd{out.read, POLLIN, 0}, pollfd{err.read, POLLIN, 0}};
    while (polled[0].fd >= 0 || polled[1].fd >= 0) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady::now());
        if (left.count() <= 0) {
            timed_out = true;
            break;
        }
        const int ready = ::poll(polled.data(), polled.size(), static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) {
            continue;
        }
        if (ready < 0) {
            break;
        }
        for (std::size_t i = 0; i < polled.size(); ++i) {
            if (polled[i].fd < 0 || polled[i].revents == 0) {
                continue;
            }
            char buffer[4096];
            const ssize_t n = ::read(polled[i].fd, buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                polled[i].fd = -1;  // EOF (fd closed by fd_pair)
                continue;
            }
            std::string& into = i == 0 ? stdout_text : stderr_text;
            if (into.size() + static_cast<std::size_t>(n) > max_output) {
                too_long = true;
                polled[0].fd = polled[1].fd = -1;
                break;
            }
            into.append(buffer, static_cast<std::size_t>(n));
        }
    }
    if (timed_out || too_long) {
        ::kill(child, SIGKILL);
    }
    int wait_status = 0;
    while (::waitpid(child, &wait_status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out) {
        return failed(program, "did not finish within " + std::to_string(timeout.count()) +
                                   " ms and was killed");
    }
    if (too_long) {
        return failed(program, "printed more than 64 KiB, not a credentials document");
    }
    if (!WIFEXITED(wait_status) || WEXITSTATUS(wait_status) != 0) {
        const std::string how =
            WIFEXITED(wait_status)
                ? "exited with code " + std::to_string(WEXITSTATUS(wait_status))
                : "was killed by signal " + std::to_string(WTERMSIG(wait_status));
        const std::string said = first_line(stderr_text);
        return failed(program, how + (said.empty() ? "" : ": " + said));
    }
    auto parsed = parse_credential_process_output(stdout_text);
    if (!parsed) {
        parsed.err().message = "credential_process '" + program + "': " + parsed.err().message;
    }
    return parsed;
}

}  // namespace mps3::s3
