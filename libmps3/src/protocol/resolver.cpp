#include "protocol/resolver.hpp"

#include <algorithm>

namespace mps3::protocol {
namespace {

entry_status classify(const entry_key& key, const std::optional<timestamp>& last_modified) {
    if (!key.ts) {
        return entry_status::no_timestamp;
    }
    if (!last_modified) {
        return entry_status::valid;
    }
    // |a - b| without overflow: ts may be far from any real time, LastModified is sane.
    const auto ts = key.ts->time_since_epoch().count();
    const auto lm = last_modified->time_since_epoch().count();
    const bool within =
        ts > lm ? ts - lm < validity_window.count() : lm - ts < validity_window.count();
    return within ? entry_status::valid : entry_status::clock_skew;
}

}  // namespace

resolve_plan plan_resolve(std::string_view manifest_key, std::span<const listed_object> listing,
                          std::span<const std::string> unreadable) {
    resolve_plan plan;
    for (const auto& object : listing) {
        auto key = parse_entry_key(manifest_key, object.key);
        if (!key) {
            ++plan.foreign;
            continue;
        }
        auto status = classify(*key, object.last_modified);
        if (status == entry_status::valid &&
            std::find(unreadable.begin(), unreadable.end(), key->key) != unreadable.end()) {
            status = entry_status::unreadable;
        }
        plan.entries.push_back({std::move(*key), object.last_modified, status});
    }
    std::sort(plan.entries.begin(), plan.entries.end(),
              [](const classified_entry& a, const classified_entry& b) {
                  return newer_than(a.key, b.key);
              });
    // A listing never repeats a key, but pages glued together by a caller might.
    plan.entries.erase(std::unique(plan.entries.begin(), plan.entries.end(),
                                   [](const classified_entry& a, const classified_entry& b) {
                                       return a.key.key == b.key.key;
                                   }),
                       plan.entries.end());

    const auto latest = std::find_if(plan.entries.begin(), plan.entries.end(),
                                     [](const auto& e) { return e.status == entry_status::valid; });
    if (latest != plan.entries.end()) {
        plan.latest = latest->key;
    }
    // Window: ts > ts(latest) - replay_window. Valid entries all have a ts.
    const auto in_window = [&](const classified_entry& e) {
        return plan.latest && *e.key.ts > *plan.latest->ts - replay_window;
    };
    for (auto it = plan.entries.rbegin(); it != plan.entries.rend(); ++it) {
        switch (it->status) {
            case entry_status::valid:
                if (in_window(*it)) {
                    plan.replay.push_back(it->key);
                } else {
                    plan.garbage.push_back(it->key);
                }
                break;
            case entry_status::unreadable:
                // Part of the log like a valid entry: collected once the window has passed it.
                if (plan.latest && !in_window(*it)) {
                    plan.garbage.push_back(it->key);
                }
                break;
            case entry_status::no_timestamp:
            case entry_status::clock_skew:
                plan.garbage.push_back(it->key);
                break;
        }
    }
    // Garbage newest first, like the listing; replay stays oldest first.
    std::reverse(plan.garbage.begin(), plan.garbage.end());
    return plan;
}

manifest_state resolve(const entry_body* latest, std::span<const entry_body* const> replay) {
    if (latest == nullptr) {
        return {};
    }
    manifest_state state = latest->files;
    for (const entry_body* body : replay) {
        if (body != nullptr) {
            apply_update(state, body->update);
        }
    }
    return state;
}

}  // namespace mps3::protocol
