#include "daemon_process.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace mps3::test {
namespace {

// True once the socket accepts a connection and answers a status request with a result.
bool answers_status(const std::filesystem::path& socket_path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return false;
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
    bool ok = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;  // NOLINT
    if (ok) {
        const std::string req = R"({"jsonrpc":"2.0","id":1,"method":"status"})"
                                "\n";
        ok = ::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size());
    }
    std::string got;
    timeval tv{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (ok && got.find('\n') == std::string::npos) {
        char buf[4096];
        const auto n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0) {
            ok = false;
            break;
        }
        got.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return ok && got.find("\"result\"") != std::string::npos;
}

}  // namespace

std::string mps3d_path() {
    // Another build's daemon, for A/B benchmarks in one sitting (docs/benchmarks.md).
    if (const char* other = std::getenv("MPS3_TEST_MPS3D"); other != nullptr && *other != '\0') {
        return other;
    }
    return MPS3D_PATH;
}

std::string mps3ctl_path() {
    return MPS3CTL_PATH;
}

daemon_process::daemon_process(const test_server& server, daemon_options options)
    : server_(server), options_(std::move(options)) {
    std::filesystem::create_directories(options_.dir);
    socket_ = options_.dir / "run" / "mps3d.sock";
    config_ = options_.dir / "mps3d.conf";
    std::ofstream conf(config_);
    conf << "[daemon]\n";
    for (const auto& line : options_.daemon_config) {
        conf << line << "\n";
    }
    conf << "\n[store \"default\"]\n";
    if (options_.endpoint_in_config) {
        conf << "endpoint = "
             << (options_.endpoint.empty() ? server_.endpoint_url() : options_.endpoint)
             << "\nregion = " << server_.region() << "\n";
    }
    conf << "bucket = " << options_.bucket << "\nmanifest = " << options_.manifest
         << "\npoll_interval_ms = " << options_.poll_interval_ms << "\n";
    for (const auto& line : options_.store_config) {
        conf << line << "\n";
    }
}

daemon_process::~daemon_process() {
    if (child_) {
        child_->kill_now();
    }
}

void daemon_process::start(std::chrono::milliseconds timeout) {
    launch();
    const bool up =
        wait_until([&] { return !child_->running() || answers_status(socket_); }, timeout);
    if (!up || !child_->running()) {
        const auto text = log();
        child_->kill_now();
        throw std::runtime_error("mps3d did not start (" +
                                 std::string(up ? "it exited" : "timed out") + "); its log:\n" +
                                 text);
    }
}

std::optional<int> daemon_process::run_to_exit(std::chrono::milliseconds timeout) {
    launch();
    auto code = child_->wait(timeout);
    if (!code) {
        child_->kill_now();
    }
    return code;
}

void daemon_process::launch() {
    child_options o;
    o.argv = {mps3d_path(),
              "--config",
              config_.string(),
              "--socket",
              socket_.string(),
              "--state-dir",
              (options_.dir / "state").string(),
              "--log-level",
              "debug"};
    if (options_.offline) {
        o.argv.emplace_back("--offline");
    }
    for (const auto& a : options_.extra_args) {
        o.argv.push_back(a);
    }
    o.unset_env = {"AWS_PROFILE",         "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL",
                   "AWS_ENDPOINT_URL_S3", "AWS_CONFIG_FILE",   "AWS_SHARED_CREDENTIALS_FILE",
                   "AWS_CA_BUNDLE",       "AWS_REGION",        "AWS_DEFAULT_REGION",
                   "NOTIFY_SOCKET",       "LISTEN_FDS",        "LISTEN_PID",
                   "JOURNAL_STREAM"};
    if (options_.credentials_from_env) {
        o.env["AWS_ACCESS_KEY_ID"] = server_.access_key();
        o.env["AWS_SECRET_ACCESS_KEY"] = server_.secret_key();
    } else {
        o.unset_env.emplace_back("AWS_ACCESS_KEY_ID");
        o.unset_env.emplace_back("AWS_SECRET_ACCESS_KEY");
    }
    // The test's own variables win over the defaults above.
    for (const auto& [name, value] : options_.env) {
        o.env[name] = value;
        std::erase(o.unset_env, name);
    }
    o.stderr_file = options_.dir / "mps3d.log";
    o.stdout_file = options_.dir / "mps3d.out";
    o.max_file_bytes = options_.max_file_bytes;
    child_ = std::make_unique<child_process>(std::move(o));
}

std::optional<int> daemon_process::stop(std::chrono::milliseconds timeout) {
    if (!child_) {
        return std::nullopt;
    }
    child_->signal(SIGTERM);
    return child_->wait(timeout);
}

void daemon_process::signal(int signal_number) {
    if (child_) {
        child_->signal(signal_number);
    }
}

void daemon_process::kill9() {
    if (child_) {
        child_->kill_now();
    }
}

bool daemon_process::running() {
    return child_ && child_->running();
}

pid_t daemon_process::pid() const {
    return child_ ? child_->pid() : -1;
}

std::string daemon_process::log() const {
    std::ifstream in(options_.dir / "mps3d.log");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string daemon_process::output() const {
    std::ifstream in(options_.dir / "mps3d.out");
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

child_options daemon_process::ctl_options(std::vector<std::string> args) const {
    child_options o;
    o.argv = {mps3ctl_path(), "--socket", socket_.string()};
    for (auto& a : args) {
        o.argv.push_back(std::move(a));
    }
    return o;
}

command_result daemon_process::ctl(std::vector<std::string> args,
                                   std::chrono::milliseconds timeout) const {
    return run_command(ctl_options(std::move(args)), timeout);
}

command_result daemon_process::ctl_with_input(std::vector<std::string> args, std::string input,
                                              std::chrono::milliseconds timeout) const {
    auto o = ctl_options(std::move(args));
    o.stdin_text = std::move(input);
    return run_command(std::move(o), timeout);
}

std::unique_ptr<child_process> daemon_process::ctl_background(std::vector<std::string> args) const {
    auto o = ctl_options(std::move(args));
    static int counter = 0;
    o.stderr_file = options_.dir / ("mps3ctl-" + std::to_string(counter++) + ".err");
    return std::make_unique<child_process>(std::move(o));
}

}  // namespace mps3::test
