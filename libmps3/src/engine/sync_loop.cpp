// The per-store sync loop: upload queued writes as manifest entries (BUCKET_FORMAT.md section 7,
// several queued batches per entry: group commit), then poll the bucket for other writers.
// One coroutine, so uploads and polls never interleave.
#include "engine/attempt_recovery.hpp"
#include "engine/bounded_parallel.hpp"
#include "engine/entry_commit.hpp"
#include "engine/store_impl.hpp"
#include "engine/upload_pipeline.hpp"
#include "engine/versioning_check.hpp"
#include "protocol/content_ref.hpp"
#include "protocol/entry_key.hpp"
#include "protocol/object_encoding.hpp"
#include "protocol/uuid.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace mps3 {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using std::chrono::milliseconds;

// Batches read from the outbox per entry; coalesce_limits bounds what goes in.
constexpr std::size_t batches_per_entry = 4096;
// Entry attempts per upload before giving up for this round (clock trouble, a racing GC).
constexpr int max_entry_attempts = 5;
// How long an entry PUT may take for the validity forecast.
constexpr milliseconds max_entry_put_time{2000};
// The last-change marker's body: a JSON empty string.
constexpr std::string_view marker_body = "\"\"";

}  // namespace

asio::awaitable<void> store::impl::run_loop() {
    const auto self = shared_from_this();  // alive until the loop ends, even if the store is gone
    while (!closing) {
        if (online) {
            next_attempt.reset();  // this is it
            auto synced = co_await async_sync_once();
            std::optional<engine::health_note> note;
            if (synced) {
                note = health.on_success(std::chrono::steady_clock::now());
                last_sync = std::chrono::system_clock::now();
            } else if (synced.err().code != make_error_code(errc::cancelled)) {
                note = health.on_failure(synced.err(), std::chrono::steady_clock::now(),
                                         std::chrono::system_clock::now());
            }
            if (note) {
                log(note->level, note->message);
            }
        }
        wake_waiters();  // flush() re-checks the outbox
        if (closing) {
            break;
        }
        // After failures: backoff (engine/sync_health.hpp), which new writes cut short only
        // after a transient failure (nudge_loop).
        milliseconds delay = health.next_delay(rng());
        // Upload work waiting (queued, or a staged group uploading): go again at once.
        if (online && !health.failing()) {
            if (auto stats = db.outbox_status();
                stats && stats->queued_batches + stats->uploading_batches > 0) {
                delay = milliseconds(0);
            }
        }
        next_attempt.reset();
        if (online && health.failing()) {
            next_attempt = std::chrono::system_clock::now() + delay;
        }
        wake.expires_after(delay);
        boost::system::error_code ec;
        co_await wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    loop_done = true;
    wake_waiters();
}

asio::awaitable<status> store::impl::async_check_versioning() {
    auto answer = co_await bucket->async_get_versioning();
    if (answer) {
        observe(answer->meta);
    }
    auto verdict = engine::judge_versioning(answer, config.bucket);
    if (verdict) {
        if (!versioning_confirmed) {
            log(log_level::info, "bucket " + config.bucket +
                                     " has S3 versioning Enabled: versioned mode (content at "
                                     "<key>?versionId=<v>)");
        }
        versioning_confirmed = true;
    }
    co_return verdict;
}

asio::awaitable<status> store::impl::async_sync_once() {
    // Versioned mode: nothing goes to or comes from a bucket that is not versioned.
    if (config.versioning && !versioning_confirmed) {
        if (auto checked = co_await async_check_versioning(); !checked) {
            co_return checked;
        }
    }
    // Upload first: a read that follows sees our own entry (read-your-writes across restarts).
    for (int round = 0; round < 64 && online && !closing; ++round) {
        auto progressed = co_await async_upload_one();
        if (!progressed) {
            co_return std::move(progressed).err();
        }
        if (!*progressed) {
            break;
        }
        wake_waiters();
    }
    if (!online || closing) {
        co_return success{};
    }
    co_return co_await async_poll();
}

asio::awaitable<status> store::impl::async_poll() {
    ++polls_started;
    // One HEAD of the marker; the LIST only when it may have changed (engine/poll_gate.hpp).
    auto marker = co_await bucket->async_head(config.manifest_key);
    engine::marker_view seen;
    if (marker) {
        observe(marker->meta);
        if (auto odd = marker_sanity.on_head(config.manifest_key, marker->meta.etag,
                                             marker->content_length)) {
            log(log_level::warn, *odd);
        }
        seen.etag = marker->meta.etag;
        seen.last_modified = marker->meta.last_modified;
        seen.checked_at = marker->meta.date;
        if (polls.may_skip_list(seen, std::chrono::steady_clock::now())) {
            initial_sync_done = true;  // unchanged since a LIST whose apply was complete
            co_return success{};
        }
    } else if (marker.err().code != make_error_code(errc::not_found)) {
        co_return std::move(marker).err();
    }
    auto state = co_await async_read_remote();
    if (!state) {
        co_return std::move(state).err();
    }
    // Recorded with the state it led to (async_apply_remote).
    polls.listing(seen, std::chrono::steady_clock::now());
    auto applied = co_await async_apply_remote(*state);
    if (!applied) {
        polls.forget();
        co_return applied;
    }
    initial_sync_done = true;
    if (config.collect_garbage) {
        co_await async_collect_garbage(*state);
    }
    co_return success{};
}

asio::awaitable<result<std::string>> store::impl::async_get_body(const std::string& key) {
    s3::get_options bounded;  // named: GCC 12 and temporaries in co_await
    bounded.max_body_bytes = config.max_entry_bytes;
    auto got = co_await bucket->async_get(key, bounded);
    if (!got) {
        co_return std::move(got).err();
    }
    // Decoded within the same limit: a small gzip body must not inflate past what a plain one
    // could be (docs/bucket-format.md, "Hostile objects").
    auto body = protocol::decoded_object_body(std::move(got->body), got->content_encoding,
                                              config.max_entry_bytes);
    if (!body) {
        // The server answered: the object itself is unusable (manifest_reader::on_bodies).
        auto why = std::move(body).err();
        why.http_status = got->meta.status;
        why.message = key + ": " + why.message;
        co_return why;
    }
    co_return std::move(*body);
}

asio::awaitable<result<std::optional<protocol::timestamp>>> store::impl::async_listed_modified(
    const std::string& entry_key) {
    s3::list_options just_this;
    just_this.prefix = entry_key;
    just_this.max_keys = 1;
    auto listed = co_await bucket->async_list_page(just_this);
    if (!listed) {
        co_return std::move(listed).err();
    }
    observe(listed->meta);
    if (listed->objects.empty() || listed->objects.front().key != entry_key ||
        !listed->objects.front().last_modified_time) {
        co_return std::nullopt;
    }
    co_return protocol::to_timestamp(*listed->objects.front().last_modified_time);
}

asio::awaitable<status> store::impl::async_recover_attempts(
    const std::vector<replica::outbox_batch>& pending) {
    // The machine decides per attempt (engine/attempt_recovery.hpp), this loop performs.
    for (const auto& [attempt, batches] : engine::uploading_attempts(pending)) {
        engine::attempt_recovery recovery(batches, config.bucket, config.manifest_key);
        engine::recover_step step = recovery.start();
        // Bounded: two steps per noted key (an attempt notes at most a few), then one read.
        for (int performed = 0; performed < 64; ++performed) {
            if (const auto* list = std::get_if<engine::recover_do::list_entry>(&step)) {
                const std::string key(list->entry_key);
                auto modified = co_await async_listed_modified(key);
                step = recovery.on_listed(modified);
            } else if (const auto* get = std::get_if<engine::recover_do::get_entry>(&step)) {
                const std::string key(get->entry_key);
                auto body = co_await async_get_body(key);
                step = recovery.on_got(body);
            } else if (std::holds_alternative<engine::recover_do::resolve_state>(step)) {
                // Rare (a noted entry key not listed) and a full read: the state settles
                // whether a collected entry had landed (durability.md, gap 1).
                auto state = co_await async_read_remote();
                if (state) {
                    step = recovery.on_resolved(std::move(state->files));
                } else {
                    step = recovery.on_resolved(std::move(state).err());
                }
            } else {
                break;
            }
        }
        if (recovery.foreign_entry()) {
            log(log_level::warn, "entry " + *recovery.foreign_entry() +
                                     " under a noted key is unreadable or not this upload's");
        }
        if (auto* undecided = std::get_if<engine::recover_do::undecided>(&step)) {
            co_return std::move(undecided->why);  // a failed LIST or GET: next round
        }
        if (auto* landed = std::get_if<engine::recover_do::landed>(&step)) {
            log(log_level::info, "an interrupted upload had landed; not uploading it again");
            auto done = co_await async_complete_upload(recovery.batch_ids(), landed->confirmed);
            if (!done) {
                co_return done;
            }
            ++entries_written;
            continue;
        }
        if (!std::holds_alternative<engine::recover_do::not_landed>(step)) {
            // Unreachable (the step bound is far above two per noted key), and never a requeue:
            // only a definite "not landed" may upload the writes again.
            co_return error(errc::server_error, "recovery of attempt " + attempt + " did not end");
        }
        // Not landed (documented in docs/replica.md): upload again.
        if (auto requeued = co_await async_requeue(recovery.batch_ids()); !requeued) {
            co_return requeued;
        }
    }
    co_return success{};
}

asio::awaitable<status> store::impl::async_requeue(std::span<const std::int64_t> batch_ids) {
    std::vector<std::int64_t> ids(batch_ids.begin(), batch_ids.end());
    auto requeue = [ids = std::move(ids)](replica::replica& w) { return w.requeue(ids); };
    co_return co_await async_write(std::move(requeue));
}

asio::awaitable<status> store::impl::async_mark_group(engine::upload_group& group) {
    // Record the attempt (versions chosen) before any PUT, so a crash leaves a trace.
    std::vector<std::pair<std::string, std::string>> versions;
    // (Versioned mode: the server chooses the versions; they are recorded after the PUTs.)
    for (const auto& [ref, file] : group.prepared.update) {
        if (file && !file->version.empty()) {
            if (auto parsed = protocol::parse_content_ref(ref)) {
                versions.emplace_back(parsed->key, file->version);
            }
        }
    }
    group.attempt = protocol::uuid_v4(random);
    auto mark = [ids = group.batch_ids, attempt = group.attempt, versions = std::move(versions)](
                    replica::replica& w) { return w.mark_uploading(ids, attempt, versions); };
    co_return co_await async_write(std::move(mark));
}

asio::awaitable<status> store::impl::async_put_contents(engine::upload_group& group) {
    // In parallel, bounded: they are immutable and independent; only the entry must wait for
    // all of them. The first failure stops the taking of new ones.
    s3::put_options json_put;
    json_put.content_type = "application/json";
    std::optional<error> put_failure;
    auto& prepared = group.prepared;
    const std::size_t puts = prepared.puts.size();
    std::vector<std::string> version_ids(puts);
    // Versioned mode: a delete also sends MPS3's DELETE of the bare key (a delete marker; no
    // version an entry names goes away). Numbered after the puts.
    const std::size_t requests = puts + prepared.delete_objects.size();
    const auto put_one = [&](std::size_t i) -> asio::awaitable<bool> {
        if (i >= puts) {
            const std::string key = prepared.delete_objects[i - puts];
            auto deleted = co_await bucket->async_delete(key);
            if (!deleted) {
                if (!put_failure) {
                    put_failure = std::move(deleted).err();
                }
                co_return false;
            }
            observe(deleted->meta);
            co_return true;
        }
        const auto& put = prepared.puts[i];
        auto stored = co_await bucket->async_put(put.object_key, put.body, json_put);
        if (!stored) {
            if (!put_failure) {
                put_failure = std::move(stored).err();
            }
            co_return false;
        }
        observe(stored->meta);
        version_ids[i] = stored->meta.version_id;
        co_return true;
    };
    co_await engine::async_for_each_bounded(executor, requests, config.max_parallel_requests,
                                            put_one);
    if (put_failure) {
        co_return std::move(*put_failure);
    }
    if (prepared.mode != protocol::content_mode::versioned) {
        co_return success{};
    }
    // The versions exist only now. Recorded before any entry key is noted: a crash before this
    // leaves an attempt with no noted key, which recovery requeues, and the content is PUT
    // again as new versions (docs/durability.md, "Versioned mode").
    if (auto assigned = protocol::assign_versions(prepared, version_ids, config.bucket);
        !assigned) {
        versioning_confirmed = false;  // suspended since the check? ask again before the next
        co_return assigned;
    }
    std::vector<std::pair<std::string, std::string>> versions;
    versions.reserve(puts);
    for (std::size_t i = 0; i < puts; ++i) {
        versions.emplace_back(prepared.puts[i].key, version_ids[i]);
    }
    auto record = [attempt = group.attempt, versions = std::move(versions)](replica::replica& w) {
        return w.record_upload_versions(attempt, versions);
    };
    co_return co_await async_write(std::move(record));
}

asio::awaitable<void> store::impl::async_stage_next(
    std::span<const replica::outbox_batch> batches) {
    // Pipelining: the next group's content goes up while the current group's entry is written.
    // Only content: its entry waits for the current one to commit (engine::next_upload), so the
    // order of entries is the order of the queue. A group that cannot be staged is left queued.
    auto group =
        engine::prepare_group(batches, config.bucket, config.manifest_key, random, content_mode());
    if (!group || group->prepared.update.empty()) {
        co_return;
    }
    if (auto marked = co_await async_mark_group(*group); !marked) {
        co_return;
    }
    if (auto put = co_await async_put_contents(*group); !put) {
        // No entry key noted: nothing of it can be in use.
        (void)co_await async_requeue(group->batch_ids);
        co_return;
    }
    staged = std::move(*group);
}

asio::awaitable<result<bool>> store::impl::async_upload_one() {
    auto pending = db.pending_batches(batches_per_entry);
    if (!pending) {
        co_return std::move(pending).err();
    }
    std::optional<engine::upload_group> previous = std::move(staged);
    staged.reset();
    auto decision = engine::next_upload(*pending, std::move(previous), config.bucket,
                                        config.manifest_key, random, content_mode());
    if (std::holds_alternative<engine::upload_do::idle>(decision)) {
        co_return false;
    }
    if (std::holds_alternative<engine::upload_do::recover>(decision)) {
        auto recovered = co_await async_recover_attempts(*pending);
        if (!recovered) {
            co_return std::move(recovered).err();
        }
        co_return true;
    }
    if (const auto* drop = std::get_if<engine::upload_do::drop_front>(&decision)) {
        log(log_level::error, "dropping queued write batch " + std::to_string(drop->batch_id) +
                                  ": " + drop->why.describe());
        auto discard = [id = drop->batch_id](replica::replica& w) {
            return w.discard_batches(std::span<const std::int64_t>(&id, 1));
        };
        // The batch's keys are not known here: reads of any key wait for the notification.
        auto notify_and_release = [weak = weak_from_this(), hold = hold_reads({}, true)](
                                      result<std::vector<replica::change>> dropped) {
            if (auto self = weak.lock()) {
                if (dropped) {
                    self->notify(*dropped);
                }
                self->release_reads(hold);
            }
            return status(success{});
        };
        (void)co_await engine::async_write_then(writer, discard, std::move(notify_and_release));
        co_return true;  // progress: look at the next batch
    }
    if (const auto* empty = std::get_if<engine::upload_do::complete_empty>(&decision)) {
        const std::vector<replica::remote_change> none;
        if (auto done = co_await async_complete_upload(empty->batch_ids, none); !done) {
            co_return std::move(done).err();
        }
        co_return true;
    }
    engine::upload_group group;
    if (auto* fresh = std::get_if<engine::upload_do::upload>(&decision)) {
        group = std::move(fresh->group);
        if (auto marked = co_await async_mark_group(group); !marked) {
            co_return std::move(marked).err();
        }
        // Content first: an entry must never name content that is not there.
        if (auto put = co_await async_put_contents(group); !put) {
            // No entry key noted: nothing of it is in use.
            (void)co_await async_requeue(group.batch_ids);
            co_return std::move(put).err();
        }
    } else {
        group = std::move(std::get<engine::upload_do::commit_staged>(decision).group);
    }

    // The batches queued behind this group (pending is in id order, the group its front) go up
    // while its entry is written.
    const auto rest = std::span(*pending).subspan(group.batch_ids.size());
    status committed = success{};
    if (rest.empty()) {
        committed = co_await async_commit_group(group, *pending);
    } else {
        committed = co_await (async_commit_group(group, *pending) && async_stage_next(rest));
    }
    if (!committed) {
        co_return std::move(committed).err();
    }
    co_return true;
}

asio::awaitable<status> store::impl::async_commit_group(
    const engine::upload_group& group, const std::vector<replica::outbox_batch>& pending) {
    s3::put_options json_put;
    json_put.content_type = "application/json";
    s3::put_options entry_put = json_put;
    if (config.compress_entries) {
        // The whole key map, in every entry: docs/bucket-format.md, "Compressed entries".
        entry_put.content_encoding = std::string(protocol::gzip_content_encoding);
    }
    // Create-only where the server supports it: two writers whose 3-character sessions collide
    // within one millisecond must not overwrite each other's entry.
    entry_put.if_none_match_any = true;
    // A retry after a lost answer stores the entry again where create-only is not enforced
    // (s3rver): its LastModified moves. Retrying only within the window the stamp was forecast
    // for keeps a landed entry valid; past it, recovery lists the noted key instead.
    s3::retry_policy entry_retry = config.s3.retry;
    entry_retry.max_elapsed = max_entry_put_time;
    entry_put.retry = entry_retry;

    // Steps 4-7: the machine decides (engine/entry_commit.hpp), this loop performs.
    engine::entry_commit machine(
        group.prepared.update,
        {.clock = clock,
         .session = session,
         .newest_seen = newest_seen,
         .warn = [this](const std::string& message) { log(log_level::warn, message); }},
        {.max_attempts = max_entry_attempts, .max_put_time = max_entry_put_time});
    // An entry PUT's answer as the machine judges it: the clock sample of its Date.
    const auto answer_of =
        [this](const result<s3::put_result>& put) -> result<engine::entry_put_answer> {
        if (!put) {
            return put.err();
        }
        observe(put->meta);
        engine::entry_put_answer answer;
        if (put->meta.server_date) {
            const auto skew = config.local_clock_skew;
            answer.sample = protocol::clock_sample{
                .local_sent = protocol::to_timestamp(put->meta.sent_at) + skew,
                .local_received = protocol::to_timestamp(put->meta.received_at) + skew,
                .server_date = protocol::to_timestamp(*put->meta.server_date)};
        }
        return answer;
    };
    engine::commit_step step = machine.start();
    // Bounded: an attempt is at most read, hold, note, put, get, list.
    for (int performed = 0; performed < 8 * max_entry_attempts && !machine.done(); ++performed) {
        if (!online || closing) {
            step = machine.on_cancelled();
        } else if (std::holds_alternative<engine::commit_do::read_state>(step)) {
            auto state = co_await async_read_remote();
            const auto now = local_now();
            if (state) {
                step = machine.on_state(std::move(state->files), now);
            } else {
                step = machine.on_state(std::move(state).err(), now);
            }
        } else if (const auto* hold = std::get_if<engine::commit_do::hold>(&step)) {
            asio::steady_timer timer(executor, hold->delay);
            boost::system::error_code ec;
            co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
            step = machine.on_held(online && !closing);
        } else if (const auto* note = std::get_if<engine::commit_do::note_key>(&step)) {
            auto note_key = [attempt = group.attempt, key = std::string(note->entry_key)](
                                replica::replica& w) { return w.note_entry_key(attempt, key); };
            auto noted = co_await async_write(std::move(note_key));
            step = machine.on_noted(noted);
        } else if (const auto* put = std::get_if<engine::commit_do::put_entry>(&step)) {
            const std::string key(put->entry_key);
            std::string body(put->body);
            if (config.compress_entries) {
                auto compressed = protocol::gzip_encode(body);
                if (!compressed) {
                    co_return std::move(compressed).err();
                }
                body = std::move(*compressed);
            }
            auto stored = co_await bucket->async_put(key, std::move(body), entry_put);
            step = machine.on_put(answer_of(stored));
        } else if (const auto* get = std::get_if<engine::commit_do::get_entry>(&step)) {
            const std::string key(get->entry_key);
            auto body = co_await async_get_body(key);
            step = machine.on_got(body);
        } else if (const auto* list = std::get_if<engine::commit_do::list_entry>(&step)) {
            const std::string key(list->entry_key);
            auto modified = co_await async_listed_modified(key);
            step = machine.on_listed(modified);
        }
    }
    const auto* finished = std::get_if<engine::commit_do::finished>(&step);
    if (finished == nullptr) {
        co_return error(errc::server_error, "the entry commit did not finish");  // unreachable
    }
    if (finished->result == engine::commit_do::outcome::requeue) {
        // No entry of this group can be read: uploading the batches again cannot apply them
        // twice.
        (void)co_await async_requeue(group.batch_ids);
    }
    if (finished->result != engine::commit_do::outcome::committed) {
        co_return *finished->failure;
    }
    const auto& batch_ids = group.batch_ids;
    const auto& prepared = group.prepared;

    // 6. The marker, so pollers notice. Failing it only delays them: the next full LIST finds it.
    auto marker =
        co_await bucket->async_put(config.manifest_key, std::string(marker_body), json_put);
    if (!marker) {
        log(log_level::warn, "entry written but the marker PUT failed: " + marker.err().describe());
    } else {
        observe(marker->meta);
    }

    // The bucket now holds the written keys at the group's versions.
    std::map<std::string, std::string> values;  // key -> last value of the batches (compact JSON)
    for (const auto& b : pending) {
        if (std::find(batch_ids.begin(), batch_ids.end(), b.id) == batch_ids.end()) {
            continue;
        }
        for (const auto& op : b.ops) {
            if (op.write.value) {
                values[op.write.key] = *op.write.value;
            } else {
                values.erase(op.write.key);
            }
        }
    }
    std::vector<replica::remote_change> confirmed;
    for (const auto& [ref, file] : prepared.update) {
        auto parsed = protocol::parse_content_ref(ref);
        if (!parsed) {
            continue;
        }
        if (!file) {
            confirmed.push_back({parsed->key, std::nullopt});
            continue;
        }
        replica::confirmed_value value{.value = values[parsed->key],
                                       .version = file->version,
                                       .bucket = config.bucket,
                                       .replication = file->replication};
        confirmed.push_back({parsed->key, std::move(value)});
    }
    cache_contents(confirmed);
    if (auto done = co_await async_complete_upload(batch_ids, confirmed); !done) {
        co_return done;
    }
    ++entries_written;
    co_return success{};
}

}  // namespace mps3
