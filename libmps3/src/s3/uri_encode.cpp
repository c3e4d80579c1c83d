#include "s3/uri_encode.hpp"

#include <algorithm>

namespace mps3::s3::detail {
namespace {

constexpr bool is_unreserved(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

}  // namespace

std::string uri_encode(std::string_view s, bool encode_slash) {
    static constexpr std::string_view digits = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (const char c : s) {
        if (is_unreserved(c) || (c == '/' && !encode_slash)) {
            out.push_back(c);
        } else {
            const auto b = static_cast<unsigned char>(c);
            out.push_back('%');
            out.push_back(digits[b >> 4U]);
            out.push_back(digits[b & 0x0FU]);
        }
    }
    return out;
}

std::string object_path(std::string_view bucket, std::string_view key) {
    // Valid bucket names encode to themselves; encoding anyway keeps a bad one from breaking
    // the request line.
    std::string path = "/" + uri_encode(bucket, true) + "/";
    path += uri_encode(key, false);
    return path;
}

std::string canonical_query(const std::vector<std::pair<std::string, std::string>>& params) {
    std::vector<std::pair<std::string, std::string>> encoded;
    encoded.reserve(params.size());
    for (const auto& [name, value] : params) {
        encoded.emplace_back(uri_encode(name, true), uri_encode(value, true));
    }
    // Byte order of the encoded strings, as SigV4 specifies (the sort happens after encoding).
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [name, value] : encoded) {
        if (!out.empty()) {
            out.push_back('&');
        }
        out += name;
        out.push_back('=');
        out += value;
    }
    return out;
}

}  // namespace mps3::s3::detail
