// The upload decisions, sans-io: which group of queued batches goes into the next manifest
// entry, and whether a group whose content went up during the previous entry (pipelining,
// docs/durability.md "Pipelining") may now have its own entry written. The sync loop
// (store::impl::async_upload_one) performs what next_upload decides.
#pragma once

#include "protocol/uuid.hpp"
#include "protocol/writer.hpp"
#include "replica/types.hpp"

#include <mps3/result.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mps3::engine {

/// One manifest entry's worth of queued batches: coalesced (versions chosen) and, once
/// marked, recorded in the outbox as uploading under `attempt`.
struct upload_group {
    protocol::prepared_write prepared;
    std::vector<std::int64_t> batch_ids;  // the front of the queue, in order
    std::string attempt;                  // empty until marked
};

/// Coalesces batches from the front of the queue into one group (versions chosen);
/// errc::invalid_argument for a front batch that can never be written.
result<upload_group> prepare_group(std::span<const replica::outbox_batch> batches,
                                   std::string_view bucket, std::string_view manifest_key,
                                   const protocol::random_source& random,
                                   protocol::content_mode mode = protocol::content_mode::suffixed);

/// True iff the staged group (its batch ids, in order, and its attempt) is exactly the front of
/// the outbox, every one of its batches still uploading under that attempt, and no other batch
/// is uploading. Anything else (an older batch left unsettled or requeued, a batch of the group
/// gone or requeued, another attempt) means the group must not commit now: an entry written
/// before an older batch's would later be overwritten by it. Recovery then requeues the group
/// (it noted no entry key, so nothing of it can be in use).
bool staged_group_usable(std::span<const std::int64_t> group_ids, std::string_view attempt,
                         std::span<const replica::outbox_batch> pending);

namespace upload_do {
struct idle {};      // nothing queued
struct recover {};   // batches left uploading (a crash, a lost answer): settle them first
struct drop_front {  // the front batch can never be written: drop it, or it blocks the queue
    std::int64_t batch_id;
    error why;
};
struct complete_empty {  // the group writes nothing to the bucket: confirm it at once
    std::vector<std::int64_t> batch_ids;
};
struct upload {  // mark the group uploading, PUT its content, write its entry
    upload_group group;
};
struct commit_staged {  // the staged group's content is up: write its entry
    upload_group group;
};
}  // namespace upload_do

using upload_decision =
    std::variant<upload_do::idle, upload_do::recover, upload_do::drop_front,
                 upload_do::complete_empty, upload_do::upload, upload_do::commit_staged>;

/// What the next upload round does with the outbox (pending: its batches in id order, as
/// replica::pending_batches gives them) and the group staged by the previous round, if any.
upload_decision next_upload(std::span<const replica::outbox_batch> pending,
                            std::optional<upload_group> staged, std::string_view bucket,
                            std::string_view manifest_key, const protocol::random_source& random,
                            protocol::content_mode mode = protocol::content_mode::suffixed);

}  // namespace mps3::engine
