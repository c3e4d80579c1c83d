// The pipelining rule of uploads (docs/durability.md, "Pipelining"), sans-io: when may a group
// whose content went up during the previous entry now have its own entry written?
#pragma once

#include "replica/types.hpp"

#include <cstdint>
#include <span>
#include <string_view>

namespace mps3::engine {

/// True iff the staged group (its batch ids, in order, and its attempt) is exactly the front of
/// the outbox, every one of its batches still uploading under that attempt, and no other batch
/// is uploading. Anything else (an older batch left unsettled or requeued, a batch of the group
/// gone or requeued, another attempt) means the group must not commit now: an entry written
/// before an older batch's would later be overwritten by it. Recovery then requeues the group
/// (it noted no entry key, so nothing of it can be in use).
bool staged_group_usable(std::span<const std::int64_t> group_ids, std::string_view attempt,
                         std::span<const replica::outbox_batch> pending);

}  // namespace mps3::engine
