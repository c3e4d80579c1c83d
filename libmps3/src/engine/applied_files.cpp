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

apply_plan applied_files::diff(const wanted_files& wanted) const {
    apply_plan plan;
    auto have = files_.begin();
    auto want = wanted.begin();
    while (have != files_.end() || want != wanted.end()) {
        if (want == wanted.end() || (have != files_.end() && have->first < want->first)) {
            plan.deleted.push_back(have->first);  // deleted remotely
            ++have;
        } else if (have == files_.end() || want->first < have->first) {
            plan.to_fetch.emplace_back(want->first, want->second);  // new
            ++want;
        } else {
            if (have->second != *want->second) {
                plan.to_fetch.emplace_back(want->first, want->second);  // rewritten
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
