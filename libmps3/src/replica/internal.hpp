// Small helpers shared by the replica's source files (not part of its API).
#pragma once

#include "replica/types.hpp"

#include <mps3/error.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace mps3::replica::detail {

inline std::int64_t to_ms(time_point t) {
    return t.time_since_epoch().count();
}

inline time_point from_ms(std::int64_t ms) {
    return time_point(std::chrono::milliseconds(ms));
}

/// A count for a LIMIT clause (SQLite integers are signed 64-bit).
inline std::int64_t to_sql_limit(std::size_t n) {
    constexpr auto max = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
    return static_cast<std::int64_t>(n < max ? n : max);
}

/// change_seq <-> SQLite's INTEGER (AUTOINCREMENT rowids are positive: the casts never wrap).
inline std::int64_t seq_to_sql(change_seq seq) {
    constexpr auto max = static_cast<change_seq>(std::numeric_limits<std::int64_t>::max());
    return static_cast<std::int64_t>(seq < max ? seq : max);
}
inline change_seq seq_from_sql(std::int64_t value) {
    return value > 0 ? static_cast<change_seq>(value) : 0;
}

/// Prefixes an error with the operation that failed: "enqueue_local_write: <error>".
inline error with_context(std::string_view what, error e) {
    e.message = std::string(what) + ": " + e.message;
    return e;
}

}  // namespace mps3::replica::detail
