// mps3::store's local side: opening, reads and writes against the replica, subscriptions,
// flush, status and close. The bucket side is in remote_state.cpp and sync_loop.cpp.
#include "engine/store_impl.hpp"
#include "json/document.hpp"
#include "protocol/entry_key.hpp"

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mps3 {
namespace {

namespace asio = boost::asio;

change_event to_event(const replica::change& c) {
    change_event e;
    e.seq = c.seq;
    e.key = c.key;
    e.old_value = c.old_value;
    e.new_value = c.new_value;
    e.version = c.version.value_or("");
    e.origin = c.origin;
    return e;
}

// Values are kept compact so that text equality is value equality (replica/types.hpp).
result<std::string> compact_json(std::string_view text) {
    auto doc = json::parse(text);
    if (!doc) {
        return error(errc::invalid_argument, "value is not valid JSON: " + doc.err().message);
    }
    return json::serialize(*doc);
}

write_receipt receipt_of(const replica::enqueued& queued) {
    write_receipt receipt;
    if (!queued.changes.empty()) {
        receipt.seq = queued.changes.back().seq;
    }
    return receipt;
}

// S3 keys are at most 1024 bytes; a content object is "<key>@<36-character uuid>".
constexpr std::size_t max_key_bytes = 1024 - 37;

}  // namespace

store::impl::impl(executor_type ex, store_config cfg, replica::replica reader_db,
                  replica::replica writer_db)
    : executor(ex),
      config(std::move(cfg)),
      db(std::move(reader_db)),
      writer(engine::replica_writer::start(std::move(writer_db), ex)),
      bucket(config.make_bucket ? config.make_bucket(ex)
                                : make_s3_bucket(ex, config.s3, config.bucket)),
      rng(random_words()),
      random([this] { return random_words(); }),
      session(config.manifest_key, random),
      online(config.start_online),
      wake(ex),
      reader(config.manifest_key,
             [this](const std::string& message) { log(log_level::warn, message); },
             {.max_entry_files = config.max_entry_files}),
      health(
          {.poll_interval = config.poll_interval, .persistent_cap = config.max_persistent_backoff}),
      value_cache(config.read_cache_bytes) {}

store::impl::~impl() {
    writer->stop();  // what was submitted is committed before the file closes
}

protocol::timestamp store::impl::local_now() const {
    return protocol::to_timestamp(std::chrono::system_clock::now()) + config.local_clock_skew;
}

void store::impl::log(log_level level, const std::string& message) const {
    if (config.log) {
        config.log(level, "sync", message);
    }
}

void store::impl::observe(const s3::response_meta& meta) {
    if (!meta.server_date) {
        return;
    }
    const auto skew = config.local_clock_skew;
    clock.add({.local_sent = protocol::to_timestamp(meta.sent_at) + skew,
               .local_received = protocol::to_timestamp(meta.received_at) + skew,
               .server_date = protocol::to_timestamp(*meta.server_date)});
}

void store::impl::notify(const std::vector<replica::change>& changes) {
    if (changes.empty() || subscriptions.empty()) {
        return;
    }
    std::vector<change_event> events;
    events.reserve(changes.size());
    for (const auto& c : changes) {
        events.push_back(to_event(c));
    }
    subscriptions.publish(events);
}

void store::impl::cache_contents(const std::vector<replica::remote_change>& changes) {
    std::vector<replica::content_item> items;
    items.reserve(changes.size());
    for (const auto& c : changes) {
        if (c.value) {
            items.push_back({.key = c.key, .version = c.value->version, .value = c.value->value});
        }
    }
    if (items.empty()) {
        return;
    }
    // The logger is copied: the task may outlive this store.
    writer->submit(
        [items = std::move(items), log = config.log](replica::replica& w) {
            if (auto cached = w.put_contents(items); !cached && log) {
                log(log_level::debug, "sync",
                    "could not cache content: " + cached.err().describe());
            }
        },
        {});
}

status store::impl::kv_written(result<std::vector<replica::change>> written,
                               std::span<const replica::remote_change> changes) {
    if (!written) {
        kv_mirror.forget();  // the transaction may or may not have reached the file
        return std::move(written).err();
    }
    kv_mirror.record(changes);
    notify(*written);
    return success{};
}

asio::awaitable<status> store::impl::async_complete_upload(
    std::span<const std::int64_t> batch_ids, const std::vector<replica::remote_change>& confirmed) {
    std::vector<std::int64_t> ids(batch_ids.begin(), batch_ids.end());
    auto shared = std::make_shared<const std::vector<replica::remote_change>>(confirmed);
    auto complete = [ids = std::move(ids), shared](replica::replica& w) {
        return w.complete_upload(ids, *shared);
    };
    auto after = kv_write_done(shared);
    co_return co_await engine::async_write_then(writer, std::move(complete), std::move(after));
}

std::function<status(result<std::vector<replica::change>>)> store::impl::kv_write_done(
    std::shared_ptr<const std::vector<replica::remote_change>> changes) {
    std::vector<std::string> keys;
    keys.reserve(changes->size());
    for (const auto& change : *changes) {
        keys.push_back(change.key);
    }
    return [weak = weak_from_this(), changes, hold = hold_reads(std::move(keys), false)](
               result<std::vector<replica::change>> written) -> status {
        auto self = weak.lock();
        if (!self) {
            return error(errc::cancelled, "the store closed");
        }
        auto kept = self->kv_written(std::move(written), *changes);
        self->release_reads(hold);
        return kept;
    };
}

void store::impl::wake_loop() {
    wake.cancel();
}

void store::impl::nudge_loop() {
    // A transient failure (network down, 5xx) may be over by now: the write is worth a try.
    // A persistent one (no such bucket, access denied) is not, until its backoff ends.
    if (health.kind() != engine::failure_kind::persistent) {
        wake.cancel();
    }
}

void store::impl::wake_waiters() {
    for (auto* timer : waiters) {
        timer->cancel();
    }
}

status store::impl::prepare_write(std::vector<write_op>& ops, store::json_text values) const {
    if (ops.empty()) {
        return error(errc::invalid_argument, "a write needs at least one key");
    }
    for (auto& op : ops) {
        if (auto ok = validate_key(op.key); !ok) {
            return ok;
        }
        if (op.value && values == store::json_text::any) {
            auto compact = compact_json(*op.value);
            if (!compact) {
                return std::move(compact).err();
            }
            op.value = std::move(*compact);
        }
    }
    return success{};
}

std::shared_ptr<store::impl::queued_write> store::impl::queue_write(std::vector<write_op> ops,
                                                                    store::json_text values) {
    auto write = std::make_shared<queued_write>(executor);
    if (auto ok = prepare_write(ops, values); !ok) {
        write->outcome.emplace(std::move(ok).err());  // answered at once, never submitted
        return write;
    }
    write->ops = std::move(ops);
    for (const auto& op : write->ops) {
        uncommitted_keys[op.key] = write;
    }
    newest_uncommitted = write;
    // The completion holds the store weakly: a write in flight does not keep a closed store.
    writer->submit_local(write, [weak = weak_from_this(), write] {
        if (auto self = weak.lock()) {
            self->write_committed(write);
        } else {
            write->outcome.emplace(error(errc::cancelled, "the store closed"));
            write->done.cancel();
        }
    });
    return write;
}

void store::impl::write_committed(const std::shared_ptr<queued_write>& write) {
    // In submission order, which is seq order: subscribers hear of the writes as they were made.
    auto& committed = *write->committed;
    if (!committed) {
        write->outcome.emplace(committed.err());
    } else {
        notify(committed->changes);
        write->outcome.emplace(receipt_of(*committed));
    }
    forget_in_flight(write);
    write->done.cancel();
    if (committed) {
        nudge_loop();
    }
}

void store::impl::forget_in_flight(const std::shared_ptr<queued_write>& write) {
    const auto forget = [&](const std::string& key) {
        if (auto it = uncommitted_keys.find(key);
            it != uncommitted_keys.end() && it->second == write) {
            uncommitted_keys.erase(it);
        }
    };
    // The keys' cached values are stale from now on (their commit may have changed them).
    for (const auto& op : write->ops) {
        forget(op.key);
        value_cache.erase(op.key);
    }
    for (const auto& key : write->held) {
        forget(key);
        value_cache.erase(key);
    }
    if (write->holds_all) {
        --reads_held_whole;
        value_cache.clear();
    }
    if (newest_uncommitted == write) {
        newest_uncommitted.reset();
    }
}

std::shared_ptr<store::impl::queued_write> store::impl::hold_reads(std::vector<std::string> keys,
                                                                   bool whole) {
    auto hold = std::make_shared<queued_write>(executor);
    hold->held = std::move(keys);
    for (const auto& key : hold->held) {
        uncommitted_keys[key] = hold;
    }
    hold->holds_all = whole;
    if (whole) {
        ++reads_held_whole;
    }
    newest_uncommitted = hold;
    return hold;
}

void store::impl::release_reads(const std::shared_ptr<queued_write>& hold) {
    forget_in_flight(hold);
    hold->outcome.emplace(write_receipt{});
    hold->done.cancel();
}

bool store::impl::read_waits_for(std::string_view key, bool prefix) const {
    if (!newest_uncommitted) {
        return false;
    }
    if (reads_held_whole > 0) {
        return true;
    }
    if (!prefix) {
        return uncommitted_keys.contains(key);
    }
    if (key.empty()) {
        return true;
    }
    return std::any_of(uncommitted_keys.begin(), uncommitted_keys.end(),
                       [key](const auto& entry) { return entry.first.starts_with(key); });
}

status store::impl::validate_key(std::string_view key) const {
    if (key.empty()) {
        return error(errc::invalid_argument, "key must not be empty");
    }
    if (key.size() > max_key_bytes) {
        return error(errc::invalid_argument,
                     "key is " + std::to_string(key.size()) + " bytes; at most " +
                         std::to_string(max_key_bytes) + " fit in an S3 object key");
    }
    if (!json::is_valid_utf8(key)) {
        return error(errc::invalid_argument, "key is not valid UTF-8");
    }
    const std::string& manifest = config.manifest_key;
    if (key == manifest ||
        (key.starts_with(manifest) && key.substr(manifest.size()).starts_with("@"))) {
        return error(errc::invalid_argument,
                     "key collides with the manifest's own objects ('" + manifest + "')");
    }
    return success{};
}

replica::options replica_options(const store_config& config) {
    replica::options options;
    options.synchronous = config.sync_mode == durability::full ? replica::sync_mode::full
                                                               : replica::sync_mode::normal;
    options.busy_timeout = config.replica_lock_timeout;
    return options;
}

result<list_result> list_page_of(replica::replica& db, const std::string& prefix, std::size_t limit,
                                 const std::string& after) {
    std::optional<std::string_view> start;
    if (!after.empty()) {
        start = after;  // the public API's "" is the replica's "from the start"
    }
    auto page = db.list(prefix, limit, start);
    if (!page) {
        return std::move(page).err();
    }
    list_result out;
    out.entries.reserve(page->items.size());
    for (auto& item : page->items) {
        out.entries.push_back({std::move(item.key), std::move(item.value)});
    }
    out.next_after = page->next_after.value_or("");
    return out;
}

result<std::unique_ptr<store>> store::open(executor_type executor, store_config config) {
    if (auto ok = check_store_config(config); !ok) {
        return std::move(ok).err();
    }
    // One connection per request in flight: keep-alive makes them reusable across syncs.
    config.s3.max_connections = std::max(config.s3.max_connections, config.max_parallel_requests);
    std::error_code ec;
    if (config.replica_path.has_parent_path()) {
        std::filesystem::create_directories(config.replica_path.parent_path(), ec);
    }
    const replica::options options = replica_options(config);
    auto db = replica::replica::open(config.replica_path, options);
    if (!db) {
        return std::move(db).err();
    }
    // One replica file per store: refuse a file that belongs to another bucket/manifest.
    const std::string identity = config.s3.server.host + ":" +
                                 std::to_string(config.s3.server.port) + "/" + config.bucket + "/" +
                                 config.manifest_key;
    auto recorded = db->get_meta(replica::meta_key::store_identity);
    if (!recorded) {
        return std::move(recorded).err();
    }
    if (!*recorded) {
        if (auto set = db->set_meta(replica::meta_key::store_identity, identity); !set) {
            return std::move(set).err();
        }
    } else if (**recorded != identity) {
        return error(errc::invalid_argument, "replica " + config.replica_path.string() +
                                                 " belongs to store " + **recorded + ", not " +
                                                 identity);
    }
    // The writer thread's connection; this one only reads from now on, so that a write made
    // on the io thread by mistake fails loudly instead of waiting for the writer's lock.
    auto writer_db = replica::replica::open(config.replica_path, options);
    if (!writer_db) {
        return std::move(writer_db).err();
    }
    if (auto read_only = db->forbid_writes(); !read_only) {
        return std::move(read_only).err();
    }
    auto state =
        std::make_shared<impl>(executor, std::move(config), std::move(*db), std::move(*writer_db));
    asio::co_spawn(executor, state->run_loop(), asio::detached);
    return std::unique_ptr<store>(new store(std::move(state)));
}

store::store(std::shared_ptr<impl> state) : impl_(std::move(state)) {}

store::~store() {
    // The loop holds its own reference; tell it to stop and cut its requests short.
    impl_->closing = true;
    impl_->bucket->cancel_all();
    impl_->wake_loop();
    impl_->wake_waiters();
    impl_->subscriptions.clear();
}

result<write_receipt> store::put(std::string key, std::string json) {
    std::vector<write_op> ops;
    ops.push_back({.key = std::move(key), .value = std::move(json)});
    return put_all(std::move(ops));
}

result<write_receipt> store::del(std::string key) {
    std::vector<write_op> ops;
    ops.push_back({.key = std::move(key), .value = std::nullopt});
    return put_all(std::move(ops));
}

result<write_receipt> store::put_all(std::vector<write_op> ops) {
    // The group commit's own path, waited for at once (blocking this thread for the commit):
    // behind the writes submitted before it, so seqs and notifications keep their order.
    auto write = impl_->queue_write(std::move(ops), json_text::any);
    if (!write->outcome) {
        impl_->writer->wait_idle();
    }
    return std::move(*write->outcome);
}

namespace {

asio::awaitable<result<write_receipt>> wait_for_commit(
    std::shared_ptr<store::impl> self, std::shared_ptr<store::impl::queued_write> write) {
    while (!write->outcome) {
        boost::system::error_code ec;
        co_await write->done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    (void)self;  // kept alive until the write is answered
    co_return std::move(*write->outcome);
}

asio::awaitable<void> wait_for_answer(std::shared_ptr<store::impl> self,
                                      std::shared_ptr<store::impl::queued_write> write) {
    while (write && !write->outcome) {
        boost::system::error_code ec;
        co_await write->done.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    (void)self;
}

}  // namespace

asio::awaitable<result<write_receipt>> store::async_put_all(std::vector<write_op> ops) {
    return async_put_all(std::move(ops), json_text::any);
}

asio::awaitable<result<write_receipt>> store::async_put_all(std::vector<write_op> ops,
                                                            json_text values) {
    // Not a coroutine: the write is checked and submitted now, in the caller's order, so a read
    // made after this call sees it (reads of its keys wait for it) however late the result is
    // awaited.
    const auto self = impl_;
    auto write = self->queue_write(std::move(ops), values);
    return wait_for_commit(self, std::move(write));
}

bool store::read_waits(std::string_view key_or_prefix, bool prefix) const {
    return impl_->read_waits_for(key_or_prefix, prefix);
}

asio::awaitable<void> store::async_writes_answered() {
    // Not a coroutine: "made before this call" is decided now.
    return wait_for_answer(impl_, impl_->newest_uncommitted);
}

void store::impl::settle_before_read(std::string_view key, bool prefix) {
    if (read_waits_for(key, prefix)) {
        writer->wait_idle();
    }
}

result<std::optional<std::string>> store::get(const std::string& key) {
    auto& self = *impl_;
    // A key with no write in flight is answered from the read cache when it is there, and
    // cached once read: no write can change it until one is submitted from this thread.
    const bool waits = self.read_waits_for(key, false);
    if (!waits) {
        if (const auto* hit = self.value_cache.find(key)) {
            return *hit;
        }
    } else {
        self.writer->wait_idle();
    }
    auto found = self.db.get(key);
    if (!found) {
        return std::move(found).err();
    }
    std::optional<std::string> value;
    if (*found) {
        value = std::move((*found)->value);
    }
    if (!waits) {
        self.value_cache.insert(key, value);
    }
    return value;
}

result<std::vector<std::optional<std::string>>> store::get_all(
    const std::vector<std::string>& keys) {
    auto& self = *impl_;
    std::vector<std::optional<std::string>> out(keys.size());
    // The keys the cache cannot answer are read in one snapshot. Mixing the two is one
    // consistent view: a key without a write in flight cannot change while this runs (writes
    // are submitted from this thread), and the writer settles those with one first.
    std::vector<std::string> missing;
    std::vector<std::size_t> missing_at;
    bool settled = false;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (self.read_waits_for(keys[i], false)) {
            if (!settled) {
                self.writer->wait_idle();
                settled = true;
            }
        } else if (const auto* hit = self.value_cache.find(keys[i])) {
            out[i] = *hit;
            continue;
        }
        missing.push_back(keys[i]);
        missing_at.push_back(i);
    }
    if (missing.empty()) {
        return out;
    }
    auto found = self.db.get_many(missing);
    if (!found) {
        return std::move(found).err();
    }
    for (std::size_t j = 0; j < missing.size(); ++j) {
        auto& slot = out[missing_at[j]];
        if (auto& e = (*found)[j]) {
            slot = std::move(e->value);
        }
        if (!self.read_waits_for(missing[j], false)) {
            self.value_cache.insert(missing[j], slot);
        }
    }
    return out;
}

result<list_result> store::list(const std::string& prefix, std::size_t limit,
                                const std::string& after) {
    impl_->settle_before_read(prefix, true);
    return list_page_of(impl_->db, prefix, limit, after);
}

subscription store::subscribe_key(std::string key, change_handler handler) {
    return {impl_, impl_->subscriptions.add(std::move(key), false, std::move(handler))};
}

subscription store::subscribe_prefix(std::string prefix, change_handler handler) {
    return {impl_, impl_->subscriptions.add(std::move(prefix), true, std::move(handler))};
}

result<std::vector<change_event>> store::changes_since(change_seq since, std::size_t limit) {
    // Committed rows only: a write still in flight has no seq yet, and its subscribers hear of
    // it when it commits.
    auto rows = impl_->db.changes_since(since, limit);
    if (!rows) {
        return std::move(rows).err();
    }
    std::vector<change_event> out;
    out.reserve(rows->size());
    for (const auto& c : *rows) {
        out.push_back(to_event(c));
    }
    return out;
}

void store::set_online(bool online) {
    if (impl_->online == online) {
        return;
    }
    impl_->online = online;
    impl_->log(log_level::info, online ? "going online" : "going offline");
    if (!online) {
        impl_->bucket->cancel_all();  // stop bucket traffic now, not after the request in flight
    }
    impl_->wake_loop();
}

void store::retry_now() {
    impl_->wake_loop();
}

asio::awaitable<status> store::impl::async_wait_until(const std::function<result<bool>()>& done,
                                                      std::chrono::milliseconds timeout,
                                                      std::string_view operation,
                                                      std::string_view waiting_for) {
    const auto self = shared_from_this();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    wake_loop();
    while (true) {
        auto finished = done();
        if (!finished) {
            co_return std::move(finished).err();
        }
        if (*finished) {
            co_return success{};
        }
        if (closing) {
            co_return error(errc::cancelled, "the store is closing");
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            std::string why =
                online ? std::string(waiting_for) : "offline, " + std::string(waiting_for);
            if (health.failing()) {
                why += " (last error: " + health.last_error() + ")";
            }
            co_return error(errc::timeout, std::string(operation) + " timed out: " + why);
        }
        // The sync loop wakes the waiters after every round.
        asio::steady_timer timer(executor, deadline);
        auto position = waiters.insert(waiters.end(), &timer);
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        waiters.erase(position);
    }
}

asio::awaitable<status> store::async_flush(std::chrono::milliseconds timeout) {
    const auto self = impl_;
    co_await wait_for_answer(self, self->newest_uncommitted);  // the writes made before it
    // Every batch queued so far has an id <= the newest one; flush waits for those only.
    // (Ids only: reading the batches themselves would cost a flush as much as an upload.)
    auto pending = self->db.outbox_status();
    if (!pending) {
        co_return std::move(pending).err();
    }
    if (!pending->newest_batch_id) {
        co_return success{};
    }
    const std::int64_t target = *pending->newest_batch_id;
    co_return co_await self->async_wait_until(
        [&self, target]() -> result<bool> {
            auto now = self->db.outbox_status();
            if (!now) {
                return std::move(now).err();
            }
            return !now->oldest_batch_id || *now->oldest_batch_id > target;
        },
        timeout, "flush", "writes still queued");
}

asio::awaitable<status> store::async_initial_sync(std::chrono::milliseconds timeout) {
    const auto self = impl_;
    co_return co_await self->async_wait_until(
        [&self]() -> result<bool> { return self->initial_sync_done; }, timeout, "initial sync",
        "the bucket not read to the end yet");
}

store_status store::get_status() const {
    store_status s;
    s.online = impl_->online;
    s.group_commits = impl_->writer->groups();
    s.group_committed_writes = impl_->writer->grouped_writes();
    s.read_cache_hits = impl_->value_cache.hits();
    s.read_cache_misses = impl_->value_cache.misses();
    s.read_cache_bytes = impl_->value_cache.bytes();
    if (auto stats = impl_->db.outbox_status()) {
        s.queued_writes = static_cast<std::uint64_t>(stats->queued_ops);
        if (stats->oldest_queued_at) {
            s.oldest_queued = std::chrono::system_clock::time_point(*stats->oldest_queued_at);
        }
    }
    if (auto bounds = impl_->db.change_bounds()) {
        s.last_seq = bounds->newest;
    }
    s.last_sync = impl_->last_sync;
    s.clock_offset = impl_->clock.offset();
    const auto& health = impl_->health;
    s.last_error = health.last_error();
    if (const auto kind = health.kind()) {
        s.error_kind = *kind == engine::failure_kind::persistent ? sync_error_kind::persistent
                                                                 : sync_error_kind::transient;
    }
    s.failed_attempts = health.failures();
    s.failing_since = health.failing_since();
    s.next_attempt = impl_->next_attempt;
    s.entries_written = impl_->entries_written;
    s.entries_read = impl_->entries_read;
    s.polls = impl_->polls_started;
    s.subscriptions = impl_->subscriptions.size();
    s.syncing = impl_->syncing;
    s.initial_sync_done = impl_->initial_sync_done;
    s.versioning = impl_->config.versioning;
    return s;
}

asio::awaitable<void> store::async_close() {
    const auto self = impl_;
    co_await wait_for_answer(self, self->newest_uncommitted);  // writes made: committed, answered
    self->closing = true;
    self->wake_loop();
    self->wake_waiters();
    // The loop finishes the step it is in (bounded by the request deadlines) and stops.
    // The loop wakes the waiters when it exits; the timer only bounds a lost wake-up.
    while (!self->loop_done) {
        asio::steady_timer timer(self->executor, std::chrono::seconds(1));
        auto position = self->waiters.insert(self->waiters.end(), &timer);
        boost::system::error_code ec;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        self->waiters.erase(position);
    }
}

subscription& subscription::operator=(subscription&& other) noexcept {
    if (this != &other) {
        reset();
        owner_ = std::move(other.owner_);
        id_ = std::exchange(other.id_, 0);
    }
    return *this;
}

void subscription::reset() {
    if (id_ != 0) {
        if (auto owner = owner_.lock()) {
            owner->subscriptions.remove(id_);
        }
        id_ = 0;
    }
}

}  // namespace mps3
