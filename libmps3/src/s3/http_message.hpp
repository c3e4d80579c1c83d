// HTTP request/response as plain data, so that building S3 requests and interpreting responses
// stays sans-io (unit-tested without a socket) and Beast stays inside http_transport.cpp.
#pragma once

#include <mps3/s3/types.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mps3::s3::detail {

using header_list = std::vector<std::pair<std::string, std::string>>;

struct http_request {
    std::string method;       // "GET", "PUT", "HEAD", "DELETE"
    std::string host;         // bare host name or address: DNS, TLS SNI and certificate check
    std::string host_header;  // Host header value (port added when not the scheme's default)
    std::string target;       // encoded path, plus "?" + canonical query when there is one
    header_list headers;      // everything but Host and Content-Length
    std::string body;
    std::size_t max_response_body = 0;  // 0: the transport's limit
};

struct http_response {
    unsigned status = 0;
    header_list headers;
    std::string body;
    clock::time_point sent_at;
    clock::time_point received_at;  // when the status line and headers had arrived
    unsigned attempts = 1;          // set by the client's retry loop

    /// Case-insensitive lookup of the first header with this name; empty when absent.
    [[nodiscard]] std::string_view header(std::string_view name) const;
};

bool iequals(std::string_view a, std::string_view b) noexcept;

}  // namespace mps3::s3::detail
