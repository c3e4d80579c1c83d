#include <mps3/s3/names.hpp>

#include <algorithm>

namespace mps3::s3 {
namespace {

bool is_lower_or_digit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// "192.168.5.4": AWS refuses such names, and as a host name it would be an address.
bool looks_like_ipv4(std::string_view name) {
    int dots = 0;
    for (const char c : name) {
        if (c == '.') {
            ++dots;
        } else if (c < '0' || c > '9') {
            return false;
        }
    }
    return dots == 3;
}

}  // namespace

std::string bucket_name_problem(std::string_view bucket, addressing_style addressing) {
    if (bucket.size() < 3 || bucket.size() > 63) {
        return "bucket name must be 3 to 63 characters long";
    }
    for (const char c : bucket) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
                        c == '_' || (c >= 'A' && c <= 'Z');
        if (!ok) {
            return "bucket name may only hold letters, digits, '-', '.' and '_'";
        }
    }
    if (addressing == addressing_style::path) {
        return {};
    }
    // Virtual-hosted: the name becomes the first labels of the request's host name.
    if (!std::all_of(bucket.begin(), bucket.end(),
                     [](char c) { return is_lower_or_digit(c) || c == '-' || c == '.'; })) {
        return "a bucket on AWS (virtual-hosted addressing) may only hold lower-case letters, "
               "digits, '-' and '.'";
    }
    if (!is_lower_or_digit(bucket.front()) || !is_lower_or_digit(bucket.back())) {
        return "a bucket on AWS (virtual-hosted addressing) must start and end with a letter or "
               "a digit";
    }
    if (bucket.find("..") != std::string_view::npos || looks_like_ipv4(bucket)) {
        return "a bucket on AWS (virtual-hosted addressing) must be a valid host name label "
               "sequence (no '..', not an IP address)";
    }
    return {};
}

std::string region_name_problem(std::string_view region) {
    if (region.empty()) {
        return "region must not be empty";
    }
    const bool ok = std::all_of(region.begin(), region.end(), [](char c) {
        return is_lower_or_digit(c) || (c >= 'A' && c <= 'Z') || c == '-' || c == '_' || c == '.';
    });
    return ok ? std::string() : "region may only hold letters, digits, '-', '_' and '.'";
}

std::string object_key_problem(std::string_view key) {
    if (key.empty()) {
        return "object key must not be empty";
    }
    if (key.size() > 1024) {
        return "object key must be at most 1024 bytes of UTF-8";
    }
    return {};
}

}  // namespace mps3::s3
