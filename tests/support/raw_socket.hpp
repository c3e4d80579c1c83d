// A raw connection to mps3d's socket for tests that send what no well-behaved client would
// (garbage, oversized lines, invalid UTF-8) and read the answer lines back, with deadlines.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace mps3::test {

class raw_socket {
  public:
    explicit raw_socket(const std::filesystem::path& path);  // throws when it cannot connect
    ~raw_socket();
    raw_socket(const raw_socket&) = delete;
    raw_socket& operator=(const raw_socket&) = delete;

    /// Writes all of `bytes` (false when the peer closed or the deadline passed).
    bool send(std::string_view bytes, std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// The next line (without '\n'); nullopt at EOF or when the deadline passes.
    std::optional<std::string> read_line(
        std::chrono::milliseconds timeout = std::chrono::seconds(30));
    /// True when the peer closed the connection (EOF) within the deadline.
    bool closed_by_peer(std::chrono::milliseconds timeout);
    [[nodiscard]] int fd() const { return fd_; }

  private:
    int fd_ = -1;
    std::string buffer_;
    bool eof_ = false;
};

}  // namespace mps3::test
