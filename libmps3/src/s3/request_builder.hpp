// Sans-io construction of S3 requests: what each operation sends, how a bucket is addressed,
// and the SigV4 signature. The client calls prepare() once per attempt so every retry carries
// a fresh x-amz-date.
#pragma once

#include "s3/http_message.hpp"

#include <mps3/s3/credentials.hpp>
#include <mps3/s3/endpoint.hpp>
#include <mps3/s3/names.hpp>
#include <mps3/s3/types.hpp>

#include <string>
#include <utility>
#include <vector>

namespace mps3::s3::detail {

using query_list = std::vector<std::pair<std::string, std::string>>;

/// An S3 operation before addressing and signing.
struct s3_request {
    std::string method;
    std::string bucket;
    std::string key;   // empty for bucket-level operations
    query_list query;  // decoded names and values
    header_list headers;
    std::string body;
    bool sign_payload = false;  // SHA-256 of the body in the signature, else UNSIGNED-PAYLOAD
    std::size_t max_response_body = 0;  // 0: the transport's limit
};

s3_request put_object_request(std::string bucket, std::string key, std::string body,
                              const put_options& options);
s3_request get_object_request(std::string bucket, std::string key, const get_options& options);
s3_request head_object_request(std::string bucket, std::string key, std::string version_id);
s3_request delete_object_request(std::string bucket, std::string key);
s3_request list_objects_v2_request(std::string bucket, const list_options& options);
s3_request create_bucket_request(std::string bucket, std::string_view region);
s3_request put_bucket_versioning_request(std::string bucket, bool enabled);
s3_request get_bucket_versioning_request(std::string bucket);

/// Addresses the request on the endpoint (path or virtual-hosted style) and signs it with SigV4
/// at time `now` (the local clock plus any correction learnt from RequestTimeTooSkewed).
http_request prepare(const s3_request& request, const endpoint& server, const credentials& creds,
                     clock::time_point now);

/// Why a bucket name or key cannot be sent, or empty when it can (mps3/s3/names.hpp).
std::string validate_bucket(std::string_view bucket, addressing_style addressing);
std::string validate_key(std::string_view key);

}  // namespace mps3::s3::detail
