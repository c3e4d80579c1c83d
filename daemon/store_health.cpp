#include "store_health.hpp"

#include <algorithm>

namespace mps3::daemon {
namespace {

std::string seconds_text(std::chrono::milliseconds d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
}

}  // namespace

health_verdict judge_store_health(const store_status& status,
                                  std::chrono::system_clock::time_point now,
                                  std::chrono::system_clock::time_point started,
                                  std::chrono::milliseconds max_sync_age) {
    using std::chrono::milliseconds;
    health_verdict v;
    const auto since = status.last_sync.value_or(started);
    v.sync_age = std::max(milliseconds(0), std::chrono::duration_cast<milliseconds>(now - since));
    if (status.error_kind == sync_error_kind::persistent) {
        v.healthy = false;
        v.problem = "persistent sync error (someone must act): " + status.last_error;
        return v;
    }
    if (v.sync_age <= max_sync_age) {
        return v;
    }
    v.healthy = false;
    v.problem = (status.last_sync ? "last successful sync " + seconds_text(v.sync_age) + " ago"
                                  : "no successful sync since mps3d started " +
                                        seconds_text(v.sync_age) + " ago") +
                " (allowed: " + seconds_text(max_sync_age) + ")";
    if (!status.online) {
        v.problem += "; the store is offline";
    }
    if (status.error_kind == sync_error_kind::transient) {
        v.problem += "; failing: " + status.last_error;
    }
    return v;
}

}  // namespace mps3::daemon
