// The change log (replay since a seq, bounds, trimming; seqs strictly increasing across
// trims and reopens), the content cache and the meta table.
#include "replica/replica.hpp"
#include "replica_test_support.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

using namespace mps3::replica;
using mps3::write_op;

namespace {

using mps3::replica::testing::temp_dir;

using mps3::replica::testing::manual_clock;

replica open_replica(const temp_dir& dir, const manual_clock& clock = {}) {
    auto r = replica::open(dir.path / "store.db", {.clock = clock});
    REQUIRE(r.has_value());
    return std::move(*r);
}

void write(replica& r, const std::string& key, const std::string& value) {
    REQUIRE(r.enqueue_local_write(std::vector<write_op>{{key, value}}).has_value());
}

}  // namespace

TEST_CASE("replica changes: seqs increase strictly, across trims and reopens") {
    temp_dir dir;
    mps3::change_seq last = 0;
    {
        auto r = open_replica(dir);
        CHECK(r.change_bounds().value().newest == 0);
        CHECK(r.change_bounds().value().oldest == std::nullopt);
        for (int i = 0; i < 10; ++i) {
            write(r, "k" + std::to_string(i), std::to_string(i));
        }
        auto all = r.changes_since(0, 100).value();
        REQUIRE(all.size() == 10);
        for (std::size_t i = 1; i < all.size(); ++i) {
            CHECK(all[i].seq > all[i - 1].seq);
        }
        last = all.back().seq;
        CHECK(r.change_bounds().value().newest == last);
        // Trim everything: the next seq must still be larger (no reuse after a trim).
        CHECK(r.trim_changes_keep_last(0).value() == 10);
        CHECK(r.change_bounds().value().oldest == std::nullopt);
        CHECK(r.change_bounds().value().newest == last);
    }
    auto r = open_replica(dir);
    CHECK(r.change_bounds().value().newest == last);
    write(r, "after", "1");
    auto rows = r.changes_since(0, 100).value();
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].seq > last);
}

TEST_CASE("replica changes: replay since a seq, in pages") {
    temp_dir dir;
    auto r = open_replica(dir);
    for (int i = 0; i < 25; ++i) {
        write(r, "k", std::to_string(i));
    }
    mps3::change_seq since = 0;
    std::vector<std::string> seen;
    for (;;) {
        auto page = r.changes_since(since, 10).value();
        if (page.empty()) {
            break;
        }
        CHECK(page.size() <= 10);
        for (const auto& c : page) {
            CHECK(c.seq > since);
            since = c.seq;
            seen.push_back(*c.new_value);
        }
    }
    REQUIRE(seen.size() == 25);
    CHECK(seen.front() == "0");
    CHECK(seen.back() == "24");
    auto rows = r.changes_since(0, 3).value();
    CHECK(rows[1].old_value == "0");  // each row carries the value it replaced
    CHECK(r.changes_since(since, 10).value().empty());
    CHECK(r.changes_since(0, 0).value().empty());
}

TEST_CASE("replica changes: trimming keeps the newest rows, or those after a time") {
    temp_dir dir;
    manual_clock clock;
    auto r = open_replica(dir, clock);
    for (int i = 0; i < 10; ++i) {
        write(r, "k", std::to_string(i));
        *clock.ms += 1000;
    }
    const auto first = r.change_bounds().value().oldest.value();

    CHECK(r.trim_changes_keep_last(20).value() == 0);
    CHECK(r.trim_changes_keep_last(7).value() == 3);
    auto b = r.change_bounds().value();
    CHECK(b.oldest == first + 3);
    CHECK(b.newest == first + 9);

    // Rows stamped t0 + 0s ... t0 + 9s; keep those from t0 + 6s.
    const auto cutoff = time_point(std::chrono::milliseconds(1'700'000'000'000 + 6000));
    CHECK(r.trim_changes_before(cutoff).value() == 3);
    auto rest = r.changes_since(0, 100).value();
    REQUIRE(rest.size() == 4);
    CHECK(rest.front().at == cutoff);
    CHECK(r.trim_changes_keep_last(-1).has_value() == false);

    // A subscriber that resumes from before the oldest retained row has a gap and must
    // resync: the bounds tell it so.
    b = r.change_bounds().value();
    const mps3::change_seq stale_since = first;
    CHECK(stale_since + 1 < *b.oldest);
}

TEST_CASE("replica content cache: immutable objects, get/put/trim") {
    temp_dir dir;
    manual_clock clock;
    auto r = open_replica(dir, clock);
    const auto put = [&r](std::string_view key, std::string_view version, std::string_view value) {
        const content_item item{.key = key, .version = version, .value = value};
        return r.put_contents(std::span<const content_item>(&item, 1)).has_value();
    };
    CHECK(r.get_content("k", "v1").value() == std::nullopt);
    REQUIRE(put("k", "v1", "{\"a\":1}"));
    REQUIRE(put("k", "v1", "{\"other\":2}"));  // ignored: immutable
    CHECK(r.get_content("k", "v1").value() == "{\"a\":1}");
    CHECK(r.get_content("k", "v2").value() == std::nullopt);
    // Keys may contain '@': the tuple is stored, not the joined object key.
    REQUIRE(put("a@b", "c", "1"));
    REQUIRE(put("a", "b@c", "2"));
    CHECK(r.get_content("a@b", "c").value() == "1");
    CHECK(r.get_content("a", "b@c").value() == "2");

    for (int i = 0; i < 10; ++i) {
        *clock.ms += 1;
        REQUIRE(put("bulk", std::to_string(i), "0"));
    }
    CHECK(r.trim_content_cache(4).value() == 9);
    CHECK(r.get_content("bulk", "9").value() == "0");
    CHECK(r.get_content("bulk", "5").value() == std::nullopt);
}

TEST_CASE("replica content cache: many items in one call, duplicates and existing ones kept") {
    temp_dir dir;
    auto r = open_replica(dir);
    const content_item first{.key = "k", .version = "v1", .value = "1"};
    REQUIRE(r.put_contents(std::span<const content_item>(&first, 1)).has_value());
    std::vector<std::string> versions;
    for (int i = 0; i < 500; ++i) {
        versions.push_back("v" + std::to_string(i));
    }
    std::vector<content_item> items;
    for (const auto& v : versions) {
        items.push_back({.key = "k", .version = v, .value = "2"});
    }
    items.push_back({.key = "k", .version = "v7", .value = "3"});  // a duplicate in the call
    REQUIRE(r.put_contents(items).has_value());
    CHECK(r.get_content("k", "v1").value() == "1");  // already there: not overwritten
    CHECK(r.get_content("k", "v7").value() == "2");  // the first copy in the call wins
    CHECK(r.get_content("k", "v499").value() == "2");
    CHECK(r.put_contents({}).has_value());
}

TEST_CASE("replica meta: get, set (one or many, atomically), erase, across reopen") {
    temp_dir dir;
    {
        auto r = open_replica(dir);
        CHECK(r.get_meta(meta_key::session_id).value() == std::nullopt);
        REQUIRE(r.set_meta(meta_key::session_id, "a1f").has_value());
        REQUIRE(r.set_meta(meta_key::session_id, "b2e").has_value());
        const std::vector<std::pair<std::string, std::string>> many = {
            {std::string(meta_key::session_counter), "17"},
            {std::string(meta_key::clock_offset_ms), "-1250"},
            {std::string(meta_key::last_sync_at), "1700000000000"}};
        REQUIRE(r.set_meta(many).has_value());
        REQUIRE(r.set_meta("scratch", "x").has_value());
        REQUIRE(r.erase_meta("scratch").has_value());
        REQUIRE(r.erase_meta("never-set").has_value());
    }
    auto r = open_replica(dir);
    CHECK(r.get_meta(meta_key::session_id).value() == "b2e");
    CHECK(r.get_meta(meta_key::session_counter).value() == "17");
    CHECK(r.get_meta(meta_key::clock_offset_ms).value() == "-1250");
    CHECK(r.get_meta("scratch").value() == std::nullopt);
}
