// Plain data exchanged with the S3 client. No Asio or Beast here.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mps3::s3 {

using clock = std::chrono::system_clock;
using milliseconds = std::chrono::milliseconds;

/// Retries with exponential backoff and full jitter, bounded in count and in time.
/// Only network errors, 5xx, SlowDown and RequestTimeout are retried, never another 4xx.
struct retry_policy {
    unsigned max_attempts = 5;                           // 1 = no retry
    milliseconds base_delay{100};                        // first backoff ceiling
    milliseconds max_delay{5000};                        // backoff ceiling cap
    milliseconds max_elapsed{std::chrono::seconds(60)};  // no new attempt starts after this
};

/// What every S3 response carries, success or not.
struct response_meta {
    unsigned status = 0;
    std::string etag;                              // as sent, quotes included
    std::string date;                              // Date header, RFC 1123
    std::string last_modified;                     // Last-Modified header, RFC 1123
    std::string version_id;                        // x-amz-version-id
    std::string request_id;                        // x-amz-request-id
    std::optional<clock::time_point> server_date;  // parsed Date header
    clock::time_point sent_at;      // local clock when the request was sent (last attempt)
    clock::time_point received_at;  // local clock when the response header arrived
    unsigned attempts = 0;
};

using metadata = std::vector<std::pair<std::string, std::string>>;  // x-amz-meta-<name>: value

struct put_options {
    std::string content_type = "application/octet-stream";
    std::string content_encoding;    // e.g. "gzip"; empty: none
    bool if_none_match_any = false;  // create-only: If-None-Match: *
    std::string if_match;            // ETag the object must still have
    bool checksum_sha256 = false;    // send x-amz-checksum-sha256
    bool sign_payload = false;       // payload SHA-256 in the signature, else UNSIGNED-PAYLOAD
    metadata user_metadata;
    /// Overrides the client's retry policy for this request (e.g. a PUT whose repetition after
    /// a lost answer must stay within a time window).
    std::optional<retry_policy> retry;
};

struct put_result {
    response_meta meta;
};

struct get_options {
    std::string if_none_match;  // an ETag: a match gives not_modified instead of the body
    std::string version_id;
    /// The largest body this caller takes; a bigger one fails with errc::too_large as soon as
    /// its Content-Length arrives (or, chunked, once that many bytes have), and is not retried:
    /// a reader of other people's objects must not hold whatever they chose to store. 0: the
    /// client's own limit (1 GiB).
    std::size_t max_body_bytes = 0;
};

struct get_result {
    response_meta meta;
    bool not_modified = false;  // 304: body is empty
    std::string body;
    std::string content_type;
    std::string content_encoding;
    metadata user_metadata;
};

struct head_result {
    response_meta meta;
    std::uint64_t content_length = 0;
    std::string content_type;
    metadata user_metadata;
};

struct delete_result {
    response_meta meta;
};

/// GetBucketVersioning (`GET /<bucket>?versioning`). `status` is "Enabled", "Suspended", or
/// empty for a bucket whose versioning was never configured (S3 then answers an empty
/// <VersioningConfiguration/>).
struct bucket_versioning {
    response_meta meta;
    std::string status;
    std::string mfa_delete;  // "Enabled", "Disabled", or empty when absent
};

struct list_options {
    std::string prefix;
    std::string start_after;
    std::string continuation_token;
    std::string delimiter;
    unsigned max_keys = 0;  // 0: the server's default (1000)
};

struct object_summary {
    std::string key;
    std::string last_modified;  // as listed, ISO 8601
    std::optional<clock::time_point> last_modified_time;
    std::string etag;
    std::uint64_t size = 0;
};

struct list_page {
    response_meta meta;
    std::vector<object_summary> objects;
    std::vector<std::string> common_prefixes;
    bool is_truncated = false;
    std::string next_continuation_token;
};

/// Every page of a listing, in order.
struct list_all_result {
    response_meta meta;  // of the last page
    std::vector<object_summary> objects;
    std::vector<std::string> common_prefixes;
    unsigned pages = 0;
};

}  // namespace mps3::s3
