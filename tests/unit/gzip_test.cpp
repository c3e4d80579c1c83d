// The gzip codec of compressed bucket objects (protocol/gzip.hpp, docs/bucket-format.md
// "Compressed entries"): what it writes decodes, what `gzip` writes decodes, and what a stranger
// can put in a bucket (truncated, corrupt, trailing garbage, a bomb) fails cleanly and bounded.
#include "protocol/gzip.hpp"
#include "protocol/object_encoding.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <ostream>  // doctest prints std::error_code
#include <random>
#include <string>

using namespace mps3;
using namespace mps3::protocol;

namespace {

// `printf '{"files":{}}' | gzip -n -9`: written by another implementation than ours.
const unsigned char gzip_tool_output[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xab, 0x56, 0x4a, 0xcb, 0xcc, 0x49,
    0x2d, 0x56, 0xb2, 0xaa, 0xae, 0xad, 0x05, 0x00, 0xb8, 0xd6, 0xae, 0xc7, 0x0c, 0x00, 0x00, 0x00};

std::string bytes(const unsigned char* data, std::size_t size) {
    return std::string(reinterpret_cast<const char*>(data), size);
}

std::string encoded(std::string_view plain) {
    auto out = gzip_encode(plain);
    REQUIRE(out.has_value());
    return std::move(*out);
}

// A manifest entry body of n keys, as compressible as a real one (UUID versions).
std::string entry_like(std::size_t n, std::mt19937_64& rng) {
    std::string s = R"({"files":{)";
    for (std::size_t i = 0; i < n; ++i) {
        char version[40];
        std::snprintf(version, sizeof version, "%016llx-4%015llx",
                      static_cast<unsigned long long>(rng()),
                      static_cast<unsigned long long>(rng() >> 4));
        s += (i == 0 ? "" : ",");
        s += R"("bucket/key-)" + std::to_string(i) + R"(":{"version":")" + version +
             R"(","replication":""})";
    }
    return s + R"(},"update":{"files":{}}})";
}

}  // namespace

TEST_CASE("gzip: round trips, empty to megabytes") {
    const std::uint64_t seed = std::random_device{}();
    INFO("seed " << seed);
    std::printf("gzip round trip seed: %llu\n", static_cast<unsigned long long>(seed));
    std::mt19937_64 rng(seed);

    std::string random_bytes(300000, '\0');
    for (auto& c : random_bytes) {
        c = static_cast<char>(rng());
    }
    const std::string entry = entry_like(20000, rng);
    for (const std::string& plain :
         {std::string(), std::string("\"\""), entry, random_bytes, std::string(5u << 20, 'x')}) {
        CAPTURE(plain.size());
        const auto gz = encoded(plain);
        CHECK(has_gzip_magic(gz));
        auto back = gzip_decode(gz);
        REQUIRE(back.has_value());
        CHECK(*back == plain);
    }
    // What it is for: an entry shrinks several times (UUIDs are the incompressible part).
    CHECK(encoded(entry).size() * 3 < entry.size());
}

TEST_CASE("gzip: decodes what the gzip tool writes, and concatenated members") {
    const auto tool = bytes(gzip_tool_output, sizeof gzip_tool_output);
    auto one = gzip_decode(tool);
    REQUIRE(one.has_value());
    CHECK(*one == R"({"files":{}})");

    auto two = gzip_decode(tool + encoded(R"(,"more")"));
    REQUIRE(two.has_value());
    CHECK(*two == R"({"files":{}},"more")");
}

TEST_CASE("gzip: every truncation of a stream fails, none crashes") {
    const auto gz = encoded(R"({"files":{"b/k":{"version":"v","replication":""}}})");
    for (std::size_t n = 0; n < gz.size(); ++n) {
        CAPTURE(n);
        auto cut = gzip_decode(std::string_view(gz).substr(0, n));
        REQUIRE_FALSE(cut.has_value());
        CHECK(cut.err().code == make_error_code(errc::bad_response));
    }
}

TEST_CASE("gzip: garbage is refused with a reason") {
    const auto gz = encoded(R"({"files":{}})");
    const auto refused = [](std::string_view body, std::string_view why) {
        CAPTURE(body.size());
        auto out = gzip_decode(body);
        REQUIRE_FALSE(out.has_value());
        CHECK(out.err().code == make_error_code(errc::bad_response));
        CHECK_MESSAGE(out.err().message.find(why) != std::string::npos, out.err().message);
    };
    refused("", "magic");
    refused(R"({"files":{}})", "magic");
    refused("\x1f\x8b", "truncated");
    refused(std::string("\x1f\x8b\x09\x00", 4) + std::string(20, 'z'), "");  // unknown method

    std::string bad_crc = gz;
    bad_crc[bad_crc.size() - 6] = static_cast<char>(bad_crc[bad_crc.size() - 6] ^ 0x55);
    refused(bad_crc, "check");

    std::string bad_data = gz;
    bad_data[12] = static_cast<char>(0xff);
    CHECK_FALSE(gzip_decode(bad_data).has_value());

    refused(gz + "trailing", "garbage after");
    refused(gz + "\x1f\x8b", "truncated");
}

TEST_CASE("gzip: a bomb fails at the bound, before inflating the rest") {
    const std::string zeros(8u << 20, '\0');
    const auto bomb = encoded(zeros);
    CHECK(bomb.size() < zeros.size() / 100);  // level 1: about 230 to 1 on zeros

    auto capped = gzip_decode(bomb, 1u << 20);
    REQUIRE_FALSE(capped.has_value());
    CHECK(capped.err().code == make_error_code(errc::bad_response));
    CHECK(capped.err().message.find("more than 1048576 bytes") != std::string::npos);

    // The bound is inclusive: a body of exactly max_decoded bytes is fine.
    auto exact = gzip_decode(bomb, zeros.size());
    REQUIRE(exact.has_value());
    CHECK(exact->size() == zeros.size());
    CHECK_FALSE(gzip_decode(bomb, zeros.size() - 1).has_value());

    // Across members too.
    const auto half = encoded(std::string(600u << 10, 'a'));
    CHECK_FALSE(gzip_decode(half + half, 1u << 20).has_value());
    CHECK(gzip_decode(half + half, 2u << 20).has_value());
}

TEST_CASE("object encoding: Content-Encoding decides, the magic bytes back it up") {
    const std::string json = R"({"files":{}})";
    const auto gz = encoded(json);
    for (const char* header : {"gzip", "GZIP", "x-gzip", " gzip ", "identity, gzip", "gzip,"}) {
        CAPTURE(header);
        auto out = decoded_object_body(gz, header);
        REQUIRE(out.has_value());
        CHECK(*out == json);
    }
    // Plain JSON, with or without a header that says so.
    for (const char* header : {"", "identity"}) {
        auto out = decoded_object_body(json, header);
        REQUIRE(out.has_value());
        CHECK(*out == json);
    }
    // A server or proxy that dropped the header: JSON never starts with 1f 8b.
    auto sniffed = decoded_object_body(gz, "");
    REQUIRE(sniffed.has_value());
    CHECK(*sniffed == json);

    // Said gzip but is not: unreadable, not passed on as JSON.
    auto lying = decoded_object_body(json, "gzip");
    REQUIRE_FALSE(lying.has_value());
    CHECK(lying.err().code == make_error_code(errc::bad_response));

    for (const char* header : {"br", "deflate", "gzip, gzip", "compress"}) {
        CAPTURE(header);
        auto out = decoded_object_body(gz, header);
        REQUIRE_FALSE(out.has_value());
        CHECK(out.err().message.find("not supported") != std::string::npos);
    }

    auto bomb = decoded_object_body(encoded(std::string(3u << 20, ' ')), "gzip", 1u << 20);
    REQUIRE_FALSE(bomb.has_value());
    CHECK(bomb.err().message.find("more than") != std::string::npos);
}
