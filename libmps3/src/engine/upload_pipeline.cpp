#include "engine/upload_pipeline.hpp"

#include <algorithm>

namespace mps3::engine {

result<upload_group> prepare_group(std::span<const replica::outbox_batch> batches,
                                   std::string_view bucket, std::string_view manifest_key,
                                   const protocol::random_source& random,
                                   protocol::content_mode mode) {
    std::vector<protocol::write_batch> queue;
    queue.reserve(batches.size());
    for (const auto& b : batches) {
        protocol::write_batch batch{.id = static_cast<std::uint64_t>(b.id)};
        for (const auto& op : b.ops) {
            batch.ops.push_back(op.write);
        }
        queue.push_back(std::move(batch));
    }
    auto prepared = protocol::prepare_write(bucket, manifest_key, queue, random, {}, mode);
    if (!prepared) {
        return std::move(prepared).err();
    }
    upload_group group;
    for (const auto id : prepared->batch_ids) {
        group.batch_ids.push_back(static_cast<std::int64_t>(id));
    }
    group.prepared = std::move(*prepared);
    return group;
}

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

upload_decision next_upload(std::span<const replica::outbox_batch> pending,
                            std::optional<upload_group> staged, std::string_view bucket,
                            std::string_view manifest_key, const protocol::random_source& random,
                            protocol::content_mode mode) {
    if (pending.empty()) {
        return upload_do::idle{};
    }
    if (staged && staged_group_usable(staged->batch_ids, staged->attempt, pending)) {
        return upload_do::commit_staged{.group = std::move(*staged)};
    }
    // A batch left "uploading" (a crash, an entry PUT whose answer never came, a staged group
    // that may not commit) may already be in the bucket: uploading it again would re-apply it
    // over later writes of other writers. Settle those attempts first.
    if (std::any_of(pending.begin(), pending.end(),
                    [](const auto& b) { return b.state == replica::batch_state::uploading; })) {
        return upload_do::recover{};
    }
    auto group = prepare_group(pending, bucket, manifest_key, random, mode);
    if (!group) {
        // Validated at put(), so only a replica written by another version gets here.
        return upload_do::drop_front{.batch_id = pending.front().id, .why = group.err()};
    }
    if (group->prepared.update.empty()) {
        return upload_do::complete_empty{.batch_ids = std::move(group->batch_ids)};
    }
    return upload_do::upload{.group = std::move(*group)};
}

}  // namespace mps3::engine
