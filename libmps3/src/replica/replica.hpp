// The offline-first replica of one store: an SQLite file holding the confirmed remote state
// (kv), the queued local writes (outbox), the change log, a content cache and metadata.
// docs/replica.md describes the schema, the overlay rule and the recovery states.
//
// Every method is synchronous and runs one short transaction; the engine calls them on its io
// thread. One thread at a time: the connection is opened without SQLite's mutexes. A method that
// returns success has committed (and, with sync_mode::full, fsynced); a method that fails has
// changed nothing.
#pragma once

#include "replica/sqlite.hpp"
#include "replica/types.hpp"

#include <mps3/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mps3::replica {

/// PRAGMA synchronous. In WAL mode both keep the file consistent after any crash; they differ
/// on power loss (or a kernel crash): `full` fsyncs the WAL at every commit, so a committed
/// transaction survives; `normal` fsyncs only at checkpoints, so the last transactions before
/// a power cut may roll back, in exchange for far fewer fsyncs per write.
enum class sync_mode { full, normal };

struct options {
    sync_mode synchronous = sync_mode::full;
    /// How long a statement waits for another connection's lock before SQLITE_BUSY.
    std::chrono::milliseconds busy_timeout{5000};
    /// Create the file when missing (the directory must exist).
    bool create = true;
    /// 0: no limit. Otherwise the file may not grow past this many bytes: writes that would
    /// fail with SQLITE_FULL, as on a full disk (a quota for the replica; also how tests
    /// exercise the disk-full path).
    std::uint64_t max_file_bytes = 0;
    /// The time stamped on outbox batches and change rows. Defaults to the system clock.
    std::function<time_point()> clock;
};

/// The settings the connection actually runs with, read back from SQLite (for status output
/// and diagnostics: a setting SQLite ignored would show here).
struct connection_settings {
    std::string journal_mode;      // "wal"
    std::int64_t synchronous = 0;  // 2 = FULL, 1 = NORMAL
    bool foreign_keys = false;
    std::int64_t busy_timeout_ms = 0;
    std::int64_t page_size = 0;
    std::int64_t max_page_count = 0;
    std::int64_t schema_version = 0;
};

/// PRAGMA application_id of a replica file: "MPS3" in ASCII, so tools and we recognise it.
inline constexpr std::int64_t application_id = 0x4D505333;
/// PRAGMA user_version this code writes; a file with a larger one is refused.
inline constexpr std::int64_t schema_version = 1;

/// Well-known meta names. Values are text; numbers are stored in decimal.
namespace meta_key {
inline constexpr std::string_view store_identity = "store_identity";  // endpoint/bucket/manifest
inline constexpr std::string_view session_id = "session_id";
inline constexpr std::string_view session_counter = "session_counter";
inline constexpr std::string_view clock_offset_ms = "clock_offset_ms";
inline constexpr std::string_view newest_entry_key = "newest_entry_key";
inline constexpr std::string_view marker_etag = "marker_etag";
inline constexpr std::string_view last_sync_at = "last_sync_at";  // epoch ms
}  // namespace meta_key

class replica {
  public:
    /// Opens or creates the replica file: WAL, the chosen synchronous mode, busy_timeout,
    /// foreign keys; migrates the schema forward in one transaction. Fails with errc::storage
    /// for a file that is not SQLite, that belongs to another application, or that a newer
    /// mps3d wrote (schema version above ours).
    static result<replica> open(const std::filesystem::path& path, options opts = {});

    replica(replica&&) noexcept = default;
    replica& operator=(replica&&) noexcept = default;
    replica(const replica&) = delete;
    replica& operator=(const replica&) = delete;
    ~replica() = default;

    // --- reads: the merged view (outbox overlay over kv) ---------------------------------

    /// The newest queued op for key if any (a delete reads as absent), else kv.
    result<std::optional<entry>> get(std::string_view key);
    /// Like get for each key, from one snapshot; the result is aligned with keys.
    result<std::vector<std::optional<entry>>> get_many(std::span<const std::string> keys);
    /// Visible keys starting with prefix and greater than after (when given), in byte order,
    /// at most limit (limit 0 returns an empty page). Pass next_after back for the next page.
    result<list_page> list(std::string_view prefix, std::size_t limit,
                           std::optional<std::string_view> after = std::nullopt);

    /// Pins this connection to the file as it is now, until the replica is destroyed: a read
    /// transaction held open, so every later read (get, get_many, list) sees that one
    /// snapshot. For a read-only connection of its own (an export): the WAL cannot be
    /// checkpointed past the snapshot while it is held.
    status hold_snapshot();

    // --- local writes and the outbox -----------------------------------------------------

    /// Queues one atomic batch (outbox rows + change-log rows, origin local) in one
    /// transaction. Acknowledge the write only after this returns success. An empty batch is
    /// errc::invalid_argument.
    result<enqueued> enqueue_local_write(std::span<const write_op> ops);
    /// Group commit: several atomic batches, each in its own savepoint, all in one transaction
    /// (one fsync). A batch that fails (empty, or a statement error) is rolled back alone and
    /// gets its error; the others commit. The outer error (BEGIN or COMMIT failing) means none
    /// of them is in the file. Results are in the order of `batches`, seqs ascending with it.
    result<std::vector<result<enqueued>>> enqueue_local_writes(
        std::span<const std::span<const write_op>> batches);
    /// Up to limit batches, oldest first, queued or uploading, with their ops.
    result<std::vector<outbox_batch>> pending_batches(std::size_t limit);
    /// queued -> uploading under attempt_id, recording the content version chosen per key
    /// (key -> version) on the batches' ops. Every batch must exist and be queued.
    status mark_uploading(std::span<const std::int64_t> batch_ids, std::string_view attempt_id,
                          std::span<const std::pair<std::string, std::string>> versions);
    /// Versioned mode: records the content versions the server returned for the attempt's
    /// puts (key -> version id), after its content PUTs and before any entry key is noted.
    /// The attempt must exist (some batch uploading under it).
    status record_upload_versions(std::string_view attempt_id,
                                  std::span<const std::pair<std::string, std::string>> versions);
    /// Records that the attempt is about to PUT this entry key, so that after a crash the
    /// engine can look for it in the listing before deciding to upload again.
    status note_entry_key(std::string_view attempt_id, std::string_view entry_key);
    /// The batches are in the bucket: removes them and writes `confirmed` (what the bucket now
    /// holds for their keys, from a resolve that includes the entry) into kv. Keys whose
    /// visible value changes as the overlay goes away get change rows (origin remote).
    /// Batches already gone are ignored, so completing twice is harmless.
    result<std::vector<change>> complete_upload(std::span<const std::int64_t> batch_ids,
                                                std::span<const remote_change> confirmed);
    /// uploading -> queued (the attempt is known not to have committed an entry).
    status requeue(std::span<const std::int64_t> batch_ids);
    /// Drops batches that can never be uploaded (the writer rejected them); the keys fall back
    /// to their confirmed values, with change rows (origin local) where that is visible.
    result<std::vector<change>> discard_batches(std::span<const std::int64_t> batch_ids);
    result<outbox_stats> outbox_status();

    // --- remote state --------------------------------------------------------------------

    /// Applies a resolved diff in one transaction: kv takes every change; a change row
    /// (origin remote) is appended for each key whose visible value or version changed. A key
    /// with queued local writes is shadowed: kv changes, the view does not, no row now.
    /// `meta` is written in the same transaction (newest entry key, marker ETag...), so the
    /// sync position never runs ahead of or behind the state it describes.
    result<std::vector<change>> apply_remote(
        std::span<const remote_change> diff,
        std::span<const std::pair<std::string, std::string>> meta = {});
    /// The confirmed state, key order: what the manifest's "files" map holds.
    result<std::vector<confirmed_file>> confirmed_files();

    // --- change log ----------------------------------------------------------------------

    /// Rows with seq > since, oldest first, at most limit.
    result<std::vector<change>> changes_since(change_seq since, std::size_t limit);
    result<change_log_bounds> change_bounds();
    /// Keeps the newest keep_last rows; returns how many were deleted.
    result<std::int64_t> trim_changes_keep_last(std::int64_t keep_last);
    /// Deletes rows stamped before cutoff; returns how many were deleted.
    result<std::int64_t> trim_changes_before(time_point cutoff);

    // --- content cache (immutable <key>@<version> -> value) ------------------------------

    result<std::optional<std::string>> get_content(std::string_view key, std::string_view version);
    /// Caches every item in one transaction (one fsync, however many: a sync fetches thousands
    /// at a time). Items already present are left alone: content objects are immutable.
    status put_contents(std::span<const content_item> items);
    /// Keeps the keep_last most recently cached objects; returns how many were deleted.
    result<std::int64_t> trim_content_cache(std::int64_t keep_last);

    // --- meta ----------------------------------------------------------------------------

    result<std::optional<std::string>> get_meta(std::string_view name);
    status set_meta(std::string_view name, std::string_view value);
    /// Several names in one transaction.
    status set_meta(std::span<const std::pair<std::string, std::string>> values);
    status erase_meta(std::string_view name);

    result<connection_settings> settings();

    /// PRAGMA query_only: from now on every write through this connection fails (the store's
    /// reading connection, next to the writer thread's).
    status forbid_writes();

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }

  private:
    replica(sqlite::database db, std::filesystem::path path, options opts)
        : db_(std::move(db)), path_(std::move(path)), opts_(std::move(opts)) {}

    /// The body of enqueue_local_write, inside the caller's transaction (or savepoint).
    result<enqueued> enqueue_in_transaction(std::span<const write_op> ops);

    // Shared by the parts (replica.cpp); each runs inside the caller's transaction.
    struct lookup_result {
        std::optional<entry> visible;  // what get() answers
        bool shadowed = false;         // queued local ops decide the view, not kv
    };
    result<lookup_result> lookup(std::string_view key);
    result<std::optional<entry>> visible(std::string_view key);
    result<change> append_change(std::string_view key, const std::optional<std::string>& old_value,
                                 const std::optional<std::string>& new_value,
                                 const std::optional<std::string>& version, change_origin origin,
                                 std::optional<std::int64_t> batch_id);
    status write_kv(std::string_view key, const std::optional<confirmed_value>& value);
    status write_meta(std::span<const std::pair<std::string, std::string>> values);
    /// Captures the visible values of keys, lets `mutate` change the tables, and appends a
    /// change row for each key whose visible value (or, when count_version, version) moved.
    /// For small key sets (an upload's keys); apply_remote has its own single-pass loop.
    result<std::vector<change>> track_visible(const std::vector<std::string>& keys,
                                              change_origin origin, bool count_version,
                                              const std::function<status()>& mutate);
    result<std::optional<change>> log_if_changed(std::string_view key,
                                                 const std::optional<entry>& before,
                                                 const std::optional<entry>& after,
                                                 change_origin origin, bool count_version);
    time_point now() const;

    sqlite::database db_;
    std::filesystem::path path_;
    options opts_;
};

}  // namespace mps3::replica
