// One error vocabulary for all of libmps3: an std::error_code in the mps3 category, plus the
// diagnostics an S3 server sent back (code, message, request id) when there was one.
#pragma once

#include <string>
#include <system_error>

namespace mps3 {

enum class errc {
    ok = 0,
    invalid_argument,     // the caller passed something the operation cannot carry
    network,              // connect, read or write failed (after retries)
    timeout,              // the operation's deadline passed
    tls,                  // TLS handshake or certificate verification failed
    bad_response,         // the server answered something that is not valid HTTP/S3
    access_denied,        // 401/403: wrong credentials, signature mismatch, no permission
    not_found,            // 404: NoSuchKey, NoSuchBucket
    precondition_failed,  // 412: If-Match / If-None-Match: * refused
    conflict,             // 409: e.g. BucketAlreadyOwnedByYou, OperationAborted
    client_error,         // another 4xx the request will not survive being retried
    server_error,         // 5xx, SlowDown, RequestTimeout still failing after every retry
    cancelled,            // cancelled by the caller (e.g. going offline)
    no_credentials,       // no credentials found in config, environment or files
    storage,              // the local SQLite replica failed
    too_large,            // a response body over the reader's limit: refused, not downloaded
};

const std::error_category& mps3_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

/// An error with everything a person needs to act on it. Never contains a secret.
struct error {
    std::error_code code;
    unsigned http_status = 0;  // 0 when no HTTP response was received
    std::string s3_code;       // e.g. "NoSuchKey", "SignatureDoesNotMatch"
    std::string message;       // human-readable detail
    std::string request_id;    // x-amz-request-id, for the server operator
    unsigned attempts = 0;     // how many times the request was sent

    error() = default;
    error(std::error_code c, std::string msg) : code(c), message(std::move(msg)) {}
    error(errc c, std::string msg) : code(make_error_code(c)), message(std::move(msg)) {}

    /// One line: "access denied: HTTP 403 SignatureDoesNotMatch: <message> (request id ...)".
    [[nodiscard]] std::string describe() const;
};

}  // namespace mps3

template <>
struct std::is_error_code_enum<mps3::errc> : std::true_type {};
