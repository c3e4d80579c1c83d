// A real S3 server for a test: started by tests/servers/s3server in a fresh temporary directory,
// stopped (by PID, by that script) when the object is destroyed.
#pragma once

#include <mps3/s3/client.hpp>

#include <filesystem>
#include <string>

namespace mps3::test {

class test_server {
  public:
    /// kind: "rgw" or "s3rver". Throws std::runtime_error with the script's output on failure.
    explicit test_server(std::string kind);
    ~test_server();
    test_server(const test_server&) = delete;
    test_server& operator=(const test_server&) = delete;

    [[nodiscard]] const std::string& kind() const { return kind_; }
    [[nodiscard]] const std::string& endpoint_url() const { return endpoint_; }
    [[nodiscard]] const std::string& access_key() const { return access_key_; }
    [[nodiscard]] const std::string& secret_key() const { return secret_key_; }
    [[nodiscard]] const std::string& region() const { return region_; }
    [[nodiscard]] bool is_rgw() const { return kind_ == "rgw"; }

    /// A client configuration for this server (short timeouts suited to loopback).
    [[nodiscard]] s3::client_config client_config() const;

    /// Stops the server now (idempotent); the test can then observe what clients do.
    void stop();

  private:
    std::string kind_;
    std::filesystem::path dir_;
    std::string endpoint_, access_key_, secret_key_, region_;
    bool running_ = false;
};

/// The server the current integration-test process was started for (MPS3_TEST_SERVER=rgw|s3rver),
/// started on first use and stopped at exit.
test_server& shared_server();

/// A unique bucket name for one test case ("t-<case>-<random>").
std::string unique_bucket(std::string_view hint);

/// A fresh empty directory under the system temp dir, removed by the caller or at exit.
std::filesystem::path make_temp_dir(std::string_view hint);

}  // namespace mps3::test
