// Reading the bucket: LIST the manifest's entries, resolve the state (BUCKET_FORMAT.md
// section 6), fetch the content that changed (max_parallel_requests at a time), and apply it to
// the replica: in one transaction, or in 2,048-key ones when the replica joins a store.
#include "engine/bounded_parallel.hpp"
#include "engine/store_impl.hpp"
#include "json/document.hpp"
#include "protocol/content_ref.hpp"
#include "protocol/entry_key.hpp"
#include "protocol/object_encoding.hpp"

#include <iterator>

namespace mps3 {
namespace {

namespace asio = boost::asio;

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

}  // namespace

asio::awaitable<result<engine::remote_state>> store::impl::async_read_remote() {
    // The reader decides (engine/manifest_reader.hpp), this loop performs.
    engine::read_step step = reader.begin(clock.server_now(local_now()));
    // Bounded: the reader's rounds are (max_rounds, plus one per unreadable entry it finds).
    for (std::size_t performed = 0; performed < 1'000'000; ++performed) {
        if (const auto* list = std::get_if<engine::read_do::list_entries>(&step)) {
            s3::list_options listing;
            listing.prefix = list->prefix;
            listing.start_after = list->start_after;
            auto listed = co_await bucket->async_list_all(listing);
            if (!listed) {
                step = reader.on_listed(std::move(listed).err());
                continue;
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
            step = reader.on_listed(objects);
        } else if (const auto* get = std::get_if<engine::read_do::get_bodies>(&step)) {
            // In parallel, bounded (a join fetches every entry of the replay window).
            const std::vector<std::string>& keys = get->keys;
            std::vector<std::optional<result<std::string>>> bodies(keys.size());
            // Named, not a temporary in the co_await (GCC 12, docs/architecture.md).
            const auto fetch_body = [&](std::size_t i) -> asio::awaitable<bool> {
                auto body = co_await async_get_body(keys[i]);
                const bool ok = body.has_value();
                entries_read += ok ? 1 : 0;
                bodies[i].emplace(std::move(body));
                co_return ok;
            };
            co_await engine::async_for_each_bounded(executor, keys.size(),
                                                    config.max_parallel_requests, fetch_body);
            step = reader.on_bodies(bodies, clock.server_now(local_now()));
        } else if (auto* done = std::get_if<engine::read_do::resolved>(&step)) {
            auto& state = done->state;
            if (state.newest_ts && (!newest_seen || *newest_seen < *state.newest_ts)) {
                newest_seen = state.newest_ts;
            }
            co_return std::move(state);
        } else {
            co_return std::get<engine::read_do::failed>(step).why;
        }
    }
    co_return error(errc::bad_response, "reading the manifest did not finish");  // unreachable
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
                              incomplete ? "" : polls.record());
            if (incomplete) {
                polls.forget();
            }
        }
        // diff moves into the writer's task and back, uncopied: the writer thread reads it while
        // this coroutine waits, and the shared pointer keeps it alive should the coroutine be
        // destroyed meanwhile.
        auto shared_diff = std::make_shared<std::vector<replica::remote_change>>(std::move(diff));
        // Named, not temporaries in the co_await: GCC 12 mishandles temporaries with
        // destructors there.
        auto apply = [shared_diff, meta = std::move(meta)](replica::replica& w) {
            return w.apply_remote(*shared_diff, meta);
        };
        // Reads of the changed keys wait until the subscribers are told (kv_write_done).
        auto notify_and_release = kv_write_done(shared_diff);
        auto applied = co_await engine::async_write_then(writer, std::move(apply),
                                                         std::move(notify_and_release));
        diff = std::move(*shared_diff);
        if (!applied || last) {
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
    s3::get_options bounded;  // what one value may cost (store_config::max_content_bytes)
    bounded.max_body_bytes = config.max_content_bytes;
    const auto fetch_one = [&](std::size_t i) -> asio::awaitable<bool> {
        const auto& [key, file] = items[i];
        // "<key>@<version>", or "<key>" at versionId <version> in versioned mode.
        const auto where = protocol::locate_content(content_mode(), key, file->version);
        const std::string object = protocol::describe_location(where);
        if (bad_content.contains(object)) {
            count_fetched();
            out.incomplete = true;
            co_return true;
        }
        if (where.version_id.empty() && content_mode() == protocol::content_mode::versioned) {
            // No version: a GET would read whatever "<key>" holds now, not what was written.
            log(log_level::warn, "the manifest names no version of " + key +
                                     " (versioned mode); key left as it was");
            bad_content.insert(object);
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
        s3::get_options this_version = bounded;  // named: GCC 12 and temporaries in co_await
        this_version.version_id = where.version_id;
        auto got = co_await bucket->async_get(where.object_key, this_version);
        count_fetched();
        if (!got) {
            // A version id the server cannot parse (another mode's version, garbage) is a
            // 400 InvalidArgument on RGW and AWS: as missing as a 404 NoSuchVersion.
            const bool bad_version = !where.version_id.empty() &&
                                     got.err().code == make_error_code(errc::client_error) &&
                                     got.err().http_status == 400;
            if (got.err().code == make_error_code(errc::not_found) || bad_version) {
                log(log_level::warn, "content " + object + " named by the manifest is missing");
                bad_content.insert(object);
                out.incomplete = true;
                co_return true;
            }
            if (got.err().code == make_error_code(errc::too_large)) {
                // Content objects are immutable: it will not shrink, so it is never asked again.
                log(log_level::warn,
                    "content " + object + " refused, key left as it was: " + got.err().message);
                bad_content.insert(object);
                out.incomplete = true;
                co_return true;
            }
            if (!failure) {
                failure = std::move(got).err();
            }
            co_return false;
        }
        auto text = protocol::decoded_object_body(std::move(got->body), got->content_encoding,
                                                  config.max_content_bytes);
        auto doc = text ? json::parse(*text) : result<rapidjson::Document>(text.err());
        auto compact = doc ? json::serialize(*doc) : result<std::string>(doc.err());
        if (!compact) {
            // A body that does not decode says so in the reason ("gzip body: ...").
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
