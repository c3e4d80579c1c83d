// A value or an mps3::error, for operations that can fail without it being exceptional
// (the network, the server, the disk). C++20 has no std::expected; this is the small subset used.
#pragma once

#include <mps3/error.hpp>

#include <cassert>
#include <utility>
#include <variant>

namespace mps3 {

template <class T>
class [[nodiscard]] result {
  public:
    result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
    result(error err) : v_(std::in_place_index<1>, std::move(err)) {}  // NOLINT: implicit by design
    result(errc code, std::string msg) : v_(std::in_place_index<1>, error(code, std::move(msg))) {}

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

    error& err() & {
        assert(!has_value());
        return std::get<1>(v_);
    }
    const error& err() const& {
        assert(!has_value());
        return std::get<1>(v_);
    }
    error&& err() && {
        assert(!has_value());
        return std::get<1>(std::move(v_));
    }

  private:
    std::variant<T, error> v_;
};

/// For operations with nothing to return but success.
struct success {};
using status = result<success>;

}  // namespace mps3
