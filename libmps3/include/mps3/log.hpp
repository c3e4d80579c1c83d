// libmps3 never prints: it hands log records to a sink the application injects
// (the daemon formats them as structured lines for stderr/journald).
#pragma once

#include <functional>
#include <string_view>

namespace mps3 {

enum class log_level { trace = 0, debug = 1, info = 2, warn = 3, error = 4, off = 5 };

/// component: "s3", "sync", "ipc"...; message: never contains a secret.
using log_sink =
    std::function<void(log_level, std::string_view component, std::string_view message)>;

std::string_view to_string(log_level level) noexcept;

}  // namespace mps3
