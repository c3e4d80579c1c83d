// A real child process for end-to-end tests (mps3d, mps3ctl): started with fork/exec, its
// standard output read line by line through a pipe with deadlines, its standard error kept in a
// file, killed (SIGKILL) when the object dies or when the test process dies (PR_SET_PDEATHSIG),
// so no test leaves a process behind.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace mps3::test {

struct child_options {
    std::vector<std::string> argv;           // argv[0]: the executable's path
    std::map<std::string, std::string> env;  // set (or replaced) in the inherited environment
    std::vector<std::string> unset_env;      // removed from it
    std::filesystem::path stderr_file;       // appended to; empty: /dev/null
    std::filesystem::path stdout_file;       // appended to; empty: the pipe read_line reads
    std::optional<std::string> stdin_text;   // written to its stdin, then closed; else /dev/null
    std::optional<uid_t> run_as_uid;         // setresgid/setresuid before exec (root only)
    /// RLIMIT_FSIZE: no file of the child may grow past this (a real "disk full" for it: writes
    /// beyond fail with EFBIG; SIGXFSZ is ignored so they fail instead of killing it).
    std::optional<std::uint64_t> max_file_bytes;
};

class child_process {
  public:
    using clock = std::chrono::steady_clock;

    explicit child_process(child_options options);  // throws std::runtime_error if fork fails
    ~child_process();
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    [[nodiscard]] pid_t pid() const { return pid_; }
    [[nodiscard]] bool running();

    /// The next line of its stdout (without '\n'); nullopt at EOF or when the deadline passes.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    /// Everything it writes to stdout until it exits (or the deadline passes).
    std::string read_all(std::chrono::milliseconds timeout);

    void signal(int sig);
    /// Its exit status: the exit code, or 128 + signal number when a signal ended it; nullopt
    /// when it is still running at the deadline.
    std::optional<int> wait(std::chrono::milliseconds timeout);
    /// SIGKILL and reap.
    void kill_now();

    [[nodiscard]] std::string stderr_text() const;

  private:
    bool fill(clock::time_point until);

    child_options options_;
    pid_t pid_ = -1;
    int stdout_fd_ = -1;
    std::string buffer_;
    bool eof_ = false;
    std::optional<int> status_;
};

/// Runs a command to completion (killed at the deadline): its exit code, stdout and stderr.
struct command_result {
    int exit_code = -1;
    std::string out;
    std::string err;
};
command_result run_command(child_options options,
                           std::chrono::milliseconds timeout = std::chrono::seconds(60));

/// Waits for `ready` to be true, checking every few milliseconds, up to the deadline.
template <class Pred>
bool wait_until(Pred ready, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        if (ready()) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= until) {
            return false;
        }
        struct timespec pause {
            0, 5'000'000
        };
        nanosleep(&pause, nullptr);
    }
}

}  // namespace mps3::test
