// The read cache (engine/read_cache.hpp): its LRU bound, and, with a real store, that it never
// answers a stale value: after a local write, after another writer's change applied by a poll,
// inside a subscriber's handler, and for getAll mixing cached and read keys.
#include "async_test.hpp"
#include "engine_fixture.hpp"
#include "replica_test_support.hpp"
#include "scripted_bucket.hpp"

#include "engine/read_cache.hpp"

#include <mps3/store.hpp>

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

namespace {

using namespace mps3;
using mps3::engine::read_cache;
using mps3::test::eventually;
using mps3::test::run_async;
namespace asio = boost::asio;
using std::chrono::milliseconds;

std::size_t cost_of(std::string_view key, std::string_view value) {
    return read_cache::entry_overhead + key.size() + value.size();
}

struct cached_stores {
    mps3::replica::testing::temp_dir dir;
    std::shared_ptr<mps3::test::scripted_bucket_state> bucket =
        std::make_shared<mps3::test::scripted_bucket_state>();
    int opened = 0;

    std::unique_ptr<store> open(asio::any_io_executor ex, std::size_t cache_bytes = 1 << 20) {
        store_config c;
        c.bucket = "b";
        c.replica_path = dir.path / ("replica-" + std::to_string(++opened) + ".sqlite");
        c.poll_interval = milliseconds(10);
        c.sync_mode = durability::normal;
        c.read_cache_bytes = cache_bytes;
        c.make_bucket = [state = bucket](asio::any_io_executor e) {
            return mps3::test::make_scripted_bucket(std::move(e), state);
        };
        auto s = store::open(ex, std::move(c));
        REQUIRE_MESSAGE(s.has_value(), (s ? "" : s.err().describe()));
        return std::move(*s);
    }
};

std::string value_in(store& s, const std::string& key) {
    auto got = s.get(key);
    REQUIRE_MESSAGE(got.has_value(), (got ? "" : got.err().describe()));
    return *got ? **got : std::string("<absent>");
}

}  // namespace

TEST_CASE("read cache: hits, misses, absent keys and erase") {
    read_cache cache(1 << 20);
    CHECK(cache.find("k") == nullptr);
    cache.insert("k", std::string("1"));
    cache.insert("gone", std::nullopt);
    const auto* k = cache.find("k");
    REQUIRE(k != nullptr);
    CHECK(**k == "1");
    const auto* gone = cache.find("gone");
    REQUIRE(gone != nullptr);
    CHECK_FALSE(gone->has_value());
    CHECK(cache.hits() == 2);
    CHECK(cache.misses() == 1);
    CHECK(cache.bytes() == cost_of("k", "1") + cost_of("gone", ""));
    cache.insert("k", std::string("22"));  // replaces, bytes follow
    CHECK(**cache.find("k") == "22");
    CHECK(cache.bytes() == cost_of("k", "22") + cost_of("gone", ""));
    cache.erase("k");
    CHECK(cache.find("k") == nullptr);
    CHECK(cache.size() == 1);
    cache.clear();
    CHECK(cache.size() == 0);
    CHECK(cache.bytes() == 0);
}

TEST_CASE("read cache: bounded by bytes, the least recently used key goes first") {
    const std::string value(100, 'v');
    const auto key = [](int i) { return std::string(1, static_cast<char>('a' + i)); };
    const auto one = cost_of("a", value);  // every key is one letter: every entry costs this
    read_cache cache(10 * one);
    for (int i = 0; i < 10; ++i) {
        cache.insert(key(i), value);
    }
    CHECK(cache.size() == 10);
    CHECK(cache.bytes() == 10 * one);
    CHECK(cache.find("a") != nullptr);  // a is now the most recently used; b the least
    cache.insert(key(10), value);
    CHECK(cache.size() == 10);
    CHECK(cache.bytes() == 10 * one);
    CHECK(cache.find("b") == nullptr);
    CHECK(cache.find("a") != nullptr);
    CHECK(cache.find(key(10)) != nullptr);
    // A value over an eighth of the bound is not worth the room it would take.
    cache.insert("big", std::string(2 * one, 'b'));
    CHECK(cache.find("big") == nullptr);
    CHECK(cache.size() == 10);
    read_cache off(0);
    off.insert("k", std::string("1"));
    CHECK(off.find("k") == nullptr);
    CHECK(off.bytes() == 0);
}

TEST_CASE("read cache: a store's gets are served from it and never stale") {
    cached_stores f;
    run_async([&](auto ex) -> asio::awaitable<int> {
        auto a = f.open(ex);
        auto b = f.open(ex);
        REQUIRE(a->put("k", "1").has_value());
        CHECK(value_in(*a, "k") == "1");
        CHECK(value_in(*a, "k") == "1");
        auto st = a->get_status();
        CHECK(st.read_cache_hits >= 1);
        CHECK(st.read_cache_bytes > 0);

        SUBCASE("a local write replaces the cached value") {
            std::vector<write_op> ops;
            ops.push_back({.key = "k", .value = "2"});
            auto done = co_await a->async_put_all(std::move(ops));
            REQUIRE(done.has_value());
            CHECK(value_in(*a, "k") == "2");
            REQUIRE(a->del("k").has_value());
            CHECK(value_in(*a, "k") == "<absent>");
        }
        SUBCASE("another writer's change, and the subscriber reads the new value") {
            CHECK(value_in(*b, "k") == "<absent>");  // cached absent on b, before it syncs
            std::vector<std::string> seen_in_handler;
            auto sub = b->subscribe_key("k", [&](const change_event& e) {
                if (e.origin == change_origin::remote) {
                    seen_in_handler.push_back(value_in(*b, "k"));
                }
            });
            auto flushed = co_await a->async_flush(milliseconds(20000));
            REQUIRE(flushed.has_value());
            REQUIRE(
                co_await eventually([&] { return value_in(*b, "k") == "1"; }, milliseconds(10000)));
            REQUIRE(!seen_in_handler.empty());
            CHECK(seen_in_handler.front() == "1");
            REQUIRE(a->put("k", "3").has_value());
            auto flushed_again = co_await a->async_flush(milliseconds(20000));
            REQUIRE(flushed_again.has_value());
            REQUIRE(
                co_await eventually([&] { return value_in(*b, "k") == "3"; }, milliseconds(10000)));
        }
        SUBCASE("getAll mixes cached keys and read ones into one answer") {
            REQUIRE(a->put("other", "\"o\"").has_value());
            auto all = a->get_all({"k", "other", "nothing", "k"});
            REQUIRE(all.has_value());
            REQUIRE(all->size() == 4);
            CHECK((*all)[0] == std::optional<std::string>("1"));
            CHECK((*all)[1] == std::optional<std::string>("\"o\""));
            CHECK_FALSE((*all)[2].has_value());
            CHECK((*all)[3] == std::optional<std::string>("1"));
            REQUIRE(a->put("other", "5").has_value());
            auto again = a->get_all({"other", "k"});
            REQUIRE(again.has_value());
            CHECK((*again)[0] == std::optional<std::string>("5"));
        }
        co_await a->async_close();
        co_await b->async_close();
        co_return 0;
    });
}

TEST_CASE("read cache: read_cache_bytes = 0 reads the replica every time") {
    cached_stores f;
    run_async([&](auto ex) -> asio::awaitable<int> {
        auto a = f.open(ex, 0);
        REQUIRE(a->put("k", "1").has_value());
        CHECK(value_in(*a, "k") == "1");
        CHECK(value_in(*a, "k") == "1");
        CHECK(a->get_status().read_cache_hits == 0);
        CHECK(a->get_status().read_cache_bytes == 0);
        co_await a->async_close();
        co_return 0;
    });
}
