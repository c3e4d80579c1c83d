// A value or the rpc_error a request earns: what method handlers and parameter extraction return,
// so that a handler can pass a failure on with `if (!x) return std::move(x).err();`.
#pragma once

#include <mps3/ipc/error_codes.hpp>
#include <mps3/result.hpp>

namespace mps3::ipc {

template <class T>
using rpc_result = basic_result<T, rpc_error>;

}  // namespace mps3::ipc
