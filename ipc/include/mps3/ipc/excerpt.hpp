// A bounded, quoted excerpt of a name a client sent, for error messages: a message quoting a
// 16 MiB method name would otherwise be as large as the request.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mps3::ipc {

/// 'text', cut to at most max bytes on a UTF-8 character boundary (with "..." when cut).
std::string quoted_excerpt(std::string_view text, std::size_t max = 64);

}  // namespace mps3::ipc
