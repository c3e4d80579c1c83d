#include "protocol/entry_key.hpp"

#include <algorithm>
#include <cassert>

namespace mps3::protocol {
namespace {

constexpr std::string_view b32_digits = "0123456789abcdefghijklmnopqrstuv";

// Value of a base-32 digit, or -1 for anything else (including 'w'-'z' and upper case).
int b32_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'v') {
        return c - 'a' + 10;
    }
    return -1;
}

bool is_key_char(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z');
}

// Length of the leading run of [0-9a-z] in s.
std::size_t key_run(std::string_view s) {
    return static_cast<std::size_t>(std::find_if_not(s.begin(), s.end(), is_key_char) - s.begin());
}

}  // namespace

std::string to_b32(std::uint64_t n, std::size_t width) {
    std::string out;
    do {
        out.push_back(b32_digits[n % 32]);
        n /= 32;
    } while (n != 0);
    if (out.size() < width) {
        out.append(width - out.size(), '0');
    }
    std::reverse(out.begin(), out.end());
    return out;
}

std::string encode_ts9(timestamp t) {
    const auto ms = std::clamp<std::int64_t>(t.time_since_epoch().count(), 0, max_entry_time_ms);
    return to_b32(static_cast<std::uint64_t>(max_entry_time_ms - ms), 9);
}

std::optional<timestamp> decode_ts(std::string_view digits) {
    // 12 base-32 digits hold 60 bits: beyond that JavaScript's result is so large that the time
    // is aeons before 1970 and the entry invalid whatever we compute, so stop there.
    constexpr std::size_t max_digits = 12;
    std::uint64_t value = 0;
    std::size_t used = 0;
    for (const char c : digits) {
        const int v = b32_value(c);
        if (v < 0) {
            break;
        }
        if (++used > max_digits) {
            return std::nullopt;
        }
        value = value * 32 + static_cast<std::uint64_t>(v);
    }
    if (used == 0) {
        return std::nullopt;
    }
    return timestamp(milliseconds(max_entry_time_ms - static_cast<std::int64_t>(value)));
}

std::string encode_counter(unsigned n) {
    return to_b32(session_entry_limit - 1 - std::min(n, session_entry_limit - 1), 2);
}

std::string make_session_id(std::uint64_t random_bits) {
    constexpr std::string_view hex = "0123456789abcdef";
    return {hex[(random_bits >> 8) & 0xf], hex[(random_bits >> 4) & 0xf], hex[random_bits & 0xf]};
}

std::string entry_prefix(std::string_view manifest_key) {
    std::string out(manifest_key);
    out.push_back('@');
    return out;
}

std::string listing_start_after(std::string_view manifest_key, timestamp server_now) {
    return entry_prefix(manifest_key) + encode_ts9(server_now + listing_lookahead);
}

std::string format_entry_key(std::string_view manifest_key, timestamp t, std::string_view session,
                             unsigned n) {
    assert(!session.empty() && key_run(session) == session.size());
    std::string out = entry_prefix(manifest_key);
    out += encode_ts9(t);
    out.push_back('_');
    out += session;
    out.push_back('_');
    out += encode_counter(n);
    return out;
}

std::optional<entry_key> parse_entry_key(std::string_view manifest_key,
                                         std::string_view object_key) {
    if (object_key.size() <= manifest_key.size() ||
        object_key.substr(0, manifest_key.size()) != manifest_key ||
        object_key[manifest_key.size()] != '@') {
        return std::nullopt;
    }
    std::string_view rest = object_key.substr(manifest_key.size() + 1);
    // ^([0-9a-z]+)_([0-9a-z]+)_([0-9a-z]{2})$ without a regex engine: three runs of key
    // characters separated by single underscores, the last exactly 2 long.
    const std::size_t ts_len = key_run(rest);
    if (ts_len == 0 || ts_len == rest.size() || rest[ts_len] != '_') {
        return std::nullopt;
    }
    const std::string_view ts_digits = rest.substr(0, ts_len);
    rest.remove_prefix(ts_len + 1);
    const std::size_t session_len = key_run(rest);
    if (session_len == 0 || session_len == rest.size() || rest[session_len] != '_') {
        return std::nullopt;
    }
    const std::string_view session = rest.substr(0, session_len);
    rest.remove_prefix(session_len + 1);
    if (rest.size() != 2 || key_run(rest) != 2) {
        return std::nullopt;
    }
    return entry_key{std::string(object_key), decode_ts(ts_digits), std::string(session),
                     std::string(rest)};
}

}  // namespace mps3::protocol
