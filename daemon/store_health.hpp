// Whether a store is healthy, for `mps3ctl health`, the `stores` method and the
// mps3d_store_healthy metric: it synced within the allowed age and has no persistent error
// (one only the bucket's owner or the operator can fix). A store that has not synced since
// mps3d started counts its age from the start, so a fresh daemon gets that long to sync
// first. Sans-io.
#pragma once

#include <mps3/store.hpp>

#include <chrono>
#include <string>

namespace mps3::daemon {

struct health_verdict {
    bool healthy = true;
    std::string problem;                    // why not, for a person; "" when healthy
    std::chrono::milliseconds sync_age{0};  // since the last successful sync (or the start)
};

health_verdict judge_store_health(const store_status& status,
                                  std::chrono::system_clock::time_point now,
                                  std::chrono::system_clock::time_point started,
                                  std::chrono::milliseconds max_sync_age);

}  // namespace mps3::daemon
