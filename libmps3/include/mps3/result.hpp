// A value or an error, for operations that can fail without it being exceptional (the network,
// the server, the disk, a client's bad request). C++20 has no std::expected; this is the small
// subset used. One class for every error type: `result<T>` carries an mps3::error (the library),
// ipc::rpc_result<T> an ipc::rpc_error (the protocol), with the same accessors.
#pragma once

#include <mps3/error.hpp>

#include <cassert>
#include <concepts>
#include <string>
#include <utility>
#include <variant>

namespace mps3 {

template <class T, class E>
class [[nodiscard]] basic_result {
  public:
    basic_result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
    basic_result(E err) : v_(std::in_place_index<1>, std::move(err)) {}      // NOLINT: implicit
    basic_result(errc code, std::string msg) requires std::same_as<E, error>
        : v_(std::in_place_index<1>, error(code, std::move(msg))) {}

    [[nodiscard]] bool has_value() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    T& value() & {
        assert(has_value());
        return std::get<0>(v_);
    }
    const T& value() const& {
        assert(has_value());
        return std::get<0>(v_);
    }
    T&& value() && {
        assert(has_value());
        return std::get<0>(std::move(v_));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    E& err() & {
        assert(!has_value());
        return std::get<1>(v_);
    }
    const E& err() const& {
        assert(!has_value());
        return std::get<1>(v_);
    }
    E&& err() && {
        assert(!has_value());
        return std::get<1>(std::move(v_));
    }

  private:
    std::variant<T, E> v_;
};

template <class T>
using result = basic_result<T, error>;

/// For operations with nothing to return but success.
struct success {};
using status = result<success>;

}  // namespace mps3
