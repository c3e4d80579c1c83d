// The state behind mps3::store, shared by the local API (store.cpp), the bucket reader
// (remote_state.cpp) and the sync loop (sync_loop.cpp). Everything runs on one executor.
#pragma once

#include "engine/applied_files.hpp"
#include "engine/manifest_reader.hpp"
#include "engine/os_random.hpp"
#include "engine/poll_gate.hpp"
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

namespace mps3 {

namespace engine {}  // namespace engine

struct store::impl : std::enable_shared_from_this<store::impl> {
    impl(executor_type ex, store_config cfg, replica::replica replica_db);

    executor_type executor;
    store_config config;
    replica::replica db;
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
    engine::applied_files kv_mirror;  // what kv holds, for diffing polls without reading it
    engine::poll_gate polls;          // whether a poll may stop after the marker's HEAD
    std::optional<protocol::timestamp> newest_seen;

    std::optional<sync_progress> syncing;  // while a sync fetches content
    bool initial_sync_done = false;        // a poll has run to its end since the store opened
    std::optional<std::chrono::system_clock::time_point> last_sync;
    engine::sync_health health;  // failures: kind, backoff, what the log hears (sync_health.hpp)
    std::optional<std::chrono::system_clock::time_point> next_attempt;  // while failing
    std::uint64_t entries_written = 0;

    // Group commit of local writes (store::async_put_all): queued until the commit posted for
    // them runs; everything queued by then goes in that one transaction.
    struct queued_write {
        queued_write(executor_type ex, std::vector<write_op> w)
            : ops(std::move(w)), done(ex, std::chrono::steady_clock::time_point::max()) {}
        std::vector<write_op> ops;
        std::optional<result<write_receipt>> outcome;
        boost::asio::steady_timer done;  // cancelled once outcome is set
    };
    std::vector<std::shared_ptr<queued_write>> write_queue;
    bool commit_posted = false;
    std::uint64_t group_commits = 0;           // transactions that committed queued writes
    std::uint64_t group_committed_writes = 0;  // the writes they committed

    // --- helpers shared by the parts ---
    [[nodiscard]] protocol::timestamp local_now() const;
    void log(log_level level, const std::string& message) const;
    void observe(const s3::response_meta& meta);  // feeds the clock estimator
    void notify(const std::vector<replica::change>& changes);
    /// Keeps the written values in the content cache, in one transaction (best effort: the
    /// cache only saves GETs).
    void cache_contents(const std::vector<replica::remote_change>& changes);
    /// After a write of kv (apply_remote, complete_upload): the mirror takes `changes` and the
    /// subscribers hear of what became visible; after a failed one the mirror is forgotten.
    /// The one place that keeps the mirror exact (applied_files.hpp).
    status kv_written(result<std::vector<replica::change>> written,
                      std::span<const replica::remote_change> changes);
    /// db.complete_upload, then kv_written.
    status complete_upload(std::span<const std::int64_t> batch_ids,
                           const std::vector<replica::remote_change>& confirmed);
    void wake_loop();
    /// New work for the loop (a write committed): wakes it unless it is backing off after a
    /// failure, where one more try soon would only add load, and log lines, to a failing bucket.
    void nudge_loop();
    void wake_waiters();
    /// Waits until done() (checked after every sync round), the deadline (errc::timeout, the
    /// message says what was awaited), or the store closing (errc::cancelled).
    boost::asio::awaitable<status> async_wait_until(const std::function<result<bool>()>& done,
                                                    std::chrono::milliseconds timeout,
                                                    std::string_view operation,
                                                    std::string_view waiting_for);
    status validate_key(std::string_view key) const;
    /// Checks a write and queues it for the next group commit; a write that fails the check
    /// comes back with its outcome set and is not queued.
    std::shared_ptr<queued_write> queue_write(std::vector<write_op> ops);
    /// Validates the keys and compacts the values of a write, in place.
    status prepare_write(std::vector<write_op>& ops) const;
    /// Commits every queued write in one transaction, then notifies and completes them in order.
    void commit_queued_writes();
    /// Posts the commit of the queue, letting the event loop turn `commit_yields` times first:
    /// each turn lets the reactor read the requests that arrived meanwhile, which join the
    /// group. Measured with mps3_bench_local (8 writers, --offline): 0 turns 3.0-3.6k puts/s,
    /// 1 turn 5.5k/s, 2 turns 5.2-6.3k/s, 4 turns 5.7-5.9k/s (docs/benchmarks.md).
    void post_commit(int yields);
    static constexpr int commit_yields = 2;
    /// A read sees every write made before it on this thread (program order, so a client's get
    /// after its put, even pipelined, sees the put): writes still queued commit first.
    void commit_before_read();

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
    /// queued -> uploading, with the versions chosen: before any of the group's PUTs.
    status mark_group(engine::upload_group& group);
    boost::asio::awaitable<status> async_put_contents(const engine::upload_group& group);
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

}  // namespace mps3
