// A real mps3d for end-to-end tests: its own socket and state directory, pointed at the test's
// S3 server, started and waited for (the socket answers `status`), stopped with SIGTERM or
// killed with SIGKILL, restarted on the same replica.
#pragma once

#include "child_process.hpp"
#include "test_server.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mps3::test {

/// Built binaries (set by tests/CMakeLists.txt).
std::string mps3d_path();
std::string mps3ctl_path();

struct daemon_options {
    std::string bucket;
    std::string manifest = "manifest.json";
    std::filesystem::path dir;  // socket, replica, log, config live here (created)
    int poll_interval_ms = 100;
    bool offline = false;
    /// Extra lines for the [daemon] section of the config file it is given.
    std::vector<std::string> daemon_config;
    /// Extra lines for its [store "default"] section (`sync = full`...).
    std::vector<std::string> store_config;
    std::vector<std::string> extra_args;
    std::string endpoint;  // empty: the test server's
    /// false: no endpoint or region in mps3d.conf (the AWS config file or the environment
    /// gives them).
    bool endpoint_in_config = true;
    /// false: no AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY for it (the AWS files give them).
    bool credentials_from_env = true;
    /// Set in its environment over the defaults (AWS_CONFIG_FILE, a session token, LD_PRELOAD and
    /// FAKETIME for a skewed clock...).
    std::map<std::string, std::string> env;
    std::optional<std::uint64_t> max_file_bytes;  // RLIMIT_FSIZE for the daemon (disk full)
};

class daemon_process {
  public:
    daemon_process(const test_server& server, daemon_options options);
    ~daemon_process();
    daemon_process(const daemon_process&) = delete;
    daemon_process& operator=(const daemon_process&) = delete;

    /// Starts it and waits until it serves (throws with its log when it does not in time).
    void start(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// Starts it expecting it to exit by itself (a start it refuses): its exit code, or
    /// nullopt when it is still running at the deadline (then it is killed).
    std::optional<int> run_to_exit(std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// SIGTERM, then its exit code (nullopt: still running at the deadline).
    std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds(60));
    void kill9();
    /// Sends it a signal (SIGHUP: re-read the credentials).
    void signal(int signal_number);
    /// For the next start(): with or without --offline.
    void set_offline(bool offline) { options_.offline = offline; }
    void set_max_file_bytes(std::uint64_t bytes) { options_.max_file_bytes = bytes; }
    [[nodiscard]] bool running();
    [[nodiscard]] pid_t pid() const;

    [[nodiscard]] const std::filesystem::path& socket() const { return socket_; }
    [[nodiscard]] std::filesystem::path replica() const {
        return options_.dir / "state" / "default.sqlite";
    }
    [[nodiscard]] std::string log() const;
    /// Everything it wrote to its standard output (every start of it).
    [[nodiscard]] std::string output() const;
    [[nodiscard]] const std::filesystem::path& dir() const { return options_.dir; }

    /// Runs mps3ctl against this daemon: `mps3ctl --socket <socket> args...`.
    command_result ctl(std::vector<std::string> args,
                       std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;
    /// As ctl, with `input` on mps3ctl's standard input (import, put KEY -).
    command_result ctl_with_input(
        std::vector<std::string> args, std::string input,
        std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;
    /// Starts a long-running mps3ctl (watch).
    std::unique_ptr<child_process> ctl_background(std::vector<std::string> args) const;

  private:
    void launch();  // the child, not waited for
    child_options ctl_options(std::vector<std::string> args) const;

    const test_server& server_;
    daemon_options options_;
    std::filesystem::path socket_;
    std::filesystem::path config_;
    std::unique_ptr<child_process> child_;
};

}  // namespace mps3::test
