#include "engine/applied_files.hpp"

namespace mps3::engine {

void applied_files::load(const std::vector<replica::confirmed_file>& rows) {
    files_.clear();
    for (const auto& row : rows) {
        files_.insert_or_assign(row.key, protocol::file_state{row.version, row.replication});
    }
    loaded_ = true;
}

void applied_files::forget() {
    files_.clear();
    loaded_ = false;
}

apply_plan applied_files::diff(const protocol::manifest_state& state,
                               std::string_view bucket) const {
    const std::string prefix = std::string(bucket) + "/";
    auto want = state.lower_bound(prefix);
    const auto key_of = [&prefix](const std::string& ref) {
        return std::string_view(ref).substr(prefix.size());
    };
    const auto ours = [&](auto it) { return it != state.end() && it->first.starts_with(prefix); };
    apply_plan plan;
    auto have = files_.begin();
    while (have != files_.end() || ours(want)) {
        if (ours(want) && key_of(want->first).empty()) {
            ++want;  // "<bucket>/" names no key
            continue;
        }
        if (!ours(want) || (have != files_.end() && have->first < key_of(want->first))) {
            plan.deleted.push_back(have->first);  // deleted remotely
            ++have;
        } else if (have == files_.end() || key_of(want->first) < have->first) {
            plan.to_fetch.emplace_back(std::string(key_of(want->first)), &want->second);  // new
            ++want;
        } else {
            if (have->second != want->second) {
                plan.to_fetch.emplace_back(have->first, &want->second);  // rewritten
            }
            ++have;
            ++want;
        }
    }
    return plan;
}

void applied_files::record(std::span<const replica::remote_change> changes) {
    if (!loaded_) {
        return;
    }
    for (const auto& c : changes) {
        if (c.value) {
            files_.insert_or_assign(c.key,
                                    protocol::file_state{c.value->version, c.value->replication});
        } else {
            files_.erase(c.key);
        }
    }
}

}  // namespace mps3::engine
