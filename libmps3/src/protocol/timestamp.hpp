// Time as the MPS3 protocol sees it: integer epoch milliseconds, and the windows of
// BUCKET_FORMAT.md sections 6 and 7. Sans-io code never reads a clock; callers pass these in.
#pragma once

#include <chrono>

namespace mps3::protocol {

using milliseconds = std::chrono::milliseconds;

/// Epoch milliseconds. Entry stamps, Date and LastModified are on the server's timeline; the
/// send/receive times of a clock sample are on the local clock. The type does not tell them
/// apart: names do (server_*, local_*).
using timestamp = std::chrono::sys_time<milliseconds>;

/// An entry is valid iff |ts(key) - LastModified| < validity_window (section 6 step 2).
inline constexpr milliseconds validity_window{5000};

/// Valid entries with ts > ts(latest) - replay_window are replayed over latest.files (section 6
/// step 5); older ones are folded into latest.files already.
inline constexpr milliseconds replay_window{5000};

/// A listing starts after ts9(now + listing_lookahead): entries stamped further in the future
/// are not listed at all (section 6 step 1).
inline constexpr milliseconds listing_lookahead{10000};

/// Whole milliseconds of a system_clock reading (S3 layer time points are finer).
inline timestamp to_timestamp(std::chrono::system_clock::time_point t) {
    return std::chrono::floor<milliseconds>(t);
}

}  // namespace mps3::protocol
