// Running many requests with a bounded window: the cost of a sync is round trips, not object
// count times round trips, and never more than `window` requests are in flight (a 100,000-key
// write must not open 100,000 requests at once).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <vector>

namespace mps3::engine {

/// Calls `step(i)` for every i in [0, count), at most `window` at a time, all on `executor`
/// (one thread: the steps share state without locks). Items are taken in index order. A step
/// that returns false or throws stops the taking of new items (the ones in flight finish).
/// Completes when every started step has; the first exception is rethrown after that.
template <class Step>
boost::asio::awaitable<void> async_for_each_bounded(boost::asio::any_io_executor executor,
                                                    std::size_t count, std::size_t window,
                                                    Step step) {
    namespace asio = boost::asio;
    if (count == 0) {
        co_return;
    }
    std::size_t next = 0;
    bool stopped = false;
    std::exception_ptr first_error;
    // Each worker pulls the next index: a slow request holds up one worker, not a whole wave.
    auto worker = [&]() -> asio::awaitable<void> {
        while (!stopped && next < count) {
            const std::size_t i = next++;
            try {
                if (!co_await step(i)) {
                    stopped = true;
                }
            } catch (...) {
                if (!first_error) {
                    first_error = std::current_exception();
                }
                stopped = true;
            }
        }
    };
    const std::size_t workers = std::min(count, std::max<std::size_t>(window, 1));
    using spawned = decltype(asio::co_spawn(executor, worker(), asio::deferred));
    std::vector<spawned> ops;
    ops.reserve(workers);
    for (std::size_t w = 0; w < workers; ++w) {
        ops.push_back(asio::co_spawn(executor, worker(), asio::deferred));
    }
    auto [order, exceptions] =
        co_await asio::experimental::make_parallel_group(std::move(ops))
            .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    (void)order;
    if (first_error) {
        std::rethrow_exception(first_error);
    }
    for (const auto& e : exceptions) {
        if (e) {
            std::rethrow_exception(e);
        }
    }
}

}  // namespace mps3::engine
