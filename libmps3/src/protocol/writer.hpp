// The writer's pure steps (BUCKET_FORMAT.md section 7): turning queued operations into one
// manifest entry, and naming entries. The engine drives them:
//
//   w = prepare_write(bucket, manifest_key, outbox batches, random)  -- once per entry
//   PUT every w.puts (content objects; immutable, so retries are safe)
//   loop: LIST + resolve -> state;  t = stamp_entry(...) (clock.hpp);  key = session.next_key(t)
//         PUT key with serialize_entry_body(state, w.update)   -- files: state WITHOUT update
//         verify against the response Date (clock.hpp); on failure loop with a new key
//   PUT the marker; mark w.batch_ids done.
//
// Coalescing queued batches into one entry (group commit) amortises the full-state snapshot
// every entry carries; a batch is never split, so each stays atomic for readers.
#pragma once

#include "protocol/content_ref.hpp"
#include "protocol/manifest_state.hpp"
#include "protocol/timestamp.hpp"
#include "protocol/uuid.hpp"

#include <mps3/result.hpp>
#include <mps3/write.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mps3::protocol {

/// Operations that readers must see all or none of.
struct write_batch {
    std::uint64_t id = 0;  // the caller's handle (e.g. outbox row id), echoed in prepared_write
    std::vector<write_op> ops;
};

/// How much one entry may carry. The first batch is always taken whole, even past a limit:
/// a batch cannot be split, and it must go some time.
struct coalesce_limits {
    std::size_t max_keys = 1000;                    // distinct keys in the update
    std::size_t max_bytes = std::size_t{16} << 20;  // content bytes to PUT first
};

/// A content object to PUT before the entry.
struct content_put {
    std::string object_key;  // "<key>@<version>" (suffixed mode) or "<key>" (versioned mode)
    std::string body;        // the value's JSON text
    std::string key;         // the store's key
};

struct prepared_write {
    std::vector<std::uint64_t> batch_ids;  // the batches committed, from the front of the queue
    manifest_update update;         // ref -> new file or delete; the last op per key wins, in order
    std::vector<content_put> puts;  // one per key whose last op is a put
    /// Versioned mode only: the keys deleted, whose object MPS3 deletes too (`DELETE /<key>`,
    /// a delete marker that hides no version an entry names). Empty in suffixed mode.
    std::vector<std::string> delete_objects;
    /// Versioned mode: the versions of `update` are empty until assign_versions fills them in
    /// from the content PUTs' answers.
    content_mode mode = content_mode::suffixed;
};

/// Takes whole batches from the front of the queue, in order, up to the limits, and coalesces
/// them: the last op per key wins (a put then a delete is a delete and PUTs nothing); each put
/// gets a fresh version (uuid_v4 from random) and {"version", "replication": ""} in the update.
/// Keys must be non-empty, valid UTF-8, and not collide with the manifest's own objects: a key
/// equal to manifest_key or starting with "<manifest_key>@" would put its content under the
/// manifest's LIST prefix, where MPS3 clients delete it as an invalid entry. An invalid batch
/// stops the take before it; when it is the first one, the result is an errc::invalid_argument
/// about queue.front() (the caller rejects that batch). An update that ends up empty (only empty
/// batches) needs no entry: the caller just marks the batches done.
/// In versioned mode (BUCKET_FORMAT.md section 10) a put's object is the bare key, its version
/// in `update` is left empty (the server chooses it: assign_versions), and every delete is also
/// listed in delete_objects.
result<prepared_write> prepare_write(std::string_view bucket, std::string_view manifest_key,
                                     std::span<const write_batch> queue,
                                     const random_source& random, coalesce_limits limits = {},
                                     content_mode mode = content_mode::suffixed);

/// Versioned mode: writes the version id each content PUT returned (version_ids[i] for
/// write.puts[i]) into write.update. An empty id means the bucket is not versioned (MPS3 fails
/// the same way: "is not version enabled"); a versioned write must never name a version it
/// did not get from the server: errc::client_error (persistent: the bucket's owner must act),
/// and `write` is left unchanged. In
/// suffixed mode, or with a count that does not match, errc::invalid_argument.
status assign_versions(prepared_write& write, std::span<const std::string> version_ids,
                       std::string_view bucket);

/// Names a writer's entries: session id plus a counter that starts at 0 ("vv"). After
/// session_entry_limit keys the session id is replaced by a fresh one before the counter could
/// run out (MPS3 would emit "-1" there and break).
class writer_session {
  public:
    writer_session(std::string manifest_key, random_source random);

    /// The key for the next entry stamped t; every call takes a new counter (a retried entry
    /// needs a new key: entry keys are never rewritten).
    std::string next_key(timestamp t);

    [[nodiscard]] const std::string& session() const { return session_; }
    [[nodiscard]] unsigned next_counter() const { return counter_; }

  private:
    std::string manifest_key_;
    random_source random_;
    std::string session_;
    unsigned counter_ = 0;
};

}  // namespace mps3::protocol
