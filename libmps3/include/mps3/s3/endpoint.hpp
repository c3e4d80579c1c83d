// Where an S3 service lives and how to address buckets on it.
#pragma once

#include <mps3/result.hpp>
#include <mps3/s3/credentials.hpp>

#include <cstdint>
#include <string>

namespace mps3::s3 {

enum class addressing_style {
    path,            // https://host/bucket/key : MinIO, RGW, s3rver, MPS3's default
    virtual_hosted,  // https://bucket.host/key : AWS's preferred style
};

struct endpoint {
    bool tls = true;
    std::string host;    // without brackets for IPv6
    std::uint16_t port = 443;
    std::string region = "us-east-1";
    addressing_style addressing = addressing_style::path;

    /// "http://127.0.0.1:9000", "https://s3.eu-west-1.amazonaws.com", "https://[::1]:8443".
    /// A path other than "/" or any query is rejected (clear error).
    static result<endpoint> parse(std::string_view url);

    /// Host header value: host, plus ":port" when not the scheme's default.
    [[nodiscard]] std::string host_header() const;
};

/// Resolution: explicit url/region win; else AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, then AWS itself
/// (https://s3.<region>.amazonaws.com, virtual-hosted); region from AWS_REGION, AWS_DEFAULT_REGION,
/// else us-east-1.
result<endpoint> resolve_endpoint(std::string_view explicit_url, std::string_view explicit_region,
                                  const environment& env);

}  // namespace mps3::s3
