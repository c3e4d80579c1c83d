// Reading the bucket: LIST the manifest's entries, resolve the state (BUCKET_FORMAT.md
// section 6), fetch the content that changed (max_parallel_requests at a time), and apply it to
// the replica: in one transaction, or in 2,048-key ones when the replica joins a store.
#include "engine/bounded_parallel.hpp"
#include "engine/store_impl.hpp"
#include "json/document.hpp"
#include "protocol/content_ref.hpp"
#include "protocol/entry_key.hpp"

#include <iterator>

namespace mps3 {
namespace {

namespace asio = boost::asio;

// A body that fails to parse, or an entry collected between LIST and GET, makes us plan again;
// a bucket that keeps changing under us still ends.
constexpr int max_resolve_rounds = 5;
// Keys per transaction when a replica joins a store (see async_apply_remote).
constexpr std::size_t join_chunk_keys = 2048;

// Clears the join progress however the apply ends.
struct progress_reset {
    explicit progress_reset(std::optional<sync_progress>& p) : progress(p) {}
    std::optional<sync_progress>& progress;
    progress_reset(const progress_reset&) = delete;
    progress_reset& operator=(const progress_reset&) = delete;
    ~progress_reset() { progress.reset(); }
};

// Reads of the remote state in which an entry must be unreadable before it is ignored for good
// (until then it is skipped for that read only, and fetched again by the next).
constexpr unsigned reads_before_giving_up = 3;

}  // namespace

asio::awaitable<result<engine::remote_state>> store::impl::async_read_remote() {
    // Entries skipped in this read: those given up on, plus any found unreadable now.
    std::set<std::string, std::less<>> unreadable_entries;
    for (const auto& [key, reads] : unreadable_reads) {
        if (reads >= reads_before_giving_up) {
            unreadable_entries.insert(key);
        }
    }
    for (int round = 0; round < max_resolve_rounds; ++round) {
        s3::list_options listing;
        listing.prefix = protocol::entry_prefix(config.manifest_key);
        listing.start_after =
            protocol::listing_start_after(config.manifest_key, clock.server_now(local_now()));
        auto listed = co_await bucket->async_list_all(listing);
        if (!listed) {
            co_return std::move(listed).err();
        }
        observe(listed->meta);

        std::vector<protocol::listed_object> objects;
        objects.reserve(listed->objects.size());
        for (const auto& o : listed->objects) {
            std::optional<protocol::timestamp> modified;
            if (o.last_modified_time) {
                modified = protocol::to_timestamp(*o.last_modified_time);
            }
            objects.push_back({o.key, modified});
        }
        const std::vector<std::string> unreadable(unreadable_entries.begin(),
                                                  unreadable_entries.end());
        const protocol::resolve_plan plan =
            protocol::plan_resolve(config.manifest_key, objects, unreadable);

        // The bodies not cached yet, fetched in parallel (a join fetches every entry of the
        // replay window), then judged in replay order.
        std::vector<const protocol::entry_key*> missing;
        for (const auto& entry : plan.replay) {
            if (!body_cache.contains(entry.key)) {
                missing.push_back(&entry);
            }
        }
        std::vector<std::optional<result<s3::get_result>>> bodies(missing.size());
        // Named, not a temporary in the co_await (GCC 12, docs/architecture.md).
        const auto fetch_body = [&](std::size_t i) -> asio::awaitable<bool> {
            auto got = co_await bucket->async_get(missing[i]->key);
            const bool ok = got.has_value();
            bodies[i].emplace(std::move(got));
            co_return ok;
        };
        co_await engine::async_for_each_bounded(executor, missing.size(),
                                                config.max_parallel_requests, fetch_body);
        bool replan = false;
        for (std::size_t i = 0; i < missing.size(); ++i) {
            const auto& entry = *missing[i];
            if (!bodies[i]) {
                // Not fetched: an earlier one failed (items are taken in order) and was
                // handled above; plan again rather than resolve without this body.
                replan = true;
                continue;
            }
            auto& got = *bodies[i];
            if (!got) {
                if (got.err().code == make_error_code(errc::not_found)) {
                    replan = true;  // collected by another client since the LIST
                    continue;
                }
                co_return std::move(got).err();
            }
            auto body = protocol::parse_entry_body(got->body);
            if (!body) {
                log(log_level::warn,
                    "ignoring unreadable manifest entry " + entry.key + ": " + body.err().message);
                unreadable_entries.insert(entry.key);
                ++unreadable_reads[entry.key];
                replan = true;
                continue;
            }
            if (body->skipped != 0 && !body->warnings.empty()) {
                log(log_level::warn, "manifest entry " + entry.key + ": skipped " +
                                         std::to_string(body->skipped) + " member(s), e.g. " +
                                         body->warnings.front());
            }
            unreadable_reads.erase(entry.key);
            body_cache.emplace(entry.key, std::move(*body));
        }
        if (replan) {
            continue;
        }

        // Keep only bodies still listed: entries are immutable, but collected ones never return.
        std::set<std::string, std::less<>> listed_keys;
        for (const auto& e : plan.entries) {
            listed_keys.insert(e.key.key);
        }
        std::erase_if(body_cache,
                      [&](const auto& item) { return !listed_keys.contains(item.first); });
        std::erase_if(unreadable_reads,
                      [&](const auto& item) { return !listed_keys.contains(item.first); });

        engine::remote_state out;
        std::vector<const protocol::entry_body*> replay;
        for (const auto& entry : plan.replay) {
            replay.push_back(&body_cache.at(entry.key));
        }
        const protocol::entry_body* latest = nullptr;
        if (plan.latest) {
            latest = &body_cache.at(plan.latest->key);
            out.latest = plan.latest;
            out.newest_ts = plan.latest->ts;
        }
        out.files = protocol::resolve(latest, replay);
        out.garbage = plan.garbage;
        if (out.newest_ts && (!newest_seen || *newest_seen < *out.newest_ts)) {
            newest_seen = out.newest_ts;
        }
        co_return out;
    }
    co_return error(errc::bad_response,
                    "the manifest kept changing or held unreadable entries in " +
                        std::to_string(max_resolve_rounds) + " rounds");
}

asio::awaitable<status> store::impl::async_apply_remote(const engine::remote_state& state) {
    // Diff what the bucket holds for our bucket's keys (refs into other buckets are kept in the
    // manifest, we write the full state, but are not keys of this store) against the in-memory
    // mirror of kv; only the first poll, or one after a failed write, reads every kv row.
    if (!kv_mirror.loaded()) {
        auto confirmed = db.confirmed_files();
        if (!confirmed) {
            co_return std::move(confirmed).err();
        }
        kv_mirror.load(*confirmed);
    }
    engine::apply_plan plan = kv_mirror.diff(state.files, config.bucket);
    std::vector<replica::remote_change> diff;
    for (auto& key : plan.deleted) {
        diff.push_back({std::move(key), std::nullopt});
    }
    const auto& to_fetch = plan.to_fetch;

    // A join (nothing confirmed yet) goes in transactions of join_chunk_keys: reads of the keys
    // fetched so far are answered meanwhile, and memory holds one chunk of values. Any other
    // sync is one transaction, so a multi-key write never shows half applied.
    const bool joining = kv_mirror.size() == 0;
    const std::size_t chunk = joining ? join_chunk_keys : std::max<std::size_t>(to_fetch.size(), 1);
    syncing = sync_progress{.fetched = 0, .total = to_fetch.size()};
    const progress_reset reset{syncing};
    bool incomplete = false;
    // At least one round, so that deletions and the sync position are applied with no fetch.
    for (std::size_t begin = 0;; begin += chunk) {
        const std::size_t end = std::min(to_fetch.size(), begin + chunk);
        const bool last = end == to_fetch.size();
        const auto items = std::span(to_fetch).subspan(begin, end - begin);
        auto got = co_await async_fetch_contents(items);
        if (!got) {
            co_return std::move(got).err();
        }
        incomplete = incomplete || got->incomplete;
        cache_contents(got->from_bucket);
        std::move(got->from_cache.begin(), got->from_cache.end(), std::back_inserter(diff));
        std::move(got->from_bucket.begin(), got->from_bucket.end(), std::back_inserter(diff));

        // The sync position goes with the last chunk only: a join cut short resumes from the
        // keys still missing (the mirror knows which are applied) and lists again.
        std::vector<std::pair<std::string, std::string>> meta;
        if (last) {
            if (state.latest) {
                meta.emplace_back(std::string(replica::meta_key::newest_entry_key),
                                  state.latest->key);
            }
            // An incomplete apply must be retried: forget the marker so the next poll lists
            // again.
            meta.emplace_back(std::string(replica::meta_key::marker_etag),
                              incomplete ? "" : marker_etag);
            if (incomplete) {
                marker_etag.clear();
            }
        }
        if (auto applied = kv_written(db.apply_remote(diff, meta), diff); !applied || last) {
            co_return applied;
        }
        diff.clear();
    }
}

asio::awaitable<result<store::impl::fetched_contents>> store::impl::async_fetch_contents(
    std::span<const std::pair<std::string, const protocol::file_state*>> items) {
    // max_parallel_requests at a time; the content cache makes refetching free (an apply that
    // failed, a version another writer brought back).
    std::vector<std::optional<std::string>> values(items.size());
    std::vector<bool> from_bucket(items.size(), false);
    fetched_contents out;
    std::optional<error> failure;
    const auto count_fetched = [this] {
        if (syncing) {
            ++syncing->fetched;
        }
    };
    const auto fetch_one = [&](std::size_t i) -> asio::awaitable<bool> {
        const auto& [key, file] = items[i];
        const std::string object = protocol::content_object_key(key, file->version);
        if (bad_content.contains(object)) {
            count_fetched();
            out.incomplete = true;
            co_return true;
        }
        auto cached = db.get_content(key, file->version);
        if (cached && *cached) {
            count_fetched();
            values[i] = std::move(**cached);
            co_return true;
        }
        auto got = co_await bucket->async_get(object);
        count_fetched();
        if (!got) {
            if (got.err().code == make_error_code(errc::not_found)) {
                log(log_level::warn, "content " + object + " named by the manifest is missing");
                bad_content.insert(object);
                out.incomplete = true;
                co_return true;
            }
            if (!failure) {
                failure = std::move(got).err();
            }
            co_return false;
        }
        auto doc = json::parse(got->body);
        auto compact = doc ? json::serialize(*doc) : result<std::string>(doc.err());
        if (!compact) {
            log(log_level::warn,
                "content " + object + " is not JSON; key left as it was: " + compact.err().message);
            bad_content.insert(object);
            out.incomplete = true;
            co_return true;
        }
        values[i] = std::move(*compact);
        from_bucket[i] = true;
        co_return true;
    };
    co_await engine::async_for_each_bounded(executor, items.size(), config.max_parallel_requests,
                                            fetch_one);
    if (failure) {
        co_return std::move(*failure);
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (!values[i]) {
            continue;
        }
        const auto& [key, file] = items[i];
        replica::confirmed_value value{.value = std::move(*values[i]),
                                       .version = file->version,
                                       .bucket = config.bucket,
                                       .replication = file->replication};
        (from_bucket[i] ? out.from_bucket : out.from_cache).push_back({key, std::move(value)});
    }
    co_return out;
}

asio::awaitable<void> store::impl::async_collect_garbage(const engine::remote_state& state) {
    // Like MPS3: invalid entries and entries folded into the latest one. Failures are harmless
    // (another client will collect them), so they are only logged.
    for (const auto& entry : state.garbage) {
        if (closing || !online) {
            co_return;
        }
        auto deleted = co_await bucket->async_delete(entry.key);
        if (!deleted) {
            log(log_level::debug,
                "could not collect " + entry.key + ": " + deleted.err().describe());
            co_return;
        }
    }
}

}  // namespace mps3
