// list(prefix, limit, after) over the merged view: byte-range prefixes (no LIKE: '%' and '_'
// are plain characters), cursor pagination, the overlay, and a randomized cross-check
// against a std::map model.
#include "replica/replica.hpp"
#include "replica_test_support.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <ostream>
#include <random>
#include <string>
#include <vector>

using namespace mps3::replica;
using mps3::write_op;

namespace {

using mps3::replica::testing::temp_dir;

replica open_replica(const temp_dir& dir) {
    auto r = replica::open(dir.path / "store.db", {.synchronous = sync_mode::normal});
    REQUIRE(r.has_value());
    return std::move(*r);
}

remote_change remote_put(std::string key, std::string value) {
    return {std::move(key), confirmed_value{std::move(value), "v", "b", ""}};
}

void seed_remote(replica& r, const std::vector<std::string>& keys) {
    std::vector<remote_change> diff;
    diff.reserve(keys.size());
    for (const auto& k : keys) {
        diff.push_back(remote_put(k, "\"" + k + "\""));
    }
    REQUIRE(r.apply_remote(diff).has_value());
}

std::vector<std::string> keys_of(const list_page& page) {
    std::vector<std::string> out;
    for (const auto& e : page.items) {
        out.push_back(e.key);
    }
    return out;
}

// Every page of a listing, following next_after.
std::vector<std::string> list_all(replica& r, const std::string& prefix, std::size_t limit) {
    std::vector<std::string> out;
    std::optional<std::string> after;
    for (int pages = 0; pages < 10000; ++pages) {
        auto page =
            r.list(prefix, limit, after ? std::optional<std::string_view>(*after) : std::nullopt);
        REQUIRE(page.has_value());
        CHECK(page->items.size() <= limit);
        for (const auto& e : page->items) {
            out.push_back(e.key);
        }
        if (!page->next_after) {
            return out;
        }
        CHECK(page->items.size() == limit);
        CHECK(*page->next_after == page->items.back().key);
        after = page->next_after;
    }
    FAIL("pagination did not end");
    return out;
}

}  // namespace

TEST_CASE("replica list: '%' and '_' in a prefix are plain characters") {
    temp_dir dir;
    auto r = open_replica(dir);
    seed_remote(r, {"a", "a%b", "a%c", "aXb", "axb", "a_b", "a_c", "ab", "a\\b", "b%"});
    CHECK(keys_of(r.list("a%", 100).value()) == std::vector<std::string>{"a%b", "a%c"});
    CHECK(keys_of(r.list("a_", 100).value()) == std::vector<std::string>{"a_b", "a_c"});
    CHECK(keys_of(r.list("a\\", 100).value()) == std::vector<std::string>{"a\\b"});
    CHECK(keys_of(r.list("%", 100).value()).empty());
    CHECK(r.list("", 100).value().items.size() == 10);
    CHECK(keys_of(r.list("a%b", 100).value()) == std::vector<std::string>{"a%b"});
}

TEST_CASE("replica list: prefixes at the edges of byte order (UTF-8, 0xff, NUL)") {
    temp_dir dir;
    auto r = open_replica(dir);
    const std::string nul_key("p\0q", 3);
    const std::string ffa = std::string("\xff\xff") + 'a';
    seed_remote(r, {"\xc3\xa9t\xc3\xa9", "\xc3\xa9", "\xc3\xaa", "p", nul_key, "pq", ffa, "\xff",
                    "\xff\xff"});
    CHECK(keys_of(r.list("\xc3\xa9", 100).value()) ==
          std::vector<std::string>{"\xc3\xa9", "\xc3\xa9t\xc3\xa9"});
    // A prefix of only 0xff bytes has no successor: the range is open above.
    CHECK(keys_of(r.list("\xff", 100).value()) ==
          std::vector<std::string>{"\xff", "\xff\xff", ffa});
    CHECK(keys_of(r.list("\xff\xff", 100).value()) == std::vector<std::string>{"\xff\xff",
                                                                               "\xff\xff"
                                                                               "a"});
    CHECK(keys_of(r.list(std::string("p\0", 2), 100).value()) == std::vector<std::string>{nul_key});
    CHECK(keys_of(r.list("p", 100).value()) == std::vector<std::string>{"p", nul_key, "pq"});
}

TEST_CASE("replica list: cursor pagination") {
    temp_dir dir;
    auto r = open_replica(dir);
    std::vector<std::string> keys;
    keys.reserve(25);
    for (int i = 0; i < 25; ++i) {
        keys.push_back((i < 10 ? "item/0" : "item/") + std::to_string(i));
    }
    seed_remote(r, keys);
    seed_remote(r, {"item", "iteM/x", "items/x", "other"});

    auto p1 = r.list("item/", 10).value();
    CHECK(p1.items.size() == 10);
    CHECK(p1.items.front().key == "item/00");
    REQUIRE(p1.next_after == "item/09");
    auto p2 = r.list("item/", 10, *p1.next_after).value();
    CHECK(p2.items.front().key == "item/10");
    REQUIRE(p2.next_after == "item/19");
    auto p3 = r.list("item/", 10, *p2.next_after).value();
    CHECK(keys_of(p3) ==
          std::vector<std::string>{"item/20", "item/21", "item/22", "item/23", "item/24"});
    CHECK(p3.next_after == std::nullopt);

    // An exact multiple of the page size ends without an empty extra page.
    CHECK(list_all(r, "item/", 5) == keys);
    CHECK(r.list("item/", 25).value().next_after == std::nullopt);

    // A cursor before the prefix starts at the prefix; one past it gives nothing.
    CHECK(r.list("item/", 3, "a").value().items.front().key == "item/00");
    CHECK(r.list("item/", 3, "item/24").value().items.empty());
    CHECK(r.list("item/", 3, "zzz").value().items.empty());
    // after need not be an existing key.
    CHECK(r.list("item/", 1, "item/10x").value().items.front().key == "item/11");
    CHECK(r.list("item/", 0).value().items.empty());
}

TEST_CASE("replica list: the overlay (pending puts shown, pending deletes hidden)") {
    temp_dir dir;
    auto r = open_replica(dir);
    seed_remote(r, {"k1", "k2", "k3", "k5"});
    REQUIRE(r.enqueue_local_write(std::vector<write_op>{{"k2", "\"new\""}, {"k3", std::nullopt}})
                .has_value());
    REQUIRE(r.enqueue_local_write(std::vector<write_op>{{"k4", "4"}, {"k5", std::nullopt}})
                .has_value());
    REQUIRE(r.enqueue_local_write(std::vector<write_op>{{"k5", "5"}}).has_value());
    auto page = r.list("k", 100).value();
    REQUIRE(page.items.size() == 4);
    CHECK(page.items[0] == entry{"k1", "\"k1\"", "v", false});
    CHECK(page.items[1] == entry{"k2", "\"new\"", std::nullopt, true});
    CHECK(page.items[2] == entry{"k4", "4", std::nullopt, true});
    CHECK(page.items[3] == entry{"k5", "5", std::nullopt, true});  // newest op wins

    // Deleted keys at a page boundary neither count toward the limit nor end the listing.
    CHECK(list_all(r, "k", 1) == std::vector<std::string>{"k1", "k2", "k4", "k5"});
    CHECK(list_all(r, "k", 2) == std::vector<std::string>{"k1", "k2", "k4", "k5"});
}

TEST_CASE("replica list: randomized cross-check against a model") {
    temp_dir dir;
    auto r = open_replica(dir);
    const auto seed = std::random_device{}();
    MESSAGE("seed " << seed);
    std::mt19937 rng(seed);
    const std::string alphabet = "ab%_\xff";
    auto random_key = [&] {
        std::string k;
        const auto n = 1 + rng() % 4;
        for (unsigned i = 0; i < n; ++i) {
            k += alphabet[rng() % alphabet.size()];
        }
        return k;
    };

    std::map<std::string, std::string> confirmed;
    std::map<std::string, std::optional<std::string>> overlay;  // newest op per key
    for (int round = 0; round < 40; ++round) {
        std::vector<remote_change> diff;
        for (int i = 0; i < 10; ++i) {
            auto k = random_key();
            if (rng() % 4 == 0) {
                diff.push_back({k, std::nullopt});
                confirmed.erase(k);
            } else {
                const auto v = std::to_string(rng() % 100);
                diff.push_back(remote_put(k, v));
                confirmed[k] = v;
            }
        }
        REQUIRE(r.apply_remote(diff).has_value());
        std::vector<write_op> batch;
        for (int i = 0; i < 3; ++i) {
            auto k = random_key();
            std::optional<std::string> v;
            if (rng() % 3 != 0) {
                v = "L" + std::to_string(rng() % 100);
            }
            batch.push_back({k, v});
            overlay[k] = v;
        }
        REQUIRE(r.enqueue_local_write(batch).has_value());

        std::map<std::string, std::string> model = confirmed;
        for (const auto& [k, v] : overlay) {
            if (v) {
                model[k] = *v;
            } else {
                model.erase(k);
            }
        }
        const auto prefix = rng() % 3 == 0 ? std::string() : random_key().substr(0, 2);
        std::vector<std::string> expected;
        for (const auto& [k, v] : model) {
            if (k.compare(0, prefix.size(), prefix) == 0) {
                expected.push_back(k);
            }
        }
        const auto limit = 1 + rng() % 7;
        INFO("round " << round << " prefix size " << prefix.size() << " limit " << limit);
        CHECK(list_all(r, prefix, limit) == expected);
        for (const auto& k : expected) {
            auto e = r.get(k).value();
            REQUIRE(e);
            CHECK(e->value == model[k]);
        }
    }
}

TEST_CASE("replica list: a connection holding a snapshot lists one point in time across pages") {
    temp_dir dir;
    replica writer = open_replica(dir);
    seed_remote(writer, {"a", "b", "c", "d"});
    replica reader = open_replica(dir);
    REQUIRE(reader.forbid_writes().has_value());
    REQUIRE(reader.hold_snapshot().has_value());
    auto first = reader.list("", 2);
    REQUIRE(first.has_value());
    CHECK(keys_of(*first) == std::vector<std::string>{"a", "b"});
    // Another connection writes between the pages: a put after the cursor, a delete of a
    // key on the next page, and a key the first page already passed.
    const std::vector<write_op> later{{"c2", "1"}, {"d", std::nullopt}, {"a0", "2"}};
    REQUIRE(writer.enqueue_local_write(later).has_value());
    auto second = reader.list("", 10, first->next_after);
    REQUIRE(second.has_value());
    CHECK(keys_of(*second) == std::vector<std::string>{"c", "d"});
    auto one = reader.get("d");
    REQUIRE(one.has_value());
    CHECK(one->has_value());  // still there in the snapshot
    // A connection without a held snapshot sees the writes.
    CHECK(list_all(writer, "", 10) == std::vector<std::string>{"a", "a0", "b", "c", "c2"});
}
