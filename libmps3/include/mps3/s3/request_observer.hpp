// A hook told of every HTTP request the S3 client completes (each attempt: a retried operation
// is several), for metrics: what kind of request, how it ended, how long it took, and the body
// bytes sent and received. It runs on the client's executor, inside the client: keep it cheap,
// and do not call the client from it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>

namespace mps3::s3 {

enum class request_kind { get, put, list, head, del, other };

enum class request_outcome {
    ok,             // 2xx
    redirect,       // 3xx (a GET's 304 Not Modified included)
    client_error,   // 4xx (a HEAD of a missing object included)
    server_error,   // 5xx
    network_error,  // no HTTP answer: connect, TLS, reset, a response that is not HTTP
    timeout,        // the request deadline passed
    cancelled,      // cancel_all(), or the store going offline or closing
};

struct request_record {
    request_kind kind = request_kind::other;
    request_outcome outcome = request_outcome::ok;
    unsigned status = 0;  // HTTP status; 0 without an answer
    std::chrono::steady_clock::duration latency{};
    std::uint64_t bytes_sent = 0;      // request body
    std::uint64_t bytes_received = 0;  // response body
};

using request_observer = std::function<void(const request_record&)>;

/// "GET", "PUT", "LIST", "HEAD", "DELETE", "OTHER".
std::string_view to_string(request_kind kind);
/// "ok", "3xx", "4xx", "5xx", "network_error", "timeout", "cancelled".
std::string_view to_string(request_outcome outcome);

}  // namespace mps3::s3
