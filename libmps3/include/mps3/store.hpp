// A store: one MPS3 key-value store (endpoint + bucket + manifest key) with its offline-first
// SQLite replica. Reads and writes are answered from the replica at once; a background sync loop
// on the caller's executor uploads queued writes (several queued writes become one manifest entry)
// and polls the bucket for other writers' changes.
//
// Values are JSON texts (any JSON value, null included); a delete is explicit (std::nullopt).
// All methods must be called on the executor's thread.
#pragma once

#include <mps3/bucket.hpp>
#include <mps3/log.hpp>
#include <mps3/result.hpp>
#include <mps3/s3/client.hpp>
#include <mps3/write.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mps3 {

enum class durability {
    full,    // fsync on every commit (synchronous=FULL): survives power loss
    normal,  // WAL synchronous=NORMAL: survives a crash of the process, not a power loss
};

struct store_config {
    s3::client_config s3;  // endpoint, credentials, timeouts, retries
    std::string bucket;    // where the manifest and the content live
    std::string manifest_key = "manifest.json";
    std::filesystem::path replica_path;  // the SQLite file (created when missing)
    std::chrono::milliseconds poll_interval{1000};
    /// After a failure only the bucket's owner or the operator can fix (AccessDenied,
    /// NoSuchBucket...), the longest wait between tries; transient ones wait up to 30 s.
    std::chrono::milliseconds max_persistent_backoff{300'000};
    /// Object requests (content PUTs of an upload, content GETs of a sync) in flight at once;
    /// the S3 connection pool is sized to it. Round trips, not objects, set a sync's time.
    std::size_t max_parallel_requests = 64;
    bool start_online = true;
    bool collect_garbage = true;  // delete entries MPS3 would delete
    /// What the store reads of other writers' objects (docs/bucket-format.md, "Hostile
    /// objects"): a manifest entry or content object over its byte limit is refused without
    /// being downloaded, an entry naming more than max_entry_files refs (files and update.files
    /// together) is refused once parsed; either is skipped with one warning, like an
    /// unreadable one. They bound the memory one poll can be made to take. An entry carries
    /// the whole state at about 85 bytes a key, so the defaults fit 500,000 keys.
    std::size_t max_entry_bytes = std::size_t{64} << 20;
    std::size_t max_content_bytes = std::size_t{16} << 20;
    std::size_t max_entry_files = 500'000;
    /// Store manifest entries gzip-compressed (`Content-Encoding: gzip`): each carries the whole
    /// key map, about 95 bytes per key uncompressed. MPS3 JS reads them through fetch, which
    /// decodes transparently (docs/bucket-format.md). Compressed or plain entries are read either
    /// way.
    bool compress_entries = true;
    /// Memory for the values gets returned lately (LRU, per store), so a hot key is answered
    /// without a SQLite read; 0 turns it off. It never serves a stale value: a key's entry goes
    /// when a write of it commits.
    std::size_t read_cache_bytes = std::size_t{8} << 20;
    /// MPS3's versioned mode (`useVersioning`, docs/bucket-format.md "Versioned mode"): content
    /// lives at "<key>" itself in a bucket with S3 versioning Enabled, and the manifest names the
    /// version id each PUT returned. Before it syncs, the store checks the bucket's versioning
    /// (GetBucketVersioning) and refuses, with a persistent error, unless it is Enabled. Every
    /// writer of a bucket must use the same mode.
    bool versioning = false;
    durability sync_mode = durability::full;
    /// How long a write waits for another process holding the replica file's write lock (an
    /// `sqlite3` shell, a backup) before it fails with errc::storage.
    std::chrono::milliseconds replica_lock_timeout{5000};
    /// Added to the local clock (tests simulate skewed machines with it).
    std::chrono::milliseconds local_clock_skew{0};
    /// Tests: the bucket to talk to instead of an S3 client on `bucket` (then `s3` is unused
    /// but for the store's identity). Called once, at open.
    std::function<std::unique_ptr<bucket_client>(boost::asio::any_io_executor)> make_bucket;
    log_sink log;
};

/// What store::open checks before it opens anything, for callers that report a bad
/// configuration before doing anything else (mps3d exits 2): the bucket name (S3's rules,
/// stricter for AWS's virtual-hosted addressing), the manifest key (its entry keys must be
/// object keys), credentials present, the replica path, the limits. errc::invalid_argument (or
/// errc::no_credentials) with a message naming the setting; never a secret.
status check_store_config(const store_config& config);

/// Versioned mode's check (store_config::versioning): asks the bucket's versioning
/// (GetBucketVersioning, through config.make_bucket when set, else an S3 client made from
/// config.s3). Success iff it is Enabled. A definite "no" (suspended, never enabled, a server
/// without versioning, no permission to ask, no such bucket) is errc::invalid_argument with a
/// message saying what to do; anything that may pass (network, timeout, 5xx) is returned as
/// it came. A store checks by itself before it syncs; mps3d also asks at start, to refuse to
/// start (exit 2) rather than run a store that cannot sync.
boost::asio::awaitable<status> async_check_bucket_versioning(boost::asio::any_io_executor executor,
                                                             store_config config);

/// One visible change of one key.
struct change_event {
    change_seq seq = 0;
    std::string key;
    std::optional<std::string> old_value;  // JSON text; nullopt: was absent
    std::optional<std::string> new_value;  // JSON text; nullopt: deleted
    std::string version;  // content version (empty for a local write not yet uploaded)
    change_origin origin = change_origin::local;
};

struct write_receipt {
    change_seq seq = 0;  // change-log seq of the write's last change
};

struct list_entry {
    std::string key;
    std::string value;  // JSON text
};

struct list_result {
    std::vector<list_entry> entries;
    std::string next_after;  // empty when there is nothing more
};

/// A sync that fetches content: how far it got (keys, counted from the start of that sync).
struct sync_progress {
    std::uint64_t fetched = 0;
    std::uint64_t total = 0;
};

/// What the last sync error needs: nothing but time, or someone to act.
enum class sync_error_kind {
    none,        // no error: the last sync succeeded (or none was tried yet)
    transient,   // the network or the server: retried with backoff, passes by itself
    persistent,  // only the bucket's owner or the operator can fix it (credentials, bucket)
};

struct store_status {
    bool online = false;
    std::uint64_t queued_writes = 0;
    std::optional<std::chrono::system_clock::time_point> oldest_queued;
    std::optional<std::chrono::system_clock::time_point> last_sync;
    std::chrono::milliseconds clock_offset{0};
    std::string last_error;  // "" once a sync succeeds
    sync_error_kind error_kind = sync_error_kind::none;
    std::uint64_t failed_attempts = 0;  // sync rounds failed in a row
    std::optional<std::chrono::system_clock::time_point> failing_since;  // the first of them
    std::optional<std::chrono::system_clock::time_point> next_attempt;   // while failing
    std::uint64_t entries_written = 0;  // manifest entries this process uploaded
    std::uint64_t entries_read = 0;     // manifest entry bodies fetched from the bucket
    std::uint64_t polls = 0;            // polls of the bucket (a marker HEAD, maybe a LIST)
    std::uint64_t subscriptions = 0;    // subscriptions open on the store now
    change_seq last_seq = 0;
    std::optional<sync_progress> syncing;  // set while a sync fetches content
    bool initial_sync_done = false;        // the bucket was read to the end since the start
    bool versioning = false;               // versioned mode (store_config::versioning)
    // Local writes since the store opened, and the transactions that committed them; their
    // ratio is the writes per fsync (async_put_all groups them, put_all commits at once).
    std::uint64_t group_committed_writes = 0;
    std::uint64_t group_commits = 0;
    // The read cache (store_config::read_cache_bytes): keys answered from it and not.
    std::uint64_t read_cache_hits = 0;
    std::uint64_t read_cache_misses = 0;
    std::uint64_t read_cache_bytes = 0;  // what it holds now
};

class subscription;

/// A store frozen at one point in time, for reading it whole (an export) while writes go on:
/// every page of list() comes from the same snapshot. It holds a read transaction on a replica
/// connection of its own, so the WAL cannot be checkpointed past it: keep it briefly. Use it
/// on the store's executor thread, and destroy it before the store.
class store_snapshot {
  public:
    ~store_snapshot();
    store_snapshot(const store_snapshot&) = delete;
    store_snapshot& operator=(const store_snapshot&) = delete;

    /// Keys > after with this prefix, in key order, as they were when the snapshot was taken.
    result<list_result> list(const std::string& prefix, std::size_t limit,
                             const std::string& after);

    struct impl;
    explicit store_snapshot(std::unique_ptr<impl> state);

  private:
    std::unique_ptr<impl> impl_;
};

class store {
  public:
    using executor_type = boost::asio::any_io_executor;
    using change_handler = std::function<void(const change_event&)>;

    /// Opens (creating if needed) the replica and starts the sync loop. Fails on a bad config or
    /// an unusable replica file; never on the bucket being unreachable.
    static result<std::unique_ptr<store>> open(executor_type executor, store_config config);
    ~store();
    store(const store&) = delete;
    store& operator=(const store&) = delete;

    /// Durable in the replica when it returns (committed, fsynced per durability). Blocks the
    /// calling thread for the commit, which runs on the store's writer thread.
    result<write_receipt> put(std::string key, std::string json);
    result<write_receipt> put_all(std::vector<write_op> ops);  // atomic: one manifest entry
    result<write_receipt> del(std::string key);
    /// The same write with group commit, for servers: writes made while a commit is running
    /// join the next one, so concurrent clients share one transaction and one fsync, made on
    /// the store's writer thread while this thread goes on serving. The write is checked and
    /// submitted when this is called (a read made after the call sees it: see read_waits); the
    /// awaitable completes when it is durable in the replica, like put_all returns. A commit that
    /// fails fails every write of its group (errc::storage). Call it on the store's executor.
    boost::asio::awaitable<result<write_receipt>> async_put_all(std::vector<write_op> ops);
    /// How the values of a write arrive. `any`: JSON text in any layout, parsed and compacted
    /// here. `compact`: compact JSON a JSON writer just produced from a parsed document (the
    /// daemon's request parser), taken as is: parsing it again would only cost time (a third
    /// of a pipelined put's CPU). Anything else is a bug in the caller.
    enum class json_text { any, compact };
    boost::asio::awaitable<result<write_receipt>> async_put_all(std::vector<write_op> ops,
                                                                json_text values);

    /// Reads see every write made before them. A read of a key with a write still being
    /// committed (async_put_all not answered yet) waits for that commit: get, get_all and list
    /// block the calling thread for it. A server that must not block asks read_waits first and,
    /// when it says so, awaits async_writes_answered before reading.
    result<std::optional<std::string>> get(const std::string& key);
    /// Whether a read of key (with prefix: of any key starting with it) would wait for writes
    /// still being committed. Cheap: a hash lookup, or nothing while no write is in flight.
    [[nodiscard]] bool read_waits(std::string_view key_or_prefix, bool prefix) const;
    /// Completes once every write made before the call is answered (committed or failed).
    boost::asio::awaitable<void> async_writes_answered();
    /// One consistent snapshot; absent keys are nullopt.
    result<std::vector<std::optional<std::string>>> get_all(const std::vector<std::string>& keys);
    /// Keys > after with this prefix, in key order.
    result<list_result> list(const std::string& prefix, std::size_t limit,
                             const std::string& after);

    /// A snapshot that includes every write made before the call (it waits for writes still
    /// being committed, like list). Fails with errc::storage when the replica cannot be opened.
    result<std::unique_ptr<store_snapshot>> open_snapshot();

    /// Every visible change of a key equal to `key` (exact) or starting with `prefix`.
    /// The handler runs on the executor; keep the subscription object alive to keep receiving.
    subscription subscribe_key(std::string key, change_handler handler);
    subscription subscribe_prefix(std::string prefix, change_handler handler);
    /// Changes after `since` still in the change log (oldest first), for resubscribing.
    /// Committed changes only: a write still being committed has no seq yet; subscribers hear
    /// of it when it commits.
    result<std::vector<change_event>> changes_since(change_seq since, std::size_t limit);

    /// false: stop all bucket traffic now (requests in flight are cancelled); true: resume.
    void set_online(bool online);
    /// Cuts a wait between sync attempts short: the next one starts now. For when what made
    /// the last ones fail was just fixed (mps3d's SIGHUP re-read the credentials).
    void retry_now();
    /// Completes when every write accepted before the call is in the bucket. Fails with
    /// errc::timeout when that takes longer (offline, the bucket unreachable: the message says
    /// which), and errc::cancelled when the store closes meanwhile.
    boost::asio::awaitable<status> async_flush(std::chrono::milliseconds timeout);
    /// Completes when the store has read the bucket to the end once since it opened (a
    /// joining replica holds every key then). Fails like async_flush.
    boost::asio::awaitable<status> async_initial_sync(std::chrono::milliseconds timeout);
    [[nodiscard]] store_status get_status() const;
    /// Stops the sync loop (after an upload in progress) and closes the replica.
    boost::asio::awaitable<void> async_close();

    struct impl;

  private:
    explicit store(std::shared_ptr<impl> state);
    std::shared_ptr<impl> impl_;
};

/// Unsubscribes when destroyed or reset().
class subscription {
  public:
    subscription() = default;
    subscription(std::weak_ptr<store::impl> owner, std::uint64_t id)
        : owner_(std::move(owner)), id_(id) {}
    ~subscription() { reset(); }
    subscription(subscription&& other) noexcept
        : owner_(std::move(other.owner_)), id_(std::exchange(other.id_, 0)) {}
    subscription& operator=(subscription&& other) noexcept;
    subscription(const subscription&) = delete;
    subscription& operator=(const subscription&) = delete;
    void reset();
    [[nodiscard]] std::uint64_t id() const { return id_; }

  private:
    std::weak_ptr<store::impl> owner_;
    std::uint64_t id_ = 0;
};

}  // namespace mps3
