// The manifest entry key `M@<ts9>_<session>_<cnt2>` (BUCKET_FORMAT.md section 3): encoding,
// parsing with the reader's validity pattern, and the order readers sort entries in.
#pragma once

#include "protocol/timestamp.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mps3::protocol {

/// ts9 encodes 2^42 - 1 - t: the largest stampable time (year 2109) encodes as 000000000.
inline constexpr std::int64_t max_entry_time_ms = (std::int64_t{1} << 42) - 1;

/// cnt2 holds 1023 - n in two base-32 digits: a session can write 1024 entries (n = 0..1023).
inline constexpr unsigned session_entry_limit = 1024;

/// n in base 32 with digits 0-9a-v, left-padded with '0' to at least width characters.
std::string to_b32(std::uint64_t n, std::size_t width = 0);

/// b32(2^42 - 1 - t) padded to 9 characters. t is clamped into [0, max_entry_time_ms]: outside
/// it the result would not be 9 characters and would sort wrongly.
std::string encode_ts9(timestamp t);

/// The time a reader takes from the ts digits of a key. Mirrors MPS3's JavaScript
/// parseInt(digits, 32): the longest prefix of base-32 digits counts and the rest is ignored
/// ('w'-'z' pass the key pattern but are not base-32 digits). nullopt when no digit leads (NaN
/// in JavaScript) or more than 12 digits lead (no time within reach): such an entry is invalid.
/// Results may be negative or far in the future; validity is the resolver's business.
std::optional<timestamp> decode_ts(std::string_view digits);

/// b32(1023 - n) padded to 2 characters: "vv" for n = 0, "00" for n = 1023. n is clamped to 1023.
std::string encode_counter(unsigned n);

/// A session id from caller-supplied random bits: the low 12 bits as 3 lower-case hex characters,
/// the form MPS3 uses (the first 3 characters of a UUID).
std::string make_session_id(std::uint64_t random_bits);

/// "M@": the LIST prefix of manifest M's entries.
std::string entry_prefix(std::string_view manifest_key);

/// "M@<ts9(server_now + 10 s)>": the start-after of a listing (section 6 step 1), which skips
/// entries stamped more than listing_lookahead in the future.
std::string listing_start_after(std::string_view manifest_key, timestamp server_now);

/// "M@<ts9(t)>_<session>_<cnt2(n)>". session must be non-empty [0-9a-z] (make_session_id's form).
std::string format_entry_key(std::string_view manifest_key, timestamp t, std::string_view session,
                             unsigned n);

/// A listed key that is an entry of manifest M.
struct entry_key {
    std::string key;              // the whole object key
    std::optional<timestamp> ts;  // decode_ts of the ts digits
    std::string session;          // as written, [0-9a-z]+
    std::string counter;          // as written, 2 characters of [0-9a-z]
};

/// The entry of manifest M that object_key names, or nullopt. A key is an entry of M iff it is
/// "M@" followed by a suffix that matches ^([0-9a-z]+)_[0-9a-z]+_[0-9a-z]{2}$ in full. MPS3's
/// pattern is only anchored at the end, so for manifest "a" it also claims "a@b@<entry>" (an
/// entry of manifest "a@b"); anchoring the suffix keeps other manifests' entries and foreign
/// objects under the prefix (e.g. content "M@<uuid>" of a key named M) out.
std::optional<entry_key> parse_entry_key(std::string_view manifest_key,
                                         std::string_view object_key);

/// Reader order, newest first: byte-wise order of the keys, i.e. S3's listing order. For entries
/// of one manifest with canonical 9-digit stamps that is ts descending, then session, then
/// counter as raw bytes (a session's counter descends, so its later writes sort first).
inline bool newer_than(const entry_key& a, const entry_key& b) {
    return a.key < b.key;
}

}  // namespace mps3::protocol
