// Where an S3 service lives and how to address buckets on it.
#pragma once

#include <mps3/result.hpp>
#include <mps3/s3/aws_config.hpp>
#include <mps3/s3/credentials.hpp>

#include <cstdint>
#include <string>

namespace mps3::s3 {

enum class addressing_style {
    path,            // https://host/bucket/key : MinIO, RGW, s3rver, MPS3's default
    virtual_hosted,  // https://bucket.host/key : AWS's preferred style
};

/// The `addressing_style` setting (AWS CLI's s3 addressing_style): `automatic` lets
/// choose_addressing decide.
enum class addressing_choice { automatic, path, virtual_hosted };

/// "auto", "path" or "virtual"; errc::invalid_argument otherwise.
result<addressing_choice> parse_addressing_choice(std::string_view text);

struct endpoint {
    bool tls = true;
    std::string host;  // without brackets for IPv6
    std::uint16_t port = 443;
    std::string region = "us-east-1";
    addressing_style addressing = addressing_style::path;

    /// "http://127.0.0.1:9000", "https://s3.eu-west-1.amazonaws.com", "https://[::1]:8443".
    /// A path other than "/" or any query is rejected (clear error).
    static result<endpoint> parse(std::string_view url);

    /// Host header value: host, plus ":port" when not the scheme's default.
    [[nodiscard]] std::string host_header() const;
};

/// Whether the host is AWS S3's own (*.amazonaws.com, *.amazonaws.com.cn).
bool is_aws_host(std::string_view host);

/// How requests for `bucket` address it. path and virtual_hosted are taken as asked; automatic
/// is what the AWS SDKs do: virtual-hosted on AWS when the bucket can be a DNS label (lower case,
/// digits, '-', 3 to 63) and has no '.' (a dotted name breaks the *.s3.amazonaws.com TLS
/// wildcard certificate), path style otherwise, and always on other servers (MinIO, RGW...).
addressing_style choose_addressing(addressing_choice choice, const endpoint& server,
                                   std::string_view bucket);

/// Where the endpoint and region come from, first match wins (the AWS CLI's order,
/// https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-endpoints.html#endpoints-precedence):
///   URL:    explicit_url; AWS_ENDPOINT_URL_S3; AWS_ENDPOINT_URL; the config profile's
///           services section `s3 = endpoint_url`; the profile's `endpoint_url`; AWS itself
///           (https://s3.<region>.amazonaws.com). AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true (or
///           the profile's ignore_configured_endpoint_urls) skips all but explicit_url.
///   region: explicit_region; AWS_REGION; AWS_DEFAULT_REGION; the profile's `region`; the one
///           an AWS host name carries; us-east-1.
/// Addressing: virtual-hosted for AWS's own endpoint when no URL is configured, path otherwise;
/// choose_addressing refines it once the bucket is known.
result<endpoint> resolve_endpoint(std::string_view explicit_url, std::string_view explicit_region,
                                  const environment& env, const aws_config& config);

/// As above without a config file.
result<endpoint> resolve_endpoint(std::string_view explicit_url, std::string_view explicit_region,
                                  const environment& env);

}  // namespace mps3::s3
