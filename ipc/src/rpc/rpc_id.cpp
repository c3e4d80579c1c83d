#include <mps3/ipc/rpc_id.hpp>

#include <mps3/ipc/json_builder.hpp>

#include <charconv>
#include <string_view>

namespace mps3::ipc {
namespace {

bool digit(char c) {
    return c >= '0' && c <= '9';
}

// RFC 8259 section 6: -? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?
bool is_numeral(std::string_view s) {
    std::size_t i = 0;
    const auto digits = [&] {
        const std::size_t start = i;
        while (i < s.size() && digit(s[i])) {
            ++i;
        }
        return i > start;
    };
    if (i < s.size() && s[i] == '-') {
        ++i;
    }
    if (i < s.size() && s[i] == '0') {
        ++i;
    } else if (!(i < s.size() && s[i] >= '1' && s[i] <= '9') || !digits()) {
        return false;
    }
    if (i < s.size() && s[i] == '.') {
        ++i;
        if (!digits()) {
            return false;
        }
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
            ++i;
        }
        if (!digits()) {
            return false;
        }
    }
    return i == s.size();
}

}  // namespace

rpc_id rpc_id::from_int(std::int64_t n) {
    return {kind::number, std::to_string(n)};
}

rpc_id rpc_id::from_uint(std::uint64_t n) {
    return {kind::number, std::to_string(n)};
}

rpc_id rpc_id::from_string(std::string s) {
    return {kind::string, std::move(s)};
}

std::optional<rpc_id> rpc_id::from_numeral(std::string text) {
    if (!is_numeral(text)) {
        return std::nullopt;
    }
    return rpc_id(kind::number, std::move(text));
}

std::optional<std::int64_t> rpc_id::as_int() const {
    if (kind_ != kind::number) {
        return std::nullopt;
    }
    std::int64_t n = 0;
    const char* end = text_.data() + text_.size();
    const auto [ptr, ec] = std::from_chars(text_.data(), end, n);
    if (ec != std::errc() || ptr != end) {
        return std::nullopt;  // fractional, exponent, or out of range
    }
    return n;
}

std::string rpc_id::to_json() const {
    json_builder out;
    out.id(*this);
    // A string id came from valid JSON or from the caller; one that is not UTF-8 cannot be sent.
    return out.ok() ? out.str() : "null";
}

}  // namespace mps3::ipc
