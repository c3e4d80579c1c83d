#include "protocol/object_encoding.hpp"

#include <algorithm>
#include <cctype>

namespace mps3::protocol {
namespace {

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

bool same_token(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

enum class coding { plain, gzip, unsupported };

// The encodings of a Content-Encoding value, in the order they were applied. Only one gzip is
// supported (nobody compresses an entry twice); identity adds nothing.
coding coding_of(std::string_view header, std::string& unsupported) {
    coding found = coding::plain;
    while (!header.empty()) {
        const auto comma = header.find(',');
        const auto token = trimmed(header.substr(0, comma));
        header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
        if (token.empty() || same_token(token, "identity")) {
            continue;
        }
        if ((same_token(token, "gzip") || same_token(token, "x-gzip")) && found == coding::plain) {
            found = coding::gzip;
            continue;
        }
        unsupported = std::string(token);
        return coding::unsupported;
    }
    return found;
}

}  // namespace

result<std::string> decoded_object_body(std::string body, std::string_view content_encoding,
                                        std::size_t max_decoded) {
    std::string unsupported;
    switch (coding_of(content_encoding, unsupported)) {
        case coding::unsupported:
            return error(errc::bad_response,
                         "Content-Encoding '" + unsupported + "' is not supported (only gzip)");
        case coding::gzip:
            return gzip_decode(body, max_decoded);
        case coding::plain:
            break;
    }
    if (has_gzip_magic(body)) {
        return gzip_decode(body, max_decoded);
    }
    return body;
}

}  // namespace mps3::protocol
