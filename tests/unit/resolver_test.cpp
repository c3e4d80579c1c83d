// BUCKET_FORMAT.md section 6 on synthetic listings: validity and window edges to the
// millisecond, same-millisecond ties, invalid and foreign keys, other manifests in the bucket.
#include "protocol/resolver.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

using namespace mps3::protocol;

namespace {

constexpr std::int64_t L = 1795441251921;  // the latest entry's stamp in most cases
constexpr std::string_view M = "manifest.json";

timestamp at(std::int64_t ms) {
    return timestamp(milliseconds(ms));
}

// An entry of M stamped ts, listed with LastModified = ts + skew.
listed_object entry(std::int64_t ts, std::int64_t skew = 0, const std::string& session = "a1f",
                    unsigned n = 0) {
    return {format_entry_key(M, at(ts), session, n), at(ts + skew)};
}

std::vector<std::string> keys_of(const std::vector<entry_key>& entries) {
    std::vector<std::string> out;
    out.reserve(entries.size());
    for (const auto& e : entries) {
        out.push_back(e.key);
    }
    return out;
}

std::vector<std::string> keys_of(std::initializer_list<listed_object> objects) {
    std::vector<std::string> out;
    out.reserve(objects.size());
    for (const auto& o : objects) {
        out.push_back(o.key);
    }
    return out;
}

entry_status status_of(const resolve_plan& plan, const std::string& key) {
    const auto it = std::find_if(plan.entries.begin(), plan.entries.end(),
                                 [&](const auto& e) { return e.key.key == key; });
    REQUIRE(it != plan.entries.end());
    return it->status;
}

}  // namespace

TEST_CASE("resolver: empty listing, empty state") {
    const auto plan = plan_resolve(M, {});
    CHECK_FALSE(plan.latest.has_value());
    CHECK(plan.entries.empty());
    CHECK(plan.replay.empty());
    CHECK(plan.garbage.empty());
    CHECK(resolve(nullptr, {}).empty());
}

TEST_CASE("resolver: a single entry is latest and its own replay") {
    const std::vector<listed_object> listing = {entry(L)};
    const auto plan = plan_resolve(M, listing);
    REQUIRE(plan.latest.has_value());
    CHECK(plan.latest->key == listing[0].key);
    CHECK(keys_of(plan.replay) == std::vector<std::string>{listing[0].key});
    CHECK(plan.garbage.empty());
}

TEST_CASE("resolver: validity edge is |ts - LastModified| < 5000 ms") {
    const auto ok_late = entry(L - 10, 4999, "aaa");     // LastModified 4999 ms after ts
    const auto ok_early = entry(L - 20, -4999, "bbb");   // 4999 ms before
    const auto bad_late = entry(L - 30, 5000, "ccc");    // exactly 5000: invalid
    const auto bad_early = entry(L - 40, -5000, "ddd");  // exactly 5000 the other way
    const auto far = entry(L - 50, 3600000, "eee");      // an hour off
    const std::vector<listed_object> listing = {ok_late, ok_early, bad_late, bad_early, far};
    const auto plan = plan_resolve(M, listing);
    CHECK(status_of(plan, ok_late.key) == entry_status::valid);
    CHECK(status_of(plan, ok_early.key) == entry_status::valid);
    CHECK(status_of(plan, bad_late.key) == entry_status::clock_skew);
    CHECK(status_of(plan, bad_early.key) == entry_status::clock_skew);
    CHECK(status_of(plan, far.key) == entry_status::clock_skew);
    CHECK(plan.latest->key == ok_late.key);
    CHECK(keys_of(plan.replay) == keys_of({ok_early, ok_late}));
    CHECK(keys_of(plan.garbage) == keys_of({bad_late, bad_early, far}));
}

TEST_CASE("resolver: replay window is ts > ts(latest) - 5000 ms") {
    const auto latest = entry(L, 0, "aaa");
    const auto inside = entry(L - 4999, 0, "bbb");
    const auto edge = entry(L - 5000, 0, "ccc");  // exactly 5000 before: folded, not replayed
    const auto older = entry(L - 5001, 0, "ddd");
    const auto ancient = entry(L - 86400000, 0, "eee");
    const std::vector<listed_object> listing = {ancient, edge, latest, older, inside};
    const auto plan = plan_resolve(M, listing);
    CHECK(plan.latest->key == latest.key);
    CHECK(keys_of(plan.replay) == keys_of({inside, latest}));
    CHECK(keys_of(plan.garbage) == keys_of({edge, older, ancient}));
    // Entries come out in reader order whatever the listing order.
    CHECK(plan.entries.front().key.key == latest.key);
    CHECK(plan.entries.back().key.key == ancient.key);
}

TEST_CASE("resolver: same-millisecond ties order by session, then counter") {
    // Four entries in the same millisecond. Newest first: "0ff" < "abc" (bytes), and in session
    // "abc" counter 1 ("vu") before counter 0 ("vv").
    const auto a0 = entry(L, 0, "abc", 0);
    const auto a1 = entry(L, 0, "abc", 1);
    const auto b = entry(L, 0, "0ff", 7);
    const auto c = entry(L, 0, "fff", 3);
    const auto before = entry(L - 1, 0, "000", 0);
    const std::vector<listed_object> listing = {a0, c, before, b, a1};
    const auto plan = plan_resolve(M, listing);
    CHECK(plan.latest->key == b.key);
    CHECK(keys_of(plan.replay) == keys_of({before, c, a0, a1, b}));
    CHECK(plan.garbage.empty());
}

TEST_CASE("resolver: an invalid entry newer than every valid one is not latest") {
    const auto skewed = entry(L + 2000, -6000, "bad");  // newest key, but written 6 s off
    const auto latest = entry(L, 0, "aaa");
    const auto old = entry(L - 7000, 0, "bbb");
    const std::vector<listed_object> listing = {skewed, latest, old};
    const auto plan = plan_resolve(M, listing);
    CHECK(plan.latest->key == latest.key);
    CHECK(keys_of(plan.replay) == keys_of({latest}));
    CHECK(keys_of(plan.garbage) == keys_of({skewed, old}));
}

TEST_CASE("resolver: only invalid entries give the empty state, and are all garbage") {
    const auto a = entry(L, 5000);
    const auto b = entry(L - 1, -9000, "bbb");
    const listed_object nan{std::string(M) + "@wwwwwwwww_abc_vv", at(L)};
    const std::vector<listed_object> listing = {a, b, nan};
    const auto plan = plan_resolve(M, listing);
    CHECK_FALSE(plan.latest.has_value());
    CHECK(plan.replay.empty());
    CHECK(status_of(plan, nan.key) == entry_status::no_timestamp);
    CHECK(plan.garbage.size() == 3);
}

TEST_CASE("resolver: foreign keys and other manifests are neither entries nor garbage") {
    const auto latest = entry(L);
    const std::vector<listed_object> listing = {
        latest,
        {std::string(M), at(L)},  // the marker
        {std::string(M) + "@6f1c9a0e-1b2c-4d5e-8f90-a1b2c3d4e5f6",
         at(L - 99999999)},  // content of key M
        {std::string(M) + "@x@" + encode_ts9(at(L + 1)) + "_abc_vv", at(L + 1)},  // manifest "M@x"
        {"manifest.json2@" + encode_ts9(at(L + 1)) + "_abc_vv", at(L + 1)},
        {"other/manifest.json@" + encode_ts9(at(L + 1)) + "_abc_vv", at(L + 1)},
        {std::string(M) + "@" + encode_ts9(at(L + 1)) + "_abc_vvv", at(L + 1)},  // junk
        {"", std::nullopt},
    };
    const auto plan = plan_resolve(M, listing);
    CHECK(plan.foreign == 7);
    CHECK(plan.entries.size() == 1);
    CHECK(plan.latest->key == latest.key);
    CHECK(plan.garbage.empty());
}

TEST_CASE("resolver: manifests sharing a bucket each see only their own entries") {
    // A bucket listing of everything, planned for each manifest.
    const listed_object m1{"manifest.json@" + encode_ts9(at(L)) + "_aaa_vv", at(L)};
    const listed_object m2{"manifest.json2@" + encode_ts9(at(L + 1)) + "_bbb_vv", at(L + 1)};
    const listed_object m3{"other/manifest.json@" + encode_ts9(at(L + 2)) + "_ccc_vv", at(L + 2)};
    const std::vector<listed_object> listing = {m1, m2, m3};
    CHECK(plan_resolve("manifest.json", listing).latest->key == m1.key);
    CHECK(plan_resolve("manifest.json2", listing).latest->key == m2.key);
    CHECK(plan_resolve("other/manifest.json", listing).latest->key == m3.key);
    CHECK_FALSE(plan_resolve("manifest", listing).latest.has_value());
    CHECK(plan_resolve("manifest.json", listing).foreign == 2);
}

TEST_CASE("resolver: a listing without LastModified is not time-checked, like MPS3") {
    const listed_object e{format_entry_key(M, at(L), "abc", 0), std::nullopt};
    const std::vector<listed_object> listing = {e};
    const auto plan = plan_resolve(M, listing);
    CHECK(status_of(plan, e.key) == entry_status::valid);
    CHECK(plan.latest->key == e.key);
}

TEST_CASE("resolver: an unreadable latest yields to the next valid entry") {
    const auto bad = entry(L, 0, "bad");
    const auto prev = entry(L - 3000, 0, "aaa");
    const auto older = entry(L - 7000, 0, "bbb");
    const auto ancient = entry(L - 9000, 0, "ccc");
    const std::vector<listed_object> listing = {bad, prev, older, ancient};
    const auto first = plan_resolve(M, listing);
    CHECK(first.latest->key == bad.key);
    CHECK(keys_of(first.replay) == keys_of({prev, bad}));

    const std::vector<std::string> unreadable = {bad.key};
    const auto plan = plan_resolve(M, listing, unreadable);
    CHECK(status_of(plan, bad.key) == entry_status::unreadable);
    CHECK(plan.latest->key == prev.key);
    // The window now hangs off prev: older (4000 ms before prev) is replayed again.
    CHECK(keys_of(plan.replay) == keys_of({older, prev}));
    CHECK(keys_of(plan.garbage) == keys_of({ancient}));  // the unreadable one is kept for now

    // An unreadable entry behind the window is collected like any folded entry.
    const std::vector<std::string> old_unreadable = {ancient.key};
    const auto later = plan_resolve(M, listing, old_unreadable);
    CHECK(later.latest->key == bad.key);
    CHECK(keys_of(later.garbage) == keys_of({older, ancient}));
}

TEST_CASE("resolver: pages glued twice do not replay twice") {
    const auto a = entry(L);
    const auto b = entry(L - 100, 0, "bbb");
    const std::vector<listed_object> listing = {a, b, a, b};
    const auto plan = plan_resolve(M, listing);
    CHECK(plan.entries.size() == 2);
    CHECK(keys_of(plan.replay) == keys_of({b, a}));
}

TEST_CASE("resolver: resolve folds the window over latest.files") {
    // E1 is folded into everything newer. E3 was written concurrently with E4 (its writer had not
    // seen E2, and E4's writer had not seen E3): replaying the window recovers both.
    entry_body e2;
    e2.files = {{"b/a", {"v1", ""}}};
    e2.update = {{"b/b", file_state{"v2", ""}}};
    entry_body e3;
    e3.files = {{"b/a", {"v1", ""}}};
    e3.update = {{"b/c", file_state{"v3", ""}}};
    entry_body e4;
    e4.files = {{"b/a", {"v1", ""}}, {"b/b", {"v2", ""}}};
    e4.update = {{"b/a", std::nullopt}};

    const std::vector<listed_object> listing = {entry(L - 6000, 0, "e1e"),
                                                entry(L - 3000, 0, "e2e"),
                                                entry(L - 1000, 0, "e3e"), entry(L, 0, "e4e")};
    const auto plan = plan_resolve(M, listing);
    REQUIRE(plan.replay.size() == 3);
    const std::vector<const entry_body*> bodies = {&e2, &e3, &e4};
    CHECK(resolve(&e4, bodies) == manifest_state{{"b/b", {"v2", ""}}, {"b/c", {"v3", ""}}});

    // Replay order matters: a later put of the same key wins.
    entry_body p1;
    p1.update = {{"b/k", file_state{"old", ""}}};
    entry_body p2;
    p2.update = {{"b/k", file_state{"new", ""}}};
    const std::vector<const entry_body*> ordered = {&p1, &p2};
    CHECK(resolve(&p2, ordered).at("b/k").version == "new");
    const std::vector<const entry_body*> with_gap = {&p1, nullptr, &p2};
    CHECK(resolve(&p2, with_gap).at("b/k").version == "new");
}
