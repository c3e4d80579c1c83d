#include "s3/request_builder.hpp"

#include "s3/crypto.hpp"
#include "s3/sigv4.hpp"
#include "s3/uri_encode.hpp"

#include <openssl/evp.h>

#include <array>

namespace mps3::s3::detail {
namespace {

constexpr std::string_view user_agent = "mps3d/0.1";
constexpr std::string_view unsigned_payload = "UNSIGNED-PAYLOAD";

// PutBucketVersioning requires Content-MD5 on AWS: a checksum-required operation.
std::string md5_base64(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_md5(), nullptr);
    return base64(std::string_view(reinterpret_cast<const char*>(digest.data()), length));
}

bool signed_header(std::string_view name) {
    return name.starts_with("x-amz-") || iequals(name, "content-type") ||
           iequals(name, "content-md5") || iequals(name, "content-encoding");
}

}  // namespace

s3_request put_object_request(std::string bucket, std::string key, std::string body,
                              const put_options& options) {
    s3_request r{.method = "PUT", .bucket = std::move(bucket), .key = std::move(key)};
    r.headers.emplace_back("content-type", options.content_type);
    if (!options.content_encoding.empty()) {
        r.headers.emplace_back("content-encoding", options.content_encoding);
    }
    if (options.if_none_match_any) {
        r.headers.emplace_back("if-none-match", "*");
    }
    if (!options.if_match.empty()) {
        r.headers.emplace_back("if-match", options.if_match);
    }
    if (options.checksum_sha256) {
        r.headers.emplace_back("x-amz-checksum-sha256", sha256_base64(body));
    }
    for (const auto& [name, value] : options.user_metadata) {
        r.headers.emplace_back("x-amz-meta-" + name, value);
    }
    r.body = std::move(body);
    r.sign_payload = options.sign_payload;
    return r;
}

s3_request get_object_request(std::string bucket, std::string key, const get_options& options) {
    s3_request r{.method = "GET", .bucket = std::move(bucket), .key = std::move(key)};
    if (!options.if_none_match.empty()) {
        r.headers.emplace_back("if-none-match", options.if_none_match);
    }
    if (!options.version_id.empty()) {
        r.query.emplace_back("versionId", options.version_id);
    }
    r.max_response_body = options.max_body_bytes;
    return r;
}

s3_request head_object_request(std::string bucket, std::string key, std::string version_id) {
    s3_request r{.method = "HEAD", .bucket = std::move(bucket), .key = std::move(key)};
    if (!version_id.empty()) {
        r.query.emplace_back("versionId", std::move(version_id));
    }
    return r;
}

s3_request delete_object_request(std::string bucket, std::string key) {
    return s3_request{.method = "DELETE", .bucket = std::move(bucket), .key = std::move(key)};
}

s3_request list_objects_v2_request(std::string bucket, const list_options& options) {
    s3_request r{.method = "GET", .bucket = std::move(bucket)};
    r.query.emplace_back("list-type", "2");
    if (!options.prefix.empty()) {
        r.query.emplace_back("prefix", options.prefix);
    }
    if (!options.start_after.empty()) {
        r.query.emplace_back("start-after", options.start_after);
    }
    if (!options.continuation_token.empty()) {
        r.query.emplace_back("continuation-token", options.continuation_token);
    }
    if (!options.delimiter.empty()) {
        r.query.emplace_back("delimiter", options.delimiter);
    }
    if (options.max_keys != 0) {
        r.query.emplace_back("max-keys", std::to_string(options.max_keys));
    }
    return r;
}

s3_request create_bucket_request(std::string bucket, std::string_view region) {
    s3_request r{.method = "PUT", .bucket = std::move(bucket)};
    // us-east-1 is the one region where AWS rejects an explicit LocationConstraint.
    if (!region.empty() && region != "us-east-1") {
        r.body =
            "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<LocationConstraint>" +
            std::string(region) + "</LocationConstraint></CreateBucketConfiguration>";
        r.headers.emplace_back("content-type", "application/xml");
        r.sign_payload = true;
    }
    return r;
}

s3_request put_bucket_versioning_request(std::string bucket, bool enabled) {
    s3_request r{.method = "PUT", .bucket = std::move(bucket)};
    r.query.emplace_back("versioning", "");
    r.body = std::string(
                 "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                 "<Status>") +
             (enabled ? "Enabled" : "Suspended") + "</Status></VersioningConfiguration>";
    r.headers.emplace_back("content-type", "application/xml");
    r.headers.emplace_back("content-md5", md5_base64(r.body));
    r.sign_payload = true;
    return r;
}

s3_request get_bucket_versioning_request(std::string bucket) {
    s3_request r{.method = "GET", .bucket = std::move(bucket)};
    r.query.emplace_back("versioning", "");
    return r;
}

http_request prepare(const s3_request& request, const endpoint& server, const credentials& creds,
                     clock::time_point now) {
    http_request out;
    out.method = request.method;
    std::string path;
    if (server.addressing == addressing_style::virtual_hosted) {
        out.host = request.bucket + "." + server.host;
        endpoint bucket_host = server;
        bucket_host.host = out.host;
        out.host_header = bucket_host.host_header();
        path = "/" + uri_encode(request.key, false);
    } else {
        out.host = server.host;
        out.host_header = server.host_header();
        path = request.key.empty() ? "/" + uri_encode(request.bucket, true)
                                   : object_path(request.bucket, request.key);
    }
    const std::string query = canonical_query(request.query);
    out.target = query.empty() ? path : path + "?" + query;

    signing_request to_sign;
    to_sign.method = request.method;
    to_sign.canonical_uri = path;
    to_sign.query = request.query;
    to_sign.payload_hash =
        request.sign_payload ? sha256_hex(request.body) : std::string(unsigned_payload);
    to_sign.headers.emplace_back("host", out.host_header);
    for (const auto& [name, value] : request.headers) {
        if (signed_header(name)) {
            to_sign.headers.emplace_back(name, value);
        }
    }
    const std::string authorization =
        sign(to_sign, now, signing_scope{.region = server.region, .service = "s3"}, creds);

    // sign() added x-amz-date, x-amz-content-sha256 and the session token to to_sign.headers.
    for (const auto& [name, value] : to_sign.headers) {
        if (!iequals(name, "host")) {
            out.headers.emplace_back(name, value);
        }
    }
    for (const auto& [name, value] : request.headers) {
        if (!signed_header(name)) {
            out.headers.emplace_back(name, value);
        }
    }
    out.headers.emplace_back("authorization", authorization);
    out.headers.emplace_back("user-agent", std::string(user_agent));
    out.body = request.body;
    out.max_response_body = request.max_response_body;
    return out;
}

std::string validate_bucket(std::string_view bucket, addressing_style addressing) {
    return bucket_name_problem(bucket, addressing);
}

std::string validate_key(std::string_view key) {
    return object_key_problem(key);
}

}  // namespace mps3::s3::detail
