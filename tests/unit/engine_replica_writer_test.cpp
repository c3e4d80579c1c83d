// The replica's writer thread (engine/replica_writer.hpp): local writes queued while it works go
// together in one transaction, every item's completion runs on the io thread in submission
// order, a stopped writer completes what is submitted later without running it, and the thread
// carries its name. Real SQLite file, real thread, a real io_context for the completions.
#include "replica_test_support.hpp"

#include "engine/replica_writer.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <doctest/doctest.h>

#include <pthread.h>

#include <array>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace mps3;
namespace asio = boost::asio;
using std::chrono::milliseconds;

struct writer_fixture {
    mps3::replica::testing::temp_dir dir;
    asio::io_context io;
    std::shared_ptr<engine::replica_writer> writer;

    writer_fixture() {
        auto db = replica::replica::open(dir.path / "replica.sqlite", replica::options{});
        REQUIRE(db.has_value());
        writer = engine::replica_writer::start(std::move(*db), io.get_executor());
    }
    ~writer_fixture() { writer->stop(); }
    writer_fixture(const writer_fixture&) = delete;
    writer_fixture& operator=(const writer_fixture&) = delete;

    // Runs the io thread's completions until done() or a 10 s deadline.
    template <class Done>
    bool run_until(Done done) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!done() && std::chrono::steady_clock::now() < deadline) {
            io.run_for(milliseconds(5));
            io.restart();
        }
        return done();
    }
};

std::shared_ptr<engine::local_write> put_of(const std::string& key, const std::string& value) {
    auto write = std::make_shared<engine::local_write>();
    write->ops.push_back({.key = key, .value = value});
    return write;
}

// A task that holds the writer thread until `release` is set: what is submitted meanwhile
// waits in the queue, as it does behind a slow fsync.
std::shared_ptr<std::promise<void>> block(engine::replica_writer& writer) {
    auto release = std::make_shared<std::promise<void>>();
    auto started = std::make_shared<std::promise<void>>();
    auto running = started->get_future();
    writer.submit(
        [release, started](replica::replica&) {
            started->set_value();
            release->get_future().wait();
        },
        {});
    REQUIRE(running.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
    return release;
}

}  // namespace

TEST_CASE("replica writer: writes queued during a commit share the next transaction") {
    writer_fixture f;
    auto release = block(*f.writer);
    std::vector<int> answered;
    std::vector<std::shared_ptr<engine::local_write>> writes;
    for (int i = 0; i < 10; ++i) {
        writes.push_back(put_of("k" + std::to_string(i), std::to_string(i)));
        f.writer->submit_local(writes.back(), [&answered, i] { answered.push_back(i); });
    }
    release->set_value();
    REQUIRE(f.run_until([&] { return answered.size() == 10; }));
    CHECK(f.writer->groups() == 1);
    CHECK(f.writer->grouped_writes() == 10);
    change_seq previous = 0;
    for (int i = 0; i < 10; ++i) {
        CHECK(answered[static_cast<std::size_t>(i)] == i);  // in submission order
        auto& committed = writes[static_cast<std::size_t>(i)]->committed;
        REQUIRE(committed.has_value());
        REQUIRE(committed->has_value());
        CHECK((*committed)->op_seqs.front() > previous);  // seqs in submission order
        previous = (*committed)->op_seqs.front();
    }
}

TEST_CASE("replica writer: tasks and writes complete in submission order, on the io thread") {
    writer_fixture f;
    const auto io_thread = std::this_thread::get_id();
    std::vector<std::string> order;
    bool all_on_io = true;
    auto note = [&](std::string what) {
        return [&, what] {
            all_on_io = all_on_io && std::this_thread::get_id() == io_thread;
            order.push_back(what);
        };
    };
    auto release = block(*f.writer);
    f.writer->submit_local(put_of("a", "1"), note("write a"));
    f.writer->submit([](replica::replica&) {}, note("task 1"));
    f.writer->submit_local(put_of("b", "2"), note("write b"));
    f.writer->submit_local(put_of("c", "3"), note("write c"));
    f.writer->submit([](replica::replica&) {}, note("task 2"));
    release->set_value();
    REQUIRE(f.run_until([&] { return order.size() == 5; }));
    CHECK(all_on_io);
    CHECK(order == std::vector<std::string>{"write a", "task 1", "write b", "write c", "task 2"});
    // A task between writes splits them: {a}, then {b, c}.
    CHECK(f.writer->groups() == 2);
    CHECK(f.writer->grouped_writes() == 3);
}

TEST_CASE("replica writer: wait_idle returns with everything submitted done and answered") {
    writer_fixture f;
    int answered = 0;
    for (int i = 0; i < 5; ++i) {
        f.writer->submit_local(put_of("k" + std::to_string(i), "1"), [&] { ++answered; });
    }
    f.writer->wait_idle();  // no io_context run: the completions ran inside it
    CHECK(answered == 5);
    CHECK(f.writer->grouped_writes() == 5);
}

TEST_CASE("replica writer: the thread is named mps3-writer and is not the io thread") {
    writer_fixture f;
    auto name = std::make_shared<std::string>();
    auto id = std::make_shared<std::thread::id>();
    f.writer->submit(
        [name, id](replica::replica&) {
            std::array<char, 16> buffer{};
            REQUIRE(pthread_getname_np(pthread_self(), buffer.data(), buffer.size()) == 0);
            *name = buffer.data();
            *id = std::this_thread::get_id();
        },
        {});
    f.writer->wait_idle();
    CHECK(*name == "mps3-writer");
    CHECK(*id != std::this_thread::get_id());
}

TEST_CASE("replica writer: after stop, a submission completes without running, as cancelled") {
    writer_fixture f;
    f.writer->submit_local(put_of("before", "1"), {});
    f.writer->stop();  // finishes what was submitted: nothing acknowledged is lost
    CHECK(f.writer->grouped_writes() == 1);
    bool ran = false;
    bool completed = false;
    f.writer->submit([&ran](replica::replica&) { ran = true; }, [&completed] { completed = true; });
    auto late = put_of("after", "1");
    f.writer->submit_local(late, {});
    CHECK(completed);
    CHECK_FALSE(ran);
    REQUIRE(late->committed.has_value());
    REQUIRE_FALSE(late->committed->has_value());
    CHECK(late->committed->err().code == make_error_code(errc::cancelled));
}

TEST_CASE("replica writer: async_write_then runs its continuation with the result, on io") {
    writer_fixture f;
    std::optional<int> got;
    asio::co_spawn(
        f.io,
        [&]() -> asio::awaitable<void> {
            auto work = [](replica::replica& db) -> result<int> {
                auto set = db.set_meta("probe", "x");
                if (!set) {
                    return std::move(set).err();
                }
                return 41;
            };
            auto after = [](result<int> r) -> result<int> {
                if (!r) {
                    return r;
                }
                return *r + 1;
            };
            auto answer =
                co_await engine::async_write_then(f.writer, std::move(work), std::move(after));
            got = answer ? *answer : -1;
        },
        asio::detached);
    REQUIRE(f.run_until([&] { return got.has_value(); }));
    CHECK(*got == 42);
}
