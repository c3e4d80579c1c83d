#include "protocol/manifest_state.hpp"

namespace mps3::protocol {

void apply_update(manifest_state& state, const manifest_update& update) {
    for (const auto& [ref, file] : update) {
        if (!file) {
            state.erase(ref);
            continue;
        }
        auto [it, inserted] = state.try_emplace(ref, *file);
        if (!inserted) {
            it->second.version = file->version;
            if (file->replication) {
                it->second.replication = file->replication;
            }
        }
    }
}

}  // namespace mps3::protocol
