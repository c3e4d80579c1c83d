// Endpoint URLs come from config files and environment variables typed by people: every
// rejection says what was wrong and what is expected, and never echoes user info (a password).
#include <mps3/s3/endpoint.hpp>
#include <mps3/s3/names.hpp>

#include <mps3/text.hpp>

#include <algorithm>
#include <optional>
#include <string_view>

namespace mps3::s3 {
namespace {

using mps3::ascii_lower;
using mps3::trim;

constexpr std::string_view expected_form = "expected http(s)://host[:port][/]";

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_hex(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

std::string_view lookup(const environment& env, const std::string& name) {
    const auto it = env.find(name);
    return it == env.end() ? std::string_view{} : trim(it->second);
}

result<endpoint> invalid(std::string message) {
    return {errc::invalid_argument, std::move(message)};
}

/// Names in a DNS host or a Docker network: letters, digits, '-', '.', '_'.
bool is_host_name(std::string_view host) {
    return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
        return is_alnum(c) || c == '-' || c == '.' || c == '_';
    });
}

/// Hex groups, ':' and an embedded IPv4 tail; zone ids ("%eth0") are not supported.
bool is_ipv6_address(std::string_view host) {
    return host.find(':') != std::string_view::npos &&
           std::all_of(host.begin(), host.end(),
                       [](char c) { return is_hex(c) || c == ':' || c == '.'; });
}

/// The region an AWS S3 host name carries ("s3.eu-west-1.amazonaws.com"), so that a bare AWS URL
/// signs for the right region; nullopt for every other host.
std::optional<std::string> aws_region_of_host(std::string_view host) {
    for (const std::string_view suffix : {".amazonaws.com", ".amazonaws.com.cn"}) {
        if (!host.ends_with(suffix)) {
            continue;
        }
        std::string_view name = host.substr(0, host.size() - suffix.size());
        if (name == "s3") {
            return std::string("us-east-1");
        }
        for (const std::string_view prefix : {"s3.dualstack.", "s3."}) {
            if (name.starts_with(prefix)) {
                name.remove_prefix(prefix.size());
                if (!name.empty() && name.find('.') == std::string_view::npos) {
                    return std::string(name);
                }
                return std::nullopt;
            }
        }
    }
    return std::nullopt;
}

}  // namespace

result<endpoint> endpoint::parse(std::string_view url) {
    url = trim(url);
    const std::string quoted = "'" + std::string(url) + "'";
    if (url.empty()) {
        return invalid("endpoint URL is empty; " + std::string(expected_form));
    }
    // Checked before anything is echoed: "user:password@host" must not reach a log, even when
    // the password holds a '/' that would make it look like a path.
    if (url.find('@') != std::string_view::npos) {
        return invalid(
            "endpoint URL must not contain user info ('user@' or 'user:password@'); "
            "credentials come from the environment or the credentials file");
    }
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) {
        return invalid("endpoint URL " + quoted + " has no scheme; " + std::string(expected_form));
    }
    endpoint out;
    const std::string scheme = ascii_lower(url.substr(0, scheme_end));
    if (scheme == "https") {
        out.tls = true;
        out.port = 443;
    } else if (scheme == "http") {
        out.tls = false;
        out.port = 80;
    } else {
        return invalid("endpoint URL " + quoted + " has unsupported scheme '" + scheme + "'; " +
                       std::string(expected_form));
    }

    const std::string_view rest = url.substr(scheme_end + 3);
    const auto path_start = rest.find_first_of("/?#");
    const std::string_view authority = rest.substr(0, path_start);
    if (path_start != std::string_view::npos) {
        const std::string_view tail = rest.substr(path_start);
        if (tail.find_first_of("?#") != std::string_view::npos) {
            return invalid("endpoint URL " + quoted + " has a query or fragment; " +
                           std::string(expected_form));
        }
        if (tail != "/") {
            return invalid("endpoint URL " + quoted + " has a path ('" + std::string(tail) +
                           "'); give the server's root URL, the bucket is configured separately");
        }
    }
    if (authority.empty()) {
        return invalid("endpoint URL " + quoted + " has no host; " + std::string(expected_form));
    }

    std::string_view host;
    std::string_view port_part;  // what follows the host: empty or ":<port>"
    if (authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return invalid("endpoint URL " + quoted + " has an unterminated IPv6 address '['");
        }
        host = authority.substr(1, close - 1);
        if (!is_ipv6_address(host)) {
            return invalid("endpoint URL " + quoted + " has an invalid IPv6 address '[" +
                           std::string(host) + "]'");
        }
        port_part = authority.substr(close + 1);
    } else {
        const auto colon = authority.find(':');
        host = authority.substr(0, colon);
        port_part = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon);
        if (port_part.find(':', 1) != std::string_view::npos) {
            return invalid("endpoint URL " + quoted +
                           " has several ':'; IPv6 addresses go in brackets, e.g. "
                           "http://[::1]:9000");
        }
        if (!is_host_name(host)) {
            return invalid("endpoint URL " + quoted + " has an invalid host name '" +
                           std::string(host) + "'");
        }
    }
    if (!port_part.empty()) {
        const std::string_view digits = port_part.substr(1);
        const bool numeric = port_part.front() == ':' && !digits.empty() && digits.size() <= 5 &&
                             std::all_of(digits.begin(), digits.end(), is_digit);
        unsigned value = 0;
        for (const char c : numeric ? digits : std::string_view{}) {
            value = value * 10 + static_cast<unsigned>(c - '0');
        }
        if (!numeric || value < 1 || value > 65535) {
            return invalid("endpoint URL " + quoted + " has an invalid port '" +
                           std::string(port_part) + "'; expected a number from 1 to 65535");
        }
        out.port = static_cast<std::uint16_t>(value);
    }
    out.host = ascii_lower(host);
    if (auto region = aws_region_of_host(out.host)) {
        out.region = std::move(*region);
    }
    return out;
}

std::string endpoint::host_header() const {
    std::string out = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    const std::uint16_t default_port = tls ? 443 : 80;
    if (port != default_port) {
        out += ":" + std::to_string(port);
    }
    return out;
}

result<addressing_choice> parse_addressing_choice(std::string_view text) {
    const std::string value = ascii_lower(trim(text));
    if (value == "auto") {
        return addressing_choice::automatic;
    }
    if (value == "path") {
        return addressing_choice::path;
    }
    if (value == "virtual") {
        return addressing_choice::virtual_hosted;
    }
    return error(errc::invalid_argument,
                 "addressing_style must be auto, path or virtual, not '" + std::string(text) + "'");
}

bool is_aws_host(std::string_view host) {
    return host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn");
}

addressing_style choose_addressing(addressing_choice choice, const endpoint& server,
                                   std::string_view bucket) {
    switch (choice) {
        case addressing_choice::path:
            return addressing_style::path;
        case addressing_choice::virtual_hosted:
            return addressing_style::virtual_hosted;
        case addressing_choice::automatic:
            break;
    }
    // botocore's check_dns_name plus its dotted-name rule: a '.' would need a certificate for
    // *.*.s3.amazonaws.com, which AWS does not have, so such buckets go path style.
    const bool dns_label = bucket_name_problem(bucket, addressing_style::virtual_hosted).empty() &&
                           bucket.find('.') == std::string_view::npos;
    return is_aws_host(server.host) && dns_label ? addressing_style::virtual_hosted
                                                 : addressing_style::path;
}

namespace {

bool is_true(std::string_view value) {
    return ascii_lower(trim(value)) == "true";
}

struct sourced {
    std::string value;
    std::string source;  // for messages: "AWS_REGION", "region in profile 'x' of FILE"
};

sourced first_set(std::initializer_list<sourced> candidates) {
    for (const auto& c : candidates) {
        if (!trim(c.value).empty()) {
            return {std::string(trim(c.value)), c.source};
        }
    }
    return {};
}

}  // namespace

result<endpoint> resolve_endpoint(std::string_view explicit_url, std::string_view explicit_region,
                                  const environment& env, const aws_config& config) {
    const aws_profile& profile = config.settings;
    const std::string in_profile = " in " + config.origin();
    sourced region =
        first_set({{std::string(explicit_region), "the configured region"},
                   {std::string(lookup(env, "AWS_REGION")), "AWS_REGION"},
                   {std::string(lookup(env, "AWS_DEFAULT_REGION")), "AWS_DEFAULT_REGION"},
                   {profile.value("region"), "region" + in_profile}});
    // Region names end up in the signature scope and, for AWS, in a host name.
    if (!region.value.empty() && !region_name_problem(region.value).empty()) {
        return invalid(region.source + " '" + region.value +
                       "' is not a region name (letters, digits, '-', '_', '.')");
    }

    const bool ignore_configured = is_true(lookup(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) ||
                                   is_true(profile.value("ignore_configured_endpoint_urls"));
    const auto services_url = profile.services_s3.find("endpoint_url");
    sourced url{std::string(trim(explicit_url)), ""};
    if (url.value.empty() && !ignore_configured) {
        url = first_set(
            {{std::string(lookup(env, "AWS_ENDPOINT_URL_S3")), "AWS_ENDPOINT_URL_S3"},
             {std::string(lookup(env, "AWS_ENDPOINT_URL")), "AWS_ENDPOINT_URL"},
             {services_url == profile.services_s3.end() ? std::string() : services_url->second,
              "endpoint_url of [services " + profile.value("services") + "] s3" + in_profile},
             {profile.value("endpoint_url"), "endpoint_url" + in_profile}});
    }
    if (!url.value.empty()) {
        auto parsed = endpoint::parse(url.value);
        if (!parsed) {
            if (!url.source.empty()) {
                parsed.err().message = url.source + ": " + parsed.err().message;
            }
            return parsed;
        }
        if (!region.value.empty()) {
            parsed->region = region.value;
        }
        return parsed;
    }

    // AWS itself: region-qualified host, virtual-hosted buckets as AWS recommends.
    endpoint aws;
    if (!region.value.empty()) {
        aws.region = ascii_lower(region.value);
    }
    if (!std::all_of(aws.region.begin(), aws.region.end(),
                     [](char c) { return is_alnum(c) || c == '-'; })) {
        return invalid(region.source + " '" + region.value +
                       "' cannot be an AWS region (letters, digits and '-' only); set an endpoint "
                       "URL for other servers");
    }
    const std::string_view domain =
        aws.region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com";
    aws.host = "s3." + aws.region + std::string(domain);
    aws.tls = true;
    aws.port = 443;
    aws.addressing = addressing_style::virtual_hosted;
    return aws;
}

result<endpoint> resolve_endpoint(std::string_view explicit_url, std::string_view explicit_region,
                                  const environment& env) {
    return resolve_endpoint(explicit_url, explicit_region, env, aws_config{});
}

}  // namespace mps3::s3
