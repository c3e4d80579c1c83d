// Runs a coroutine to completion on a fresh io_context, under a deadline: a test never hangs.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>

namespace mps3::test {

/// make(executor) returns the awaitable to run. Throws if it has not finished by the deadline
/// (the io_context is then stopped, abandoning the coroutine) or if it threw.
template <class Make>
auto run_async(Make&& make, std::chrono::seconds deadline = std::chrono::seconds(120)) {
    boost::asio::io_context io;
    auto awaitable = make(io.get_executor());
    using value_type = typename decltype(awaitable)::value_type;
    std::optional<value_type> out;
    std::exception_ptr failure;
    bool done = false;
    boost::asio::co_spawn(io, std::move(awaitable), [&](std::exception_ptr e, auto... value) {
        failure = e;
        if (!e) {
            (out.emplace(std::move(value)), ...);
        }
        done = true;
    });
    io.run_for(deadline);
    if (!done) {
        throw std::runtime_error("async test did not finish within " +
                                 std::to_string(deadline.count()) + " s");
    }
    if (failure) {
        std::rethrow_exception(failure);
    }
    return std::move(*out);
}

}  // namespace mps3::test
