// Group commit of local writes (store::async_put_all): concurrent writers share one transaction,
// each write is answered after it is durable, in seq order, a bad write fails alone and a failed
// commit fails its whole group; a read sees every write made before it. Real store, real SQLite
// replica, an in-memory bucket (the store stays offline: only the local side is under test).
#include "async_test.hpp"
#include "engine_fixture.hpp"
#include "replica_test_support.hpp"
#include "scripted_bucket.hpp"

#include "replica/sqlite.hpp"

#include <mps3/store.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

namespace {

using namespace mps3;
using mps3::test::eventually;
using mps3::test::run_async;
namespace asio = boost::asio;
using std::chrono::milliseconds;

struct offline_store {
    mps3::replica::testing::temp_dir dir;
    std::filesystem::path file = dir.path / "replica.sqlite";

    std::unique_ptr<store> open(asio::any_io_executor ex) {
        store_config c;
        c.replica_lock_timeout = milliseconds(200);  // a held lock fails a commit quickly
        c.bucket = "b";
        c.replica_path = file;
        c.start_online = false;
        c.make_bucket = [state = std::make_shared<mps3::test::scripted_bucket_state>()](
                            asio::any_io_executor e) {
            return mps3::test::make_scripted_bucket(std::move(e), state);
        };
        auto opened = store::open(ex, std::move(c));
        REQUIRE_MESSAGE(opened.has_value(), (opened ? "" : opened.err().describe()));
        return std::move(*opened);
    }
};

std::vector<write_op> one_put(std::string key, std::string value) {
    std::vector<write_op> ops;
    ops.push_back({.key = std::move(key), .value = std::move(value)});
    return ops;
}

// Starts a write without waiting for it; its outcome lands in *out.
void start_write(store& s, asio::any_io_executor ex, std::vector<write_op> ops,
                 std::shared_ptr<std::optional<result<write_receipt>>> out) {
    asio::co_spawn(
        ex,
        [&s, ops = std::move(ops), out]() mutable -> asio::awaitable<void> {
            auto commit = s.async_put_all(std::move(ops));
            out->emplace(co_await std::move(commit));
        },
        asio::detached);
}

using outcome = std::shared_ptr<std::optional<result<write_receipt>>>;

std::vector<outcome> start_writes(store& s, asio::any_io_executor ex, int n) {
    std::vector<outcome> outcomes;
    for (int i = 0; i < n; ++i) {
        outcomes.push_back(std::make_shared<std::optional<result<write_receipt>>>());
        start_write(s, ex, one_put("k" + std::to_string(i), std::to_string(i)), outcomes.back());
    }
    return outcomes;
}

asio::awaitable<bool> all_answered(const std::vector<outcome>& outcomes) {
    co_return co_await eventually(
        [&] {
            return std::all_of(outcomes.begin(), outcomes.end(),
                               [](const outcome& o) { return o->has_value(); });
        },
        milliseconds(10000));
}

}  // namespace

TEST_CASE("group commit: writes made together share one transaction, answered in seq order") {
    offline_store f;
    run_async([&](auto ex) -> asio::awaitable<int> {
        auto s = f.open(ex);
        std::vector<change_seq> notified;
        auto sub =
            s->subscribe_prefix("k", [&](const change_event& e) { notified.push_back(e.seq); });
        // Twenty clients' writes arrive in one turn of the event loop: the writer thread takes
        // the first at once and the others join the next group (or more, on a busy machine).
        const auto outcomes = start_writes(*s, ex, 20);
        REQUIRE(co_await all_answered(outcomes));
        change_seq previous = 0;
        for (const auto& o : outcomes) {
            REQUIRE(o->value().has_value());
            CHECK(o->value()->seq > previous);  // in the order they were made
            previous = o->value()->seq;
        }
        const auto status = s->get_status();
        CHECK(status.group_committed_writes == 20);
        CHECK(status.group_commits >= 1);
        CHECK(status.group_commits < 20);  // writes shared transactions
        REQUIRE(notified.size() == 20);
        CHECK(std::is_sorted(notified.begin(), notified.end()));
        CHECK(s->get("k19").value() == "19");
        co_await s->async_close();
        co_return 0;
    });
}

TEST_CASE("group commit: a write that is not valid fails alone, before it is queued") {
    offline_store f;
    run_async([&](auto ex) -> asio::awaitable<int> {
        auto s = f.open(ex);
        auto good = start_writes(*s, ex, 3);
        auto bad = std::make_shared<std::optional<result<write_receipt>>>();
        start_write(*s, ex, one_put("bad", "{not json"), bad);
        good.push_back(bad);
        REQUIRE(co_await all_answered(good));
        CHECK_FALSE(bad->value().has_value());
        CHECK(bad->value().err().code == make_error_code(errc::invalid_argument));
        for (std::size_t i = 0; i < 3; ++i) {
            CHECK(good[i]->value().has_value());
        }
        CHECK(s->get_status().group_committed_writes == 3);
        co_await s->async_close();
        co_return 0;
    });
}

TEST_CASE("group commit: the write is queued when made; a read after it sees it at once") {
    offline_store f;
    run_async([&](auto ex) -> asio::awaitable<int> {
        auto s = f.open(ex);
        // Not awaited yet: the write is queued, not committed, not answered. A get made now must
        // see it (the daemon's pipelined get after a put).
        auto commit = s->async_put_all(one_put("mine", "42"));
        CHECK(s->read_waits("mine", false));
        CHECK_FALSE(s->read_waits("other", false));
        CHECK(s->read_waits("mi", true));  // a list of a prefix that covers it
        CHECK(s->get("mine").value() == "42");
        CHECK(s->get_status().group_committed_writes == 1);  // the read waited for its commit
        auto written = co_await std::move(commit);
        REQUIRE(written.has_value());
        CHECK(written->seq > 0);
        // A bad write is answered with its error, never queued.
        auto bad = s->async_put_all(one_put("", "1"));
        auto refused = co_await std::move(bad);
        REQUIRE_FALSE(refused.has_value());
        CHECK(refused.err().code == make_error_code(errc::invalid_argument));
        co_await s->async_close();
        co_return 0;
    });
}

TEST_CASE("group commit: a commit that fails fails every write of its group, and nothing else") {
    offline_store f;
    run_async([&](auto ex) -> asio::awaitable<int> {
        auto s = f.open(ex);
        REQUIRE(s->put("before", "1").has_value());
        // Another process holds the replica's write lock for longer than busy_timeout.
        auto holder = mps3::replica::sqlite::database::open(f.file.string(), false);
        REQUIRE(holder.has_value());
        std::vector<outcome> failed;
        {
            auto held = mps3::replica::sqlite::transaction::begin(
                *holder, mps3::replica::sqlite::transaction::kind::immediate);
            REQUIRE(held.has_value());
            failed = start_writes(*s, ex, 3);
            REQUIRE(co_await all_answered(failed));
        }
        for (const auto& o : failed) {
            REQUIRE_FALSE(o->value().has_value());
            CHECK(o->value().err().code == make_error_code(errc::storage));
        }
        CHECK_FALSE(s->get("k0").value().has_value());  // nothing of the group is in the file
        CHECK(s->get("before").value() == "1");
        // The lock released, the next group commits.
        const auto later = start_writes(*s, ex, 2);
        REQUIRE(co_await all_answered(later));
        CHECK(later[1]->value().has_value());
        co_await s->async_close();
        co_return 0;
    });
}

TEST_CASE("group commit: a synchronous put commits the writes queued before it, in order") {
    offline_store f;
    run_async([&](auto ex) -> asio::awaitable<int> {
        auto s = f.open(ex);
        auto queued = s->async_put_all(one_put("first", "1"));
        auto now = s->put("second", "2");
        REQUIRE(now.has_value());
        // Both are committed when put returns (in one or two transactions, depending on when
        // the writer thread woke); the write made first keeps the lower seq.
        CHECK(s->get_status().group_committed_writes == 2);
        auto first = co_await std::move(queued);
        REQUIRE(first.has_value());
        CHECK(first->seq < now->seq);
        co_await s->async_close();
        co_return 0;
    });
}

TEST_CASE("group commit: values are compacted unless the caller says they already are") {
    offline_store f;
    run_async([&](auto ex) -> asio::awaitable<int> {
        auto s = f.open(ex);
        auto loose = s->async_put_all(one_put("loose", R"({ "a" : [1, 2] })"));
        auto loose_done = co_await std::move(loose);
        REQUIRE(loose_done.has_value());
        CHECK(s->get("loose").value() == R"({"a":[1,2]})");
        // Not JSON at all: refused when the store parses it...
        auto refused = s->async_put_all(one_put("bad", "{oops"));
        auto refused_done = co_await std::move(refused);
        CHECK_FALSE(refused_done.has_value());
        // ...taken as is when the caller vouches for it (the daemon's parser made it).
        auto trusted =
            s->async_put_all(one_put("compact", R"({"b":true})"), store::json_text::compact);
        auto trusted_done = co_await std::move(trusted);
        REQUIRE(trusted_done.has_value());
        CHECK(s->get("compact").value() == R"({"b":true})");
        co_await s->async_close();
        co_return 0;
    });
}
