#include "child_process.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

extern char** environ;  // NOLINT: POSIX

namespace mps3::test {
namespace {

std::vector<std::string> child_environment(const child_options& o) {
    std::map<std::string, std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
        std::string entry(*e);
        const auto eq = entry.find('=');
        if (eq != std::string::npos) {
            env[entry.substr(0, eq)] = entry.substr(eq + 1);
        }
    }
    for (const auto& name : o.unset_env) {
        env.erase(name);
    }
    for (const auto& [k, v] : o.env) {
        env[k] = v;
    }
    std::vector<std::string> out;
    for (const auto& [k, v] : env) {
        out.push_back(k + "=" + v);
    }
    return out;
}

// In the child, between fork and exec: only async-signal-safe calls.
[[noreturn]] void exec_child(const child_options& o, char* const* argv, char* const* envp,
                             int stdout_write, int stdin_read, int stderr_fd) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(stdin_read, STDIN_FILENO);
    ::dup2(stdout_write, STDOUT_FILENO);
    ::dup2(stderr_fd, STDERR_FILENO);
    // Nothing else of the test process leaks into the child (sockets, server pipes).
    for (int fd = 3; fd < 1024; ++fd) {
        ::close(fd);
    }
    if (o.max_file_bytes) {
        ::signal(SIGXFSZ, SIG_IGN);  // an ignored disposition survives exec
        const rlimit limit{*o.max_file_bytes, *o.max_file_bytes};
        ::setrlimit(RLIMIT_FSIZE, &limit);
    }
    if (o.run_as_uid) {
        const gid_t gid = *o.run_as_uid;
        if (::setgroups(0, nullptr) != 0 || ::setresgid(gid, gid, gid) != 0 ||
            ::setresuid(*o.run_as_uid, *o.run_as_uid, *o.run_as_uid) != 0) {
            ::_exit(126);
        }
    }
    ::execve(argv[0], argv, envp);
    ::_exit(127);
}

}  // namespace

child_process::child_process(child_options options) : options_(std::move(options)) {
    if (options_.argv.empty()) {
        throw std::runtime_error("child_process: no argv");
    }
    int out_pipe[2];
    int in_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(in_pipe, O_CLOEXEC) != 0) {
        throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    }
    const int err_fd =
        options_.stderr_file.empty()
            ? ::open("/dev/null", O_WRONLY | O_CLOEXEC)
            : ::open(options_.stderr_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const int out_file_fd =
        options_.stdout_file.empty()
            ? -1
            : ::open(options_.stdout_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    // Prepared before fork: the child may not allocate.
    std::vector<std::string> env_strings = child_environment(options_);
    std::vector<char*> argv;
    for (auto& a : options_.argv) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto& e : env_strings) {
        envp.push_back(e.data());
    }
    envp.push_back(nullptr);

    pid_ = ::fork();
    if (pid_ < 0) {
        throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    }
    if (pid_ == 0) {
        exec_child(options_, argv.data(), envp.data(), out_file_fd >= 0 ? out_file_fd : out_pipe[1],
                   in_pipe[0], err_fd);
    }
    if (out_file_fd >= 0) {
        ::close(out_file_fd);
    }
    ::close(out_pipe[1]);
    ::close(in_pipe[0]);
    ::close(err_fd);
    stdout_fd_ = out_pipe[0];
    if (options_.stdin_text) {
        const auto& text = *options_.stdin_text;
        std::size_t done = 0;
        while (done < text.size()) {
            const auto n = ::write(in_pipe[1], text.data() + done, text.size() - done);
            if (n <= 0) {
                break;
            }
            done += static_cast<std::size_t>(n);
        }
    }
    ::close(in_pipe[1]);
}

child_process::~child_process() {
    kill_now();
    if (stdout_fd_ >= 0) {
        ::close(stdout_fd_);
    }
}

bool child_process::running() {
    if (status_) {
        return false;
    }
    int st = 0;
    const pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return false;
    }
    return true;
}

bool child_process::fill(clock::time_point until) {
    if (eof_) {
        return false;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now()).count();
    pollfd p{stdout_fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::max<long>(left, 0)));
    if (ready <= 0) {
        return false;
    }
    char chunk[65536];
    const auto n = ::read(stdout_fd_, chunk, sizeof chunk);
    if (n <= 0) {
        eof_ = n == 0 || errno != EINTR;
        return !eof_;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
}

std::optional<std::string> child_process::read_line(std::chrono::milliseconds timeout) {
    const auto until = clock::now() + timeout;
    for (;;) {
        if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
            auto line = buffer_.substr(0, nl);
            buffer_.erase(0, nl + 1);
            return line;
        }
        if (clock::now() >= until || !fill(until)) {
            if (eof_ || clock::now() >= until) {
                return std::nullopt;
            }
        }
    }
}

std::string child_process::read_all(std::chrono::milliseconds timeout) {
    const auto until = clock::now() + timeout;
    while (!eof_ && clock::now() < until) {
        fill(until);
    }
    return std::exchange(buffer_, std::string());
}

void child_process::signal(int sig) {
    if (running()) {
        ::kill(pid_, sig);
    }
}

std::optional<int> child_process::wait(std::chrono::milliseconds timeout) {
    wait_until([&] { return !running(); }, timeout);
    return status_;
}

void child_process::kill_now() {
    if (pid_ > 0 && running()) {
        ::kill(pid_, SIGKILL);
        int st = 0;
        if (::waitpid(pid_, &st, 0) == pid_) {
            status_ = 128 + SIGKILL;
        }
    }
}

std::string child_process::stderr_text() const {
    if (options_.stderr_file.empty()) {
        return {};
    }
    std::ifstream in(options_.stderr_file);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

command_result run_command(child_options options, std::chrono::milliseconds timeout) {
    static int counter = 0;
    if (options.stderr_file.empty()) {
        options.stderr_file =
            std::filesystem::temp_directory_path() /
            ("mps3-cmd-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".err");
    }
    const auto err_path = options.stderr_file;
    std::filesystem::remove(err_path);
    command_result out;
    {
        child_process child(std::move(options));
        out.out = child.read_all(timeout);
        const auto status = child.wait(std::chrono::milliseconds(5000));
        out.exit_code = status.value_or(-1);
        out.err = child.stderr_text();
    }
    std::filesystem::remove(err_path);
    return out;
}

}  // namespace mps3::test
