// `metrics_listen`: where the metrics endpoint listens, "host:port" with an IP address
// ("127.0.0.1:9464", "[::1]:9464") or "localhost:PORT". Port 0 takes a free port (mps3d logs
// the one it got). Sans-io.
#pragma once

#include <mps3/result.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace mps3::metrics {

struct listen_address {
    std::string host;  // an IP address, without brackets
    std::uint16_t port = 0;
    bool loopback = false;  // 127.0.0.0/8 or ::1

    /// "127.0.0.1:9464", "[::1]:9464".
    [[nodiscard]] std::string to_string() const;
};

/// errc::invalid_argument with a message for the configuration's error.
result<listen_address> parse_listen_address(std::string_view text);

}  // namespace mps3::metrics
