#include "test_server.hpp"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>

#include <unistd.h>

#ifndef MPS3_SOURCE_DIR
#error "MPS3_SOURCE_DIR must point at the source tree (tests/servers/s3server)"
#endif

namespace mps3::test {
namespace {

std::string script() {
    return std::string(MPS3_SOURCE_DIR) + "/tests/servers/s3server";
}

// Runs a command and returns its stdout and exit status. Used only for the server script.
std::pair<std::string, int> run_capture(const std::string& command) {
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
    if (!pipe) {
        throw std::runtime_error("cannot run: " + command);
    }
    std::string out;
    std::array<char, 4096> buffer{};
    while (std::fgets(buffer.data(), static_cast<int>(buffer.size()), pipe.get()) != nullptr) {
        out += buffer.data();
    }
    const int status = pclose(pipe.release());
    return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

std::string random_suffix() {
    static std::mt19937_64 rng{std::random_device{}()};
    static const char* digits = "0123456789abcdefghijklmnopqrstuvwxyz";
    std::string out;
    for (int i = 0; i < 8; ++i) {
        out += digits[rng() % 36];
    }
    return out;
}

}  // namespace

std::filesystem::path make_temp_dir(std::string_view hint) {
    auto dir = std::filesystem::temp_directory_path() /
               ("mps3-" + std::string(hint) + "-" + random_suffix());
    std::filesystem::create_directories(dir);
    return dir;
}

test_server::test_server(std::string kind) : kind_(std::move(kind)), dir_(make_temp_dir(kind_)) {
    // The script's watchdog stops the server if this process dies without stopping it.
    const auto [out, status] = run_capture("MPS3_TEST_OWNER_PID=" + std::to_string(getpid()) + " " +
                                           script() + " start " + kind_ + " " + dir_.string());
    if (status != 0) {
        throw std::runtime_error("could not start the " + kind_ + " test server (exit " +
                                 std::to_string(status) + "); see " + dir_.string());
    }
    std::istringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
        const auto eq = line.find('=');
        if (eq == std::string::npos) {
            continue;
        }
        const std::string name = line.substr(0, eq);
        const std::string value = line.substr(eq + 1);
        if (name == "MPS3_TEST_ENDPOINT") {
            endpoint_ = value;
        } else if (name == "MPS3_TEST_ACCESS_KEY") {
            access_key_ = value;
        } else if (name == "MPS3_TEST_SECRET_KEY") {
            secret_key_ = value;
        } else if (name == "MPS3_TEST_REGION") {
            region_ = value;
        }
    }
    running_ = true;
    if (endpoint_.empty() || access_key_.empty()) {
        stop();
        throw std::runtime_error("the " + kind_ + " test server script printed no endpoint");
    }
}

test_server::~test_server() {
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

void test_server::stop() {
    if (running_) {
        running_ = false;
        (void)run_capture(script() + " stop " + dir_.string() + " >&2");
    }
}

s3::client_config test_server::client_config() const {
    auto ep = s3::endpoint::parse(endpoint_);
    if (!ep) {
        throw std::runtime_error("bad test endpoint " + endpoint_ + ": " + ep.err().describe());
    }
    ep->region = region_.empty() ? "us-east-1" : region_;
    s3::client_config config;
    config.server = *ep;
    config.credentials = {.access_key_id = access_key_, .secret_access_key = secret_key_};
    config.request_timeout = std::chrono::seconds(20);
    config.retry = {.max_attempts = 5,
                    .base_delay = std::chrono::milliseconds(50),
                    .max_delay = std::chrono::milliseconds(1000),
                    .max_elapsed = std::chrono::seconds(30)};
    return config;
}

test_server& shared_server() {
    static const std::unique_ptr<test_server> server = [] {
        const char* kind = std::getenv("MPS3_TEST_SERVER");
        if (kind == nullptr || *kind == '\0') {
            throw std::runtime_error("MPS3_TEST_SERVER is not set (rgw or s3rver)");
        }
        return std::make_unique<test_server>(kind);
    }();
    return *server;
}

std::string unique_bucket(std::string_view hint) {
    std::string name = "t-";
    for (const char c : hint) {
        if (name.size() >= 40) {
            break;
        }
        name += (std::isalnum(static_cast<unsigned char>(c)) != 0)
                    ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
                    : '-';
    }
    return name + "-" + random_suffix();
}

}  // namespace mps3::test
