// The OS-backed random source of content versions and session ids (engine/os_random.hpp): words
// that do not repeat, within one source, across sources (two daemons started together), and
// across the buffer refills.
#include "engine/os_random.hpp"
#include "protocol/uuid.hpp"

#include <doctest/doctest.h>

#include <array>
#include <bit>
#include <set>

using mps3::engine::os_random;

TEST_CASE("os random: words do not repeat, across refills and across sources") {
    os_random a;
    os_random b;
    std::set<std::uint64_t> seen;
    // 10,000 draws each: many refills of 64 words. A repeat among 20,000 uniform 64-bit words
    // has probability about 1e-11; a seeded PRNG shared by both sources would repeat at once.
    for (int i = 0; i < 10000; ++i) {
        CHECK(seen.insert(a()).second);
        CHECK(seen.insert(b()).second);
    }
}

TEST_CASE("os random: every bit varies (not a constant, not a counter's low bits only)") {
    os_random r;
    std::array<int, 64> ones{};
    constexpr int draws = 4096;
    for (int i = 0; i < draws; ++i) {
        const auto word = r();
        for (int bit = 0; bit < 64; ++bit) {
            ones[static_cast<std::size_t>(bit)] += static_cast<int>((word >> bit) & 1U);
        }
    }
    // Binomial(4096, 1/2): 40 %..60 % is more than 12 standard deviations wide.
    for (int bit = 0; bit < 64; ++bit) {
        INFO("bit " << bit);
        CHECK(ones[static_cast<std::size_t>(bit)] > draws * 4 / 10);
        CHECK(ones[static_cast<std::size_t>(bit)] < draws * 6 / 10);
    }
}

TEST_CASE("os random: as the protocol's random source, version-4 UUIDs that differ") {
    os_random r;
    const mps3::protocol::random_source source = [&r] { return r(); };
    const auto first = mps3::protocol::uuid_v4(source);
    const auto second = mps3::protocol::uuid_v4(source);
    CHECK(first != second);
    CHECK(first[14] == '4');
}
