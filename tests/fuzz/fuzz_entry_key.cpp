// Manifest entry keys (BUCKET_FORMAT.md section 3) as a listing may hold them. The input's first
// line is the manifest key, the rest the object key; the same bytes also drive a key written by
// format_entry_key.
//
// Invariants: a parsed key is the object key, under "M@", with [0-9a-z]+ session and a
// two-character counter, and its time is decode_ts of its digits; a canonical key (9 stamp
// digits, a base-32 counter) is what format_entry_key writes for its parts; every formatted key
// parses back to its clamped time, session and counter, and a later time sorts newer.
#include "fuzz_check.hpp"

#include "protocol/entry_key.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

using namespace mps3::protocol;

bool all_key_chars(std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'); });
}

// Value of two base-32 digits, or nullopt ('w'-'z' are key characters but not digits).
std::optional<unsigned> counter_value(std::string_view counter) {
    unsigned value = 0;
    for (const char c : counter) {
        const auto digit = std::string_view("0123456789abcdefghijklmnopqrstuv").find(c);
        if (digit == std::string_view::npos) {
            return std::nullopt;
        }
        value = value * 32 + static_cast<unsigned>(digit);
    }
    return value;
}

void check_parsed(std::string_view manifest, std::string_view object_key) {
    const auto parsed = parse_entry_key(manifest, object_key);
    if (!parsed) {
        return;
    }
    FUZZ_CHECK(parsed->key == object_key);
    FUZZ_CHECK(object_key.starts_with(entry_prefix(manifest)));
    FUZZ_CHECK(!parsed->session.empty() && all_key_chars(parsed->session));
    FUZZ_CHECK(parsed->counter.size() == 2 && all_key_chars(parsed->counter));
    const std::string_view suffix = object_key.substr(manifest.size() + 1);
    const std::string_view digits = suffix.substr(0, suffix.find('_'));
    FUZZ_CHECK(!digits.empty() && all_key_chars(digits));
    FUZZ_CHECK(digits.size() + parsed->session.size() + parsed->counter.size() + 2 ==
               suffix.size());
    FUZZ_CHECK(parsed->ts == decode_ts(digits));

    const auto counter = counter_value(parsed->counter);
    if (parsed->ts && encode_ts9(*parsed->ts) == digits && counter) {
        FUZZ_CHECK(format_entry_key(manifest, *parsed->ts, parsed->session,
                                    session_entry_limit - 1 - *counter) == object_key);
    }
}

void check_formatted(std::string_view manifest, std::int64_t ms, std::string_view raw_session,
                     unsigned n) {
    // Any bytes as a session id, mapped onto [0-9a-z] (what format_entry_key requires).
    std::string session;
    for (const char c : raw_session.substr(0, 16)) {
        session.push_back(
            "0123456789abcdefghijklmnopqrstuvwxyz"[static_cast<unsigned char>(c) % 36]);
    }
    if (session.empty()) {
        session = "0";
    }
    const timestamp t{milliseconds(ms)};
    const std::string key = format_entry_key(manifest, t, session, n);
    const auto parsed = parse_entry_key(manifest, key);
    FUZZ_CHECK(parsed.has_value());
    const auto clamped = std::clamp<std::int64_t>(ms, 0, max_entry_time_ms);
    FUZZ_CHECK(parsed->ts == timestamp(milliseconds(clamped)));
    FUZZ_CHECK(parsed->session == session && parsed->counter == encode_counter(n));
    if (clamped > 0) {  // one millisecond earlier, same session: an older entry
        const auto older = parse_entry_key(
            manifest, format_entry_key(manifest, timestamp(milliseconds(clamped - 1)), session, n));
        FUZZ_CHECK(older.has_value() && newer_than(*parsed, *older) &&
                   !newer_than(*older, *parsed));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view object_key = mps3::fuzz::as_text(data, size);
    const std::string_view manifest = mps3::fuzz::take_line(object_key);
    check_parsed(manifest, object_key);

    // A time from the first 8 bytes (any 64-bit value: clamping is part of what is checked), a
    // counter from the next 2 (beyond 1023 too), the session from the rest of the key.
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < 8 && i < object_key.size(); ++i) {
        bits = bits << 8 | static_cast<unsigned char>(object_key[i]);
    }
    unsigned n = 0;
    for (std::size_t i = 8; i < 10 && i < object_key.size(); ++i) {
        n = n << 8 | static_cast<unsigned char>(object_key[i]);
    }
    check_formatted(manifest, static_cast<std::int64_t>(bits),
                    object_key.size() > 10 ? object_key.substr(10) : std::string_view(), n);
    return 0;
}
