// The entry key codec against the examples of BUCKET_FORMAT.md section 3, and the parse rules
// that keep other manifests' entries and foreign objects out of a manifest's log.
#include "protocol/entry_key.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace mps3::protocol;

namespace {
timestamp at(std::int64_t ms) {
    return timestamp(milliseconds(ms));
}
constexpr std::int64_t example_ms = 1795441251921;  // 2026-11-23T13:40:51.921Z
}  // namespace

TEST_CASE("entry_key: ts9 examples of the bucket format") {
    CHECK(encode_ts9(at(0)) == "3vvvvvvvv");
    CHECK(encode_ts9(at(example_ms)) == "2bnrlpade");
    CHECK(encode_ts9(at(max_entry_time_ms)) == "000000000");
    CHECK(encode_ts9(at(1)) == "3vvvvvvvu");
    // Out of range stamps are clamped rather than producing a key of another length.
    CHECK(encode_ts9(at(-5)) == "3vvvvvvvv");
    CHECK(encode_ts9(at(max_entry_time_ms + 1)) == "000000000");
}

TEST_CASE("entry_key: ts9 sorts newer first") {
    CHECK(encode_ts9(at(example_ms + 1)) < encode_ts9(at(example_ms)));
    CHECK(encode_ts9(at(example_ms + 1000)) < encode_ts9(at(example_ms)));
    CHECK(encode_ts9(at(1)) < encode_ts9(at(0)));
}

TEST_CASE("entry_key: b32") {
    CHECK(to_b32(0) == "0");
    CHECK(to_b32(31) == "v");
    CHECK(to_b32(32) == "10");
    CHECK(to_b32(1023, 2) == "vv");
    CHECK(to_b32(5, 3) == "005");
    CHECK(to_b32(1024, 2) == "100");  // padding never truncates
}

TEST_CASE("entry_key: ts decode mirrors parseInt(digits, 32)") {
    CHECK(decode_ts("2bnrlpade") == at(example_ms));
    CHECK(decode_ts("3vvvvvvvv") == at(0));
    CHECK(decode_ts("000000000") == at(max_entry_time_ms));
    for (const std::int64_t t : {std::int64_t{0}, std::int64_t{1}, std::int64_t{999},
                                 std::int64_t{1700000000000}, example_ms, max_entry_time_ms}) {
        CHECK(decode_ts(encode_ts9(at(t))) == at(t));
    }
    // 'w'..'z' pass the key pattern but stop parseInt: only the leading digits count.
    CHECK(decode_ts("2bnrlpadew") == at(example_ms));
    const std::int64_t eight_digits = (max_entry_time_ms - example_ms - 14) / 32;  // "2bnrlpad"
    CHECK(decode_ts("2bnrlpadw") == at(max_entry_time_ms - eight_digits));
    CHECK(decode_ts("2bnrlpad") == at(max_entry_time_ms - eight_digits));
    // No leading digit: NaN in JavaScript, no time here.
    CHECK_FALSE(decode_ts("w2bnrlpad").has_value());
    CHECK_FALSE(decode_ts("").has_value());
    // Too many digits: beyond any reachable time.
    CHECK_FALSE(decode_ts("1000000000000").has_value());
    CHECK(decode_ts("vvvvvvvvvvvv").has_value());   // 12 digits: a (very negative) time
    CHECK(decode_ts("vvvvvvvvv").value() < at(0));  // above 2^42: before 1970
}

TEST_CASE("entry_key: counter") {
    CHECK(encode_counter(0) == "vv");
    CHECK(encode_counter(1) == "vu");
    CHECK(encode_counter(31) == "v0");
    CHECK(encode_counter(32) == "uv");
    CHECK(encode_counter(1023) == "00");
    CHECK(encode_counter(1024) == "00");  // clamped: never "-1" like MPS3
    // Later writes of a session sort first, like later stamps.
    for (unsigned n = 0; n + 1 < session_entry_limit; ++n) {
        REQUIRE(encode_counter(n + 1) < encode_counter(n));
    }
}

TEST_CASE("entry_key: session ids") {
    CHECK(make_session_id(0) == "000");
    CHECK(make_session_id(0xabc) == "abc");
    CHECK(make_session_id(0xffffffffffff1f2aULL) == "f2a");  // only the low 12 bits
    CHECK(make_session_id(0x0f0) == "0f0");
}

TEST_CASE("entry_key: format") {
    CHECK(format_entry_key("manifest.json", at(example_ms), "a1f", 0) ==
          "manifest.json@2bnrlpade_a1f_vv");
    CHECK(format_entry_key("dir/m", at(0), "000", 1023) == "dir/m@3vvvvvvvv_000_00");
    CHECK(entry_prefix("manifest.json") == "manifest.json@");
    CHECK(listing_start_after("manifest.json", at(example_ms - 10000)) ==
          "manifest.json@2bnrlpade");
}

TEST_CASE("entry_key: parse round trip") {
    for (const unsigned n : {0U, 1U, 500U, 1023U}) {
        const auto key = format_entry_key("manifest.json", at(example_ms), "a1f", n);
        const auto parsed = parse_entry_key("manifest.json", key);
        REQUIRE(parsed.has_value());
        CHECK(parsed->key == key);
        CHECK(parsed->ts == at(example_ms));
        CHECK(parsed->session == "a1f");
        CHECK(parsed->counter == encode_counter(n));
    }
    // The pattern is wider than what MPS3 writes: any session length, any [0-9a-z] counter.
    const auto wide = parse_entry_key("m", "m@2bnrlpade_sessionxyz_zz");
    REQUIRE(wide.has_value());
    CHECK(wide->session == "sessionxyz");
    CHECK(wide->counter == "zz");
    // Pattern-valid but undecodable stamp: an entry, with no time.
    const auto nan = parse_entry_key("m", "m@wwwwwwwww_abc_vv");
    REQUIRE(nan.has_value());
    CHECK_FALSE(nan->ts.has_value());
}

TEST_CASE("entry_key: parse rejects what is not an entry of this manifest") {
    const std::vector<std::string> not_entries = {
        "manifest.json",                     // the marker itself
        "manifest.json@",                    // empty suffix
        "manifest.json@2bnrlpade",           // no session, no counter
        "manifest.json@2bnrlpade_a1f",       // no counter
        "manifest.json@2bnrlpade_a1f_v",     // counter too short
        "manifest.json@2bnrlpade_a1f_vvv",   // counter too long
        "manifest.json@2bnrlpade__vv",       // empty session
        "manifest.json@_a1f_vv",             // empty stamp
        "manifest.json@2bnrlpade_A1F_vv",    // upper case
        "manifest.json@2bnrlpade_a-f_vv",    // foreign character
        "manifest.json@2bnrlpade_a1f_vv ",   // trailing junk
        "manifest.json@2bnrlpade_a1f_vv\n",  // '$' of a JS regex does not match before \n
        "manifest.json@6f1c9a0e-1b2c-4d5e-8f90-a1b2c3d4e5f6",  // content of a key named M
        "manifest.json@x@2bnrlpade_a1f_vv",      // entry of manifest "manifest.json@x"
        "manifest.json2@2bnrlpade_a1f_vv",       // entry of manifest "manifest.json2"
        "other/manifest.json@2bnrlpade_a1f_vv",  // entry of manifest "other/manifest.json"
        "manifest.jso@2bnrlpade_a1f_vv",         // shorter manifest name
        "",
    };
    for (const auto& key : not_entries) {
        CHECK_MESSAGE(!parse_entry_key("manifest.json", key).has_value(), key);
    }
    // The other manifests do own their entries.
    CHECK(parse_entry_key("manifest.json2", "manifest.json2@2bnrlpade_a1f_vv").has_value());
    CHECK(
        parse_entry_key("other/manifest.json", "other/manifest.json@2bnrlpade_a1f_vv").has_value());
    CHECK(parse_entry_key("manifest.json@x", "manifest.json@x@2bnrlpade_a1f_vv").has_value());
}

TEST_CASE("entry_key: order is newest first, same-millisecond ties by session then counter") {
    std::vector<std::string> keys = {
        format_entry_key("m", at(example_ms), "abc", 0),
        format_entry_key("m", at(example_ms), "abc", 1),
        format_entry_key("m", at(example_ms), "abd", 5),
        format_entry_key("m", at(example_ms), "0ff", 9),
        format_entry_key("m", at(example_ms + 1), "fff", 0),
        format_entry_key("m", at(example_ms - 1), "000", 1023),
    };
    std::vector<entry_key> entries;
    entries.reserve(keys.size());
    for (const auto& key : keys) {
        entries.push_back(parse_entry_key("m", key).value());
    }
    std::sort(entries.begin(), entries.end(), newer_than);
    std::vector<std::string> sorted;
    sorted.reserve(entries.size());
    for (const auto& e : entries) {
        sorted.push_back(e.key);
    }
    CHECK(sorted == std::vector<std::string>{keys[4], keys[3], keys[1], keys[0], keys[2], keys[5]});
    // Byte order, like S3's listing: '_' (0x5f) sorts after digits and before letters.
    CHECK(newer_than(parse_entry_key("m", "m@2bnrlpade_ab0_vv").value(),
                     parse_entry_key("m", "m@2bnrlpade_ab_vv").value()));
    CHECK(newer_than(parse_entry_key("m", "m@2bnrlpade_ab_vv").value(),
                     parse_entry_key("m", "m@2bnrlpade_aba_vv").value()));
}
