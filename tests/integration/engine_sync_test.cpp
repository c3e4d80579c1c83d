// Two or more stores on one bucket: writes propagate, deletes propagate and are notified,
// put_all is one entry, group commit coalesces, a restarted store keeps its writes.
#include <doctest/doctest.h>

#include "async_test.hpp"
#include "engine_fixture.hpp"

#include <mps3/store.hpp>

namespace {

using namespace mps3;
using mps3::test::eventually;
using mps3::test::run_async;
using mps3::test::value_of;
namespace asio = boost::asio;
using std::chrono::milliseconds;

std::unique_ptr<store> open_store(asio::any_io_executor ex, store_config config) {
    auto opened = store::open(ex, std::move(config));
    REQUIRE_MESSAGE(opened.has_value(), (opened ? "" : opened.err().describe()));
    return std::move(*opened);
}

}  // namespace

TEST_CASE("a write on one store reaches another; so does a delete, with notifications") {
    test::engine_fixture f("propagate");
    run_async([&](auto ex) -> asio::awaitable<int> {
        co_await f.create_bucket(ex);
        auto a = open_store(ex, f.config());
        auto b = open_store(ex, f.config());
        std::vector<change_event> seen_by_b;
        auto sub = b->subscribe_prefix("", [&](const change_event& e) { seen_by_b.push_back(e); });

        REQUIRE(a->put("greeting", R"({"text": "hello"})").has_value());
        CHECK(value_of(*a, "greeting") == R"({"text":"hello"})");  // read-your-writes, compacted
        const auto started = std::chrono::steady_clock::now();
        REQUIRE(
            co_await eventually([&] { return value_of(*b, "greeting") == R"({"text":"hello"})"; },
                                milliseconds(10000)));
        MESSAGE(
            "propagation A -> B with a 100 ms poll: "
            << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started)
                   .count()
            << " ms");
        REQUIRE_FALSE(seen_by_b.empty());
        CHECK(seen_by_b.back().key == "greeting");
        CHECK(seen_by_b.back().origin == change_origin::remote);
        CHECK_FALSE(seen_by_b.back().old_value.has_value());
        CHECK(seen_by_b.back().new_value == std::optional<std::string>(R"({"text":"hello"})"));

        REQUIRE(a->del("greeting").has_value());
        CHECK(value_of(*a, "greeting") == "<absent>");
        REQUIRE(co_await eventually([&] { return value_of(*b, "greeting") == "<absent>"; },
                                    milliseconds(10000)));
        CHECK(seen_by_b.back().key == "greeting");
        CHECK_FALSE(seen_by_b.back().new_value.has_value());  // remote delete notified
        CHECK(seen_by_b.back().old_value == std::optional<std::string>(R"({"text":"hello"})"));

        auto flushed = co_await a->async_flush(milliseconds(10000));
        CHECK(flushed.has_value());
        co_await a->async_close();
        co_await b->async_close();
        co_return 0;
    });
}

TEST_CASE("put_all is atomic and null is a value, not a delete") {
    test::engine_fixture f("putall");
    run_async([&](auto ex) -> asio::awaitable<int> {
        co_await f.create_bucket(ex);
        auto a = open_store(ex, f.config());
        auto b = open_store(ex, f.config());
        std::vector<write_op> ops;
        for (int i = 0; i < 50; ++i) {
            ops.emplace_back("batch/" + std::to_string(i), std::to_string(i));
        }
        ops.emplace_back("nothing", "null");
        REQUIRE(a->put_all(ops).has_value());
        std::vector<std::string> keys;
        for (const auto& op : ops) {
            keys.push_back(op.key);
        }
        // B must never see a part of the batch: all 51 or none at every observation.
        bool partial = false;
        const bool all = co_await eventually(
            [&] {
                auto got = b->get_all(keys);
                REQUIRE(got.has_value());
                const auto present = std::count_if(got->begin(), got->end(),
                                                   [](const auto& v) { return v.has_value(); });
                if (present != 0 && present != static_cast<long>(keys.size())) {
                    partial = true;
                }
                return present == static_cast<long>(keys.size());
            },
            milliseconds(10000), milliseconds(1));
        CHECK(all);
        CHECK_FALSE(partial);
        CHECK(value_of(*b, "nothing") == "null");
        co_await a->async_flush(milliseconds(5000));
        CHECK(a->get_status().entries_written == 1);
        co_await a->async_close();
        co_await b->async_close();
        co_return 0;
    });
}

TEST_CASE("group commit: 1,000 puts during an upload become far fewer entries") {
    test::engine_fixture f("groupcommit");
    run_async(
        [&](auto ex) -> asio::awaitable<int> {
            co_await f.create_bucket(ex);
            auto a = open_store(ex, f.config(milliseconds(50)));
            for (int i = 0; i < 1000; ++i) {
                REQUIRE(a->put("k" + std::to_string(i % 100), std::to_string(i)).has_value());
                if (i % 100 == 0) {
                    // Let the loop start an upload now and then, as a live writer would.
                    asio::steady_timer tick(ex, milliseconds(1));
                    co_await tick.async_wait(asio::use_awaitable);
                }
            }
            auto flushed = co_await a->async_flush(milliseconds(60000));
            REQUIRE_MESSAGE(flushed.has_value(), (flushed ? "" : flushed.err().describe()));
            const auto entries = a->get_status().entries_written;
            MESSAGE("1,000 puts -> " << entries << " manifest entries");
            CHECK(entries >= 1);
            CHECK(entries <= 50);
            auto b = open_store(ex, f.config());
            REQUIRE(co_await eventually([&] { return value_of(*b, "k99") == "999"; },
                                        milliseconds(10000)));
            CHECK(value_of(*b, "k0") == "900");
            co_await a->async_close();
            co_await b->async_close();
            co_return 0;
        },
        std::chrono::seconds(300));
}

TEST_CASE("writes survive a restart of the store before they were uploaded") {
    test::engine_fixture f("restart");
    auto config = f.config();
    config.start_online = false;
    run_async([&](auto ex) -> asio::awaitable<int> {
        co_await f.create_bucket(ex);
        {
            auto offline = open_store(ex, config);
            REQUIRE(offline->put("kept", "42").has_value());
            CHECK(offline->get_status().queued_writes == 1);
            co_await offline->async_close();
        }
        config.start_online = true;
        auto again = open_store(ex, config);
        CHECK(value_of(*again, "kept") == "42");
        auto flushed = co_await again->async_flush(milliseconds(10000));
        REQUIRE_MESSAGE(flushed.has_value(), (flushed ? "" : flushed.err().describe()));
        auto other = open_store(ex, f.config());
        REQUIRE(co_await eventually([&] { return value_of(*other, "kept") == "42"; },
                                    milliseconds(10000)));
        co_await again->async_close();
        co_await other->async_close();
        co_return 0;
    });
}

TEST_CASE(
    "a store joining 5,000 keys applies them in chunks, shows progress, and says when whole") {
    test::engine_fixture f("join");
    run_async(
        [&](auto ex) -> asio::awaitable<int> {
            co_await f.create_bucket(ex);
            auto a = open_store(ex, f.config());
            constexpr int keys = 5000;
            const auto name = [](int i) {
                std::string n = std::to_string(i);
                return "k" + std::string(4 - n.size(), '0') + n;  // key order = index order
            };
            std::vector<write_op> ops;
            for (int i = 0; i < keys; ++i) {
                ops.emplace_back(name(i), std::to_string(i));
            }
            REQUIRE(a->put_all(std::move(ops)).has_value());
            auto flushed = co_await a->async_flush(milliseconds(120000));
            REQUIRE_MESSAGE(flushed.has_value(), (flushed ? "" : flushed.err().describe()));

            auto config = f.config();
            config.start_online = false;  // subscribe before it syncs
            auto b = open_store(ex, config);
            CHECK_FALSE(b->get_status().initial_sync_done);
            std::size_t notified = 0;
            std::optional<store_status> at_first_change;
            std::optional<std::string> last_key_then;
            auto sub = b->subscribe_prefix("k", [&](const change_event&) {
                if (notified++ == 0) {
                    // The first chunk is committed and notified before the next is fetched.
                    at_first_change = b->get_status();
                    last_key_then = value_of(*b, name(keys - 1));
                }
            });
            b->set_online(true);
            auto whole = co_await b->async_initial_sync(milliseconds(120000));
            REQUIRE_MESSAGE(whole.has_value(), (whole ? "" : whole.err().describe()));
            CHECK(notified == keys);
            REQUIRE(at_first_change.has_value());
            REQUIRE(at_first_change->syncing.has_value());
            CHECK(at_first_change->syncing->total == keys);
            CHECK(at_first_change->syncing->fetched >= 2048);
            CHECK(at_first_change->syncing->fetched < keys);
            CHECK_FALSE(at_first_change->initial_sync_done);
            CHECK(last_key_then == "<absent>");  // not fetched yet: absent

            const auto done = b->get_status();
            CHECK(done.initial_sync_done);
            CHECK_FALSE(done.syncing.has_value());
            CHECK(value_of(*b, name(0)) == "0");
            CHECK(value_of(*b, name(keys - 1)) == std::to_string(keys - 1));
            // Already whole: answers at once.
            auto again = co_await b->async_initial_sync(milliseconds(0));
            CHECK(again.has_value());

            // A later change is one small apply, seen by the joined store.
            REQUIRE(a->put(name(7), "\"seven\"").has_value());
            const bool seen = co_await eventually(
                [&] { return value_of(*b, name(7)) == "\"seven\""; }, milliseconds(30000));
            REQUIRE_MESSAGE(seen, "A: queued " << a->get_status().queued_writes << ", error '"
                                               << a->get_status().last_error << "'; B: error '"
                                               << b->get_status().last_error << "'");
            co_await a->async_close();
            co_await b->async_close();
            co_return 0;
        },
        std::chrono::seconds(300));
}
