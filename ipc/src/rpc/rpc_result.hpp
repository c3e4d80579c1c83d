// A value or the rpc_error a request earns: what method handlers and parameter extraction return,
// so that a handler can pass a failure on with `if (!x) return x.error();`.
#pragma once

#include <mps3/ipc/error_codes.hpp>

#include <cassert>
#include <utility>
#include <variant>

namespace mps3::ipc {

template <class T>
class [[nodiscard]] rpc_result {
  public:
    rpc_result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
    rpc_result(rpc_error err) : v_(std::in_place_index<1>, std::move(err)) {}  // NOLINT: implicit

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

    [[nodiscard]] const rpc_error& error() const& {
        assert(!has_value());
        return std::get<1>(v_);
    }
    [[nodiscard]] rpc_error&& error() && {
        assert(!has_value());
        return std::get<1>(std::move(v_));
    }

  private:
    std::variant<T, rpc_error> v_;
};

}  // namespace mps3::ipc
