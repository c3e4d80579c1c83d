// async_for_each_bounded: every item once, never more than the window in flight, stop on
// request, exceptions after the others finished. Timers stand in for requests (no I/O).
#include "engine/bounded_parallel.hpp"

#include <doctest/doctest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <vector>

namespace asio = boost::asio;
using mps3::engine::async_for_each_bounded;

namespace {

struct run_stats {
    std::vector<int> calls;  // per item
    std::size_t in_flight = 0;
    std::size_t peak = 0;
    std::size_t started = 0;
    std::size_t started_when_stopped = 0;  // when the stopping step returned (or threw)
};

// Item i waits (i % 3) ms, so completions come out of order.
void run(std::size_t count, std::size_t window, run_stats& stats, std::size_t stop_at = SIZE_MAX,
         std::size_t throw_at = SIZE_MAX) {
    asio::io_context io;
    stats.calls.assign(count, 0);
    bool threw = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            co_await async_for_each_bounded(
                io.get_executor(), count, window, [&](std::size_t i) -> asio::awaitable<bool> {
                    ++stats.calls[i];
                    ++stats.started;
                    stats.peak = std::max(stats.peak, ++stats.in_flight);
                    asio::steady_timer t(io, std::chrono::milliseconds(i % 3));
                    co_await t.async_wait(asio::use_awaitable);
                    --stats.in_flight;
                    if (i == throw_at || i == stop_at) {
                        stats.started_when_stopped = stats.started;
                    }
                    if (i == throw_at) {
                        throw std::runtime_error("step failed");
                    }
                    co_return i != stop_at;
                });
        },
        [&](const std::exception_ptr& e) { threw = e != nullptr; });
    io.run_for(std::chrono::seconds(20));
    CHECK(io.stopped());
    CHECK(threw == (throw_at != SIZE_MAX));
}

}  // namespace

TEST_CASE("bounded parallel: every item exactly once, at most the window in flight") {
    run_stats stats;
    run(200, 16, stats);
    CHECK(std::all_of(stats.calls.begin(), stats.calls.end(), [](int c) { return c == 1; }));
    CHECK(stats.peak == 16);
    CHECK(stats.in_flight == 0);
}

TEST_CASE("bounded parallel: fewer items than the window, window 1, nothing to do") {
    run_stats few;
    run(3, 64, few);
    CHECK(few.peak == 3);
    run_stats serial;
    run(10, 1, serial);
    CHECK(serial.peak == 1);
    CHECK(std::count(serial.calls.begin(), serial.calls.end(), 1) == 10);
    run_stats none;
    run(0, 8, none);
    CHECK(none.peak == 0);
}

TEST_CASE("bounded parallel: a step returning false stops new items; those in flight finish") {
    run_stats stats;
    run(100, 4, stats, 10);
    CHECK(stats.calls[10] == 1);
    CHECK(stats.started >= 11);
    CHECK(stats.started < 100);
    CHECK(stats.started == stats.started_when_stopped);  // nothing taken after the stop
    CHECK(std::count(stats.calls.begin(), stats.calls.end(), 1) ==
          static_cast<std::ptrdiff_t>(stats.started));  // each started item exactly once
    CHECK(stats.in_flight == 0);
}

TEST_CASE("bounded parallel: an exception is rethrown after every started step ended") {
    run_stats stats;
    run(50, 8, stats, SIZE_MAX, 5);
    CHECK(stats.in_flight == 0);  // every started step ended before the rethrow
    CHECK(stats.started >= 6);
    CHECK(stats.started < 50);
    CHECK(stats.started == stats.started_when_stopped);  // nothing taken after the throw
}
