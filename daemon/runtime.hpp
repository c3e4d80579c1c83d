// mps3d's life: open the stores, listen, serve, and on SIGTERM/SIGINT stop accepting, flush
// what is queued within a bound, and close the replicas cleanly. One io_context, one thread.
#pragma once

#include "config.hpp"

#include <mps3/s3/credentials.hpp>

#include <chrono>

namespace mps3::daemon {

/// Exit codes of mps3d (docs/operations.md).
enum exit_code : int {
    exit_flushed = 0,      // stopped with every write in the bucket
    exit_fatal = 1,        // could not start (replica, socket) or failed while running
    exit_usage = 2,        // bad command line or configuration
    exit_not_flushed = 3,  // stopped with writes still queued (kept in the replica, uploaded
                           // at the next start)
};

struct runtime_options {
    /// How long a stop waits for queued writes to reach the bucket.
    std::chrono::milliseconds shutdown_flush{10'000};
};

/// Runs until a stop signal; returns the exit code.
int run_daemon(const daemon_settings& settings, const s3::environment& env,
               const runtime_options& options);

}  // namespace mps3::daemon
