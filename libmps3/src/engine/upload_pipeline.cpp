#include "engine/upload_pipeline.hpp"

namespace mps3::engine {

bool staged_group_usable(std::span<const std::int64_t> group_ids, std::string_view attempt,
                         std::span<const replica::outbox_batch> pending) {
    if (group_ids.empty() || pending.size() < group_ids.size()) {
        return false;
    }
    for (std::size_t i = 0; i < group_ids.size(); ++i) {
        const auto& b = pending[i];
        if (b.id != group_ids[i] || b.state != replica::batch_state::uploading ||
            b.attempt_id != attempt) {
            return false;
        }
    }
    for (const auto& b : pending.subspan(group_ids.size())) {
        if (b.state == replica::batch_state::uploading) {
            return false;
        }
    }
    return true;
}

}  // namespace mps3::engine
