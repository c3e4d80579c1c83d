// AWS Signature Version 4, sans-io: strings in, the Authorization header value out. Each stage
// of the algorithm is its own function so tests can compare it with AWS's published
// intermediate values (canonical request, string to sign) and not just the final signature.
// Nothing here logs, and the secret key never appears in any returned string.
#pragma once

#include <mps3/s3/credentials.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mps3::s3::detail {

struct signing_request {
    std::string method;         // "GET"
    std::string canonical_uri;  // already URI-encoded path exactly as sent ("/bucket/a%20b")
    std::vector<std::pair<std::string, std::string>> query;  // decoded names and values
    // Headers to sign, Host and x-amz-date included. Names in any case; values are trimmed and
    // inner whitespace runs collapsed by the signer, repeated names joined with ','.
    std::vector<std::pair<std::string, std::string>> headers;
    std::string payload_hash;  // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
};

struct signing_scope {
    std::string region;
    std::string service = "s3";
};

/// "20150830T123600Z" (UTC, truncated to the second).
std::string amz_date(std::chrono::system_clock::time_point t);

std::string canonical_request(const signing_request& req);

/// amz_date as made by amz_date(); its first 8 characters are the scope's date.
std::string string_to_sign(const signing_request& req, std::string_view amz_date,
                           const signing_scope& scope);

/// Raw kSigning bytes for secret, "yyyymmdd" and scope.
std::string signing_key(std::string_view secret, std::string_view yyyymmdd,
                        const signing_scope& scope);

/// "AWS4-HMAC-SHA256 Credential=<akid>/<scope>, SignedHeaders=a;b, Signature=<hex>".
std::string authorization_header(const signing_request& req, std::string_view amz_date,
                                 const signing_scope& scope, const mps3::s3::credentials& creds);

/// What the client calls: sets x-amz-date, x-amz-content-sha256 (= payload_hash) and, for
/// temporary credentials, x-amz-security-token in req.headers (replacing any earlier value, so
/// a retried request can be signed again), then returns the Authorization header value.
std::string sign(signing_request& req, std::chrono::system_clock::time_point now,
                 const signing_scope& scope, const mps3::s3::credentials& creds);

}  // namespace mps3::s3::detail
