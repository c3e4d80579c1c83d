// The plain values the replica stores and returns. The replica knows nothing of S3 or of the
// protocol library: these mirror the few protocol notions it keeps (a content ref's bucket,
// version and replication; an atomic batch of writes), and the engine converts between them.
#pragma once

#include <mps3/write.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mps3::replica {

/// Epoch milliseconds, as the protocol layer counts time. Stored as INTEGER.
using time_point = std::chrono::sys_time<std::chrono::milliseconds>;

/// The version of a key's value that the bucket holds: enough to recompute the manifest's
/// "files" member "<bucket>/<key>": {"version": ..., "replication": ...}.
struct confirmed_value {
    std::string value;    // JSON text (the engine stores it compact, so text equality is value
                          // equality)
    std::string version;  // the content object is <key>@<version> in `bucket`
    std::string bucket;
    std::optional<std::string> replication;  // MPS3's experimental field, absent stays absent

    friend bool operator==(const confirmed_value&, const confirmed_value&) = default;
};

/// What get() and list() return: the merged view (the outbox overlay over kv).
struct entry {
    std::string key;
    std::string value;                   // JSON text
    std::optional<std::string> version;  // the confirmed version; nullopt while pending
    bool pending = false;                // the value comes from a queued local write

    friend bool operator==(const entry&, const entry&) = default;
};

/// One row of the change log: the visible value of `key` went from old_value to new_value.
struct change {
    change_seq seq = 0;  // per-store, strictly increasing, never reused (even after trim)
    std::string key;
    std::optional<std::string> old_value;  // nullopt: the key was absent
    std::optional<std::string> new_value;  // nullopt: the key is now absent (deleted)
    std::optional<std::string> version;    // the confirmed version now visible; nullopt for a
                                           // local write (it has none until uploaded)
    change_origin origin = change_origin::local;
    time_point at{};
    std::optional<std::int64_t> batch_id;  // the local batch that caused it, for local writes

    friend bool operator==(const change&, const change&) = default;
};

/// What enqueue_local_write committed.
struct enqueued {
    std::int64_t batch_id = 0;
    std::vector<change_seq> op_seqs;  // one per op, in order
    std::vector<change> changes;      // one per distinct key of the batch, in first-op order
};

enum class batch_state { queued, uploading };

/// One op of a queued batch, as the uploader reads it.
struct outbox_op {
    change_seq seq = 0;
    write_op write;
    std::optional<std::string> upload_version;  // the version the current attempt PUT for it

    friend bool operator==(const outbox_op&, const outbox_op&) = default;
};

/// An atomic batch of local writes waiting for (or in) an upload.
struct outbox_batch {
    std::int64_t id = 0;  // increasing in enqueue order, never reused
    time_point queued_at{};
    batch_state state = batch_state::queued;
    std::optional<std::string> attempt_id;  // set while uploading
    std::optional<time_point> attempt_started_at;
    std::int64_t attempts = 0;            // upload attempts started so far
    std::vector<std::string> entry_keys;  // entry keys the current attempt may have PUT
    std::vector<outbox_op> ops;

    friend bool operator==(const outbox_batch&, const outbox_batch&) = default;
};

/// A remote change to apply: the bucket now holds `value` for key, or nothing (nullopt).
struct remote_change {
    std::string key;
    std::optional<confirmed_value> value;
};

/// An immutable content object to keep in the content cache (<key>@<version> -> value).
struct content_item {
    std::string_view key;
    std::string_view version;
    std::string_view value;  // compact JSON
};

/// A key of the confirmed state, for recomputing the manifest "files" map.
struct confirmed_file {
    std::string key;
    std::string bucket;
    std::string version;
    std::optional<std::string> replication;

    friend bool operator==(const confirmed_file&, const confirmed_file&) = default;
};

/// For status(): how much local work waits for the bucket.
struct outbox_stats {
    std::int64_t queued_ops = 0;                  // outbox rows, queued or uploading
    std::int64_t queued_batches = 0;              // batches in state queued
    std::int64_t uploading_batches = 0;           // batches in state uploading
    std::optional<time_point> oldest_queued_at;   // of any batch still in the outbox
    std::optional<std::int64_t> oldest_batch_id;  // ids grow: flush waits for the oldest to
    std::optional<std::int64_t> newest_batch_id;  // pass the newest it saw
};

/// The retained span of the change log. A subscriber resuming after seq s has missed nothing
/// iff s + 1 >= oldest (or the log is empty and s >= newest): otherwise it must resync.
struct change_log_bounds {
    std::optional<change_seq> oldest;  // the oldest retained seq, nullopt when empty
    change_seq newest = 0;             // the last seq ever assigned (0: none yet)
};

/// One page of list(): items in key order, and where the next page starts.
struct list_page {
    std::vector<entry> items;
    std::optional<std::string> next_after;  // pass as `after` for the next page; nullopt: done
};

}  // namespace mps3::replica
