// The state behind mps3::store, shared by the local API (store.cpp), the bucket reader
// (remote_state.cpp) and the sync loop (sync_loop.cpp). Everything runs on one executor.
#pragma once

#include "engine/applied_files.hpp"
#include "engine/manifest_reader.hpp"
#include "engine/marker_check.hpp"
#include "engine/os_random.hpp"
#include "engine/poll_gate.hpp"
#include "engine/read_cache.hpp"
#include "engine/replica_writer.hpp"
#include "engine/subscription_hub.hpp"
#include "engine/sync_health.hpp"
#include "engine/upload_pipeline.hpp"
#include "protocol/clock.hpp"
#include "protocol/entry_body.hpp"
#include "protocol/resolver.hpp"
#include "protocol/writer.hpp"
#include "replica/replica.hpp"

#include <mps3/bucket.hpp>
#include <mps3/store.hpp>

#include <boost/asio/steady_timer.hpp>

#include <list>
#include <random>
#include <set>
#include <unordered_map>

namespace mps3 {

namespace engine {}  // namespace engine

struct store::impl : std::enable_shared_from_this<store::impl> {
    impl(executor_type ex, store_config cfg, replica::replica reader_db,
         replica::replica writer_db);
    ~impl();

    executor_type executor;
    store_config config;
    replica::replica db;  // the io thread's connection: reads only (PRAGMA query_only)
    // Every write to the replica, on its own thread and connection (replica_writer.hpp).
    std::shared_ptr<engine::replica_writer> writer;
    std::unique_ptr<bucket_client> bucket;  // the S3 client, or config.make_bucket's
    engine::os_random random_words;         // content versions and session ids (os_random.hpp)
    std::mt19937_64 rng;                    // retry jitter only, seeded from random_words
    protocol::random_source random;
    protocol::clock_estimator clock;
    protocol::writer_session session;

    bool online = true;
    bool closing = false;
    bool loop_done = false;
    boost::asio::steady_timer wake;                 // the sync loop sleeps on it
    std::list<boost::asio::steady_timer*> waiters;  // flush() and close() wait on these

    engine::subscription_hub subscriptions;

    engine::manifest_reader reader;                  // and its cache of entry bodies
    std::set<std::string, std::less<>> bad_content;  // "<key>@<version>" that is not JSON
    // The next group, its content already in the bucket, waiting for the entry in progress
    // (pipelined uploads, docs/durability.md).
    std::optional<engine::upload_group> staged;
    engine::applied_files kv_mirror;     // what kv holds, for diffing polls without reading it
    engine::poll_gate polls;             // whether a poll may stop after the marker's HEAD
    engine::marker_check marker_sanity;  // a marker that is not "": one warning
    std::optional<protocol::timestamp> newest_seen;
    // Versioned mode: the bucket answered GetBucketVersioning with Enabled since the store
    // opened (asked again after a content PUT came back without a version id).
    bool versioning_confirmed = false;
    [[nodiscard]] protocol::content_mode content_mode() const {
        return config.versioning ? protocol::content_mode::versioned
                                 : protocol::content_mode::suffixed;
    }

    std::optional<sync_progress> syncing;  // while a sync fetches content
    bool initial_sync_done = false;        // a poll has run to its end since the store opened
    std::optional<std::chrono::system_clock::time_point> last_sync;
    engine::sync_health health;  // failures: kind, backoff, what the log hears (sync_health.hpp)
    std::optional<std::chrono::system_clock::time_point> next_attempt;  // while failing
    std::uint64_t entries_written = 0;
    std::uint64_t entries_read = 0;  // entry bodies fetched (for metrics)
    std::uint64_t polls_started = 0;

    // Local writes (store::async_put_all) go to the writer thread, which group-commits them.
    // Until a write is answered, reads of its keys wait for it (read_waits_for): a read sees
    // every write made before it. The sync loop's writes that change what reads see (a remote
    // apply, a completed upload, a dropped batch) hold reads the same way, with no ops, until
    // their subscribers are notified: a read never shows a change before it is notified.
    struct queued_write : engine::local_write {
        explicit queued_write(executor_type ex)
            : done(ex, std::chrono::steady_clock::time_point::max()) {}
        std::optional<result<write_receipt>> outcome;
        boost::asio::steady_timer done;  // cancelled once outcome is set
        std::vector<std::string> held;   // a sync write's keys (a local write's are its ops')
        bool holds_all = false;          // a sync write whose keys are not known beforehand
    };
    struct key_hash {
        using is_transparent = void;  // lookups by string_view, without a copy
        std::size_t operator()(std::string_view key) const noexcept {
            return std::hash<std::string_view>{}(key);
        }
    };
    // Key -> the newest write of it not answered yet.
    std::unordered_map<std::string, std::shared_ptr<queued_write>, key_hash, std::equal_to<>>
        uncommitted_keys;
    std::shared_ptr<queued_write> newest_uncommitted;
    std::size_t reads_held_whole = 0;  // sync writes in flight with holds_all
    // Recent answers of get/getAll, for keys with nothing in flight (read_cache.hpp).
    engine::read_cache value_cache;

    // --- helpers shared by the parts ---
    [[nodiscard]] protocol::timestamp local_now() const;
    void log(log_level level, const std::string& message) const;
    void observe(const s3::response_meta& meta);  // feeds the clock estimator
    void notify(const std::vector<replica::change>& changes);
    /// Keeps the written values in the content cache, in one transaction on the writer thread,
    /// not awaited (best effort: the cache only saves GETs).
    void cache_contents(const std::vector<replica::remote_change>& changes);
    /// After a write of kv (apply_remote, complete_upload): the mirror takes `changes` and the
    /// subscribers hear of what became visible; after a failed one the mirror is forgotten.
    /// The one place that keeps the mirror exact (applied_files.hpp).
    status kv_written(result<std::vector<replica::change>> written,
                      std::span<const replica::remote_change> changes);
    /// For a sync write of kv about to be submitted (apply_remote, complete_upload): holds the
    /// reads of the changed keys, and returns the writer completion that runs kv_written on the
    /// io thread and then lets them go, so a read never shows a change before it is notified.
    std::function<status(result<std::vector<replica::change>>)> kv_write_done(
        std::shared_ptr<const std::vector<replica::remote_change>> changes);
    /// db.complete_upload (on the writer thread), then kv_written.
    boost::asio::awaitable<status> async_complete_upload(
        std::span<const std::int64_t> batch_ids,
        const std::vector<replica::remote_change>& confirmed);
    void wake_loop();
    /// New work for the loop (a write committed): wakes it unless it is backing off after a
    /// persistent failure, where one more try soon would only add load, and log lines, to a
    /// bucket that will refuse it again.
    void nudge_loop();
    void wake_waiters();
    /// Waits until done() (checked after every sync round), the deadline (errc::timeout, the
    /// message says what was awaited), or the store closing (errc::cancelled).
    boost::asio::awaitable<status> async_wait_until(const std::function<result<bool>()>& done,
                                                    std::chrono::milliseconds timeout,
                                                    std::string_view operation,
                                                    std::string_view waiting_for);
    status validate_key(std::string_view key) const;
    /// Checks a write and submits it to the writer thread (the next group commit); a write that
    /// fails the check comes back with its outcome set and is not submitted.
    std::shared_ptr<queued_write> queue_write(std::vector<write_op> ops, store::json_text values);
    /// Validates the keys and (json_text::any) compacts the values of a write, in place.
    status prepare_write(std::vector<write_op>& ops, store::json_text values) const;
    /// A write's group is over (io thread, in submission order): notify, answer, wake the loop.
    void write_committed(const std::shared_ptr<queued_write>& write);
    /// Registers a sync write about to be submitted that changes `keys` (all keys: `whole`):
    /// reads of them wait until release_reads.
    std::shared_ptr<queued_write> hold_reads(std::vector<std::string> keys, bool whole);
    void release_reads(const std::shared_ptr<queued_write>& hold);
    /// Drops a write or hold from the in-flight keys once it is answered.
    void forget_in_flight(const std::shared_ptr<queued_write>& write);
    /// Whether a read of key (or, with prefix, of any key starting with it) must wait for
    /// writes made before it and not answered yet.
    [[nodiscard]] bool read_waits_for(std::string_view key, bool prefix) const;
    /// The synchronous reads' wait: blocks for the writer when read_waits_for says so.
    void settle_before_read(std::string_view key, bool prefix);
    /// Runs `work(replica&)` on the writer thread, after every write submitted before it.
    template <class Work>
    auto async_write(Work work) {
        return engine::async_write(writer, std::move(work));
    }

    // remote_state.cpp
    boost::asio::awaitable<result<engine::remote_state>> async_read_remote();
    boost::asio::awaitable<status> async_apply_remote(const engine::remote_state& state);
    struct fetched_contents {
        std::vector<replica::remote_change> from_bucket;  // to cache
        std::vector<replica::remote_change> from_cache;
        bool incomplete = false;  // content missing or not JSON: those keys stay as they were
    };
    boost::asio::awaitable<result<fetched_contents>> async_fetch_contents(
        std::span<const std::pair<std::string, const protocol::file_state*>> items);
    boost::asio::awaitable<void> async_collect_garbage(const engine::remote_state& state);

    // sync_loop.cpp
    boost::asio::awaitable<void> run_loop();
    boost::asio::awaitable<status> async_sync_once();
    /// One upload round (engine::next_upload decides it); true when the outbox changed and the
    /// next round has work.
    boost::asio::awaitable<result<bool>> async_upload_one();
    /// uploading -> queued, on the writer thread.
    boost::asio::awaitable<status> async_requeue(std::span<const std::int64_t> batch_ids);
    /// queued -> uploading, with the versions chosen: before any of the group's PUTs.
    boost::asio::awaitable<status> async_mark_group(engine::upload_group& group);
    /// The group's content PUTs (and, in versioned mode, the deletes' DELETEs); in versioned
    /// mode the version ids returned go into the group's update and into the outbox.
    boost::asio::awaitable<status> async_put_contents(engine::upload_group& group);
    /// Versioned mode: GetBucketVersioning until it says Enabled (engine/versioning_check.hpp).
    boost::asio::awaitable<status> async_check_versioning();
    /// Prepares, marks and PUTs the content of the group after the current one (into staged).
    boost::asio::awaitable<void> async_stage_next(std::span<const replica::outbox_batch> batches);
    /// Steps 4-8 of docs/durability.md: LIST, stamp, entry PUT and verdict, marker, complete.
    boost::asio::awaitable<status> async_commit_group(
        const engine::upload_group& group, const std::vector<replica::outbox_batch>& pending);
    boost::asio::awaitable<status> async_poll();
    /// Settles batches left "uploading": completes those whose entry landed, requeues the rest.
    boost::asio::awaitable<status> async_recover_attempts(
        const std::vector<replica::outbox_batch>& pending);
    /// An object's body (the machines judge bodies, not S3 metadata).
    boost::asio::awaitable<result<std::string>> async_get_body(const std::string& key);
    /// The LastModified a LIST shows for exactly this key; nullopt when it is not listed.
    boost::asio::awaitable<result<std::optional<protocol::timestamp>>> async_listed_modified(
        const std::string& entry_key);
};

/// How every connection of a store opens its replica file.
replica::options replica_options(const store_config& config);
/// A page of the merged view read through db, in the public API's terms.
result<list_result> list_page_of(replica::replica& db, const std::string& prefix, std::size_t limit,
                                 const std::string& after);

}  // namespace mps3
