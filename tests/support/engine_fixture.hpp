// Stores on the shared test server: a bucket per test, replicas in a temporary directory,
// and waiting on conditions with a deadline (never a blind sleep).
#pragma once

#include "test_server.hpp"

#include <mps3/store.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <filesystem>
#include <functional>

namespace mps3::test {

struct engine_fixture {
    std::string bucket;
    std::filesystem::path dir;
    int stores_made = 0;

    explicit engine_fixture(std::string_view hint);
    ~engine_fixture();

    /// A config for one more store on this bucket (its own replica file).
    store_config config(std::chrono::milliseconds poll = std::chrono::milliseconds(100));
    /// Creates the bucket (once per test).
    boost::asio::awaitable<void> create_bucket(boost::asio::any_io_executor ex) const;
};

/// Re-checks `done` every `step` until it holds or `timeout` passes; returns whether it held.
inline boost::asio::awaitable<bool> eventually(
    std::function<bool()> done, std::chrono::milliseconds timeout,
    std::chrono::milliseconds step = std::chrono::milliseconds(20)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto ex = co_await boost::asio::this_coro::executor;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            co_return false;
        }
        boost::asio::steady_timer timer(ex, step);
        boost::system::error_code ec;
        co_await timer.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
    co_return true;
}

/// The value a store holds for key, or "<absent>" / "<error: ...>".
std::string value_of(store& s, const std::string& key);

}  // namespace mps3::test
