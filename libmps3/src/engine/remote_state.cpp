// Reading the bucket: LIST the manifest's entries, resolve the state (BUCKET_FORMAT.md
// section 6), fetch the content that changed, and apply it to the replica in one transaction.
#include "engine/store_impl.hpp"
#include "json/document.hpp"
#include "protocol/content_ref.hpp"
#include "protocol/entry_key.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>

namespace mps3 {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

// Parallel content GETs: enough to hide loopback/WAN latency, few enough for any server.
constexpr std::size_t fetch_parallelism = 4;
// A body that fails to parse, or an entry collected between LIST and GET, makes us plan again;
// a bucket that keeps changing under us still ends.
constexpr int max_resolve_rounds = 5;
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
        auto listed = co_await s3.async_list_all(config.bucket, listing);
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

        bool replan = false;
        for (const auto& entry : plan.replay) {
            if (body_cache.contains(entry.key)) {
                continue;
            }
            auto got = co_await s3.async_get_object(config.bucket, entry.key);
            if (!got) {
                if (got.err().code == make_error_code(errc::not_found)) {
                    replan = true;  // collected by another client since the LIST
                    break;
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
                break;
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
    // What the bucket holds for keys of our bucket; refs into other buckets are kept in the
    // manifest (we write the full state) but are not keys of this store.
    std::map<std::string, const protocol::file_state*, std::less<>> wanted;
    for (const auto& [ref, file] : state.files) {
        auto parsed = protocol::parse_content_ref(ref);
        if (parsed && parsed->bucket == config.bucket) {
            wanted.emplace(parsed->key, &file);
        }
    }
    auto confirmed = db.confirmed_files();
    if (!confirmed) {
        co_return std::move(confirmed).err();
    }

    std::vector<replica::remote_change> diff;
    std::vector<std::pair<std::string, const protocol::file_state*>> to_fetch;
    for (const auto& have : *confirmed) {
        auto it = wanted.find(have.key);
        if (it == wanted.end()) {
            diff.push_back({have.key, std::nullopt});  // deleted remotely
        } else if (it->second->version != have.version ||
                   it->second->replication != have.replication) {
            to_fetch.emplace_back(have.key, it->second);
        }
        if (it != wanted.end()) {
            wanted.erase(it);
        }
    }
    for (const auto& [key, file] : wanted) {
        to_fetch.emplace_back(key, file);
    }

    // Fetch new content with bounded parallelism; the content cache makes refetching free.
    std::vector<std::optional<std::string>> values(to_fetch.size());
    bool incomplete = false;
    std::optional<error> failure;
    std::size_t next = 0;
    auto worker = [&]() -> asio::awaitable<void> {
        while (next < to_fetch.size() && !failure) {
            const std::size_t i = next++;
            const auto& [key, file] = to_fetch[i];
            const std::string object = protocol::content_object_key(key, file->version);
            if (bad_content.contains(object)) {
                incomplete = true;
                continue;
            }
            auto cached = db.get_content(key, file->version);
            if (cached && *cached) {
                values[i] = std::move(**cached);
                continue;
            }
            auto got = co_await s3.async_get_object(config.bucket, object);
            if (!got) {
                if (got.err().code == make_error_code(errc::not_found)) {
                    log(log_level::warn, "content " + object + " named by the manifest is missing");
                    bad_content.insert(object);
                    incomplete = true;
                    continue;
                }
                failure = std::move(got).err();
                co_return;
            }
            auto doc = json::parse(got->body);
            auto compact = doc ? json::serialize(*doc) : result<std::string>(doc.err());
            if (!compact) {
                log(log_level::warn, "content " + object + " is not JSON; key left as it was: " +
                                         compact.err().message);
                bad_content.insert(object);
                incomplete = true;
                continue;
            }
            (void)db.put_content(key, file->version, *compact);
            values[i] = std::move(*compact);
        }
    };
    co_await (worker() && worker() && worker() && worker());
    static_assert(fetch_parallelism == 4, "the worker count above");
    if (failure) {
        co_return std::move(*failure);
    }

    for (std::size_t i = 0; i < to_fetch.size(); ++i) {
        if (!values[i]) {
            continue;
        }
        const auto& [key, file] = to_fetch[i];
        replica::confirmed_value value{.value = std::move(*values[i]),
                                       .version = file->version,
                                       .bucket = config.bucket,
                                       .replication = file->replication};
        diff.push_back({key, std::move(value)});
    }

    std::vector<std::pair<std::string, std::string>> meta;
    if (state.latest) {
        meta.emplace_back(std::string(replica::meta_key::newest_entry_key), state.latest->key);
    }
    // An incomplete apply must be retried: forget the marker so the next poll lists again.
    meta.emplace_back(std::string(replica::meta_key::marker_etag), incomplete ? "" : marker_etag);
    if (incomplete) {
        marker_etag.clear();
    }
    auto changes = db.apply_remote(diff, meta);
    if (!changes) {
        co_return std::move(changes).err();
    }
    notify(*changes);
    co_return success{};
}

asio::awaitable<void> store::impl::async_collect_garbage(const engine::remote_state& state) {
    // Like MPS3: invalid entries and entries folded into the latest one. Failures are harmless
    // (another client will collect them), so they are only logged.
    for (const auto& entry : state.garbage) {
        if (closing || !online) {
            co_return;
        }
        auto deleted = co_await s3.async_delete_object(config.bucket, entry.key);
        if (!deleted) {
            log(log_level::debug,
                "could not collect " + entry.key + ": " + deleted.err().describe());
            co_return;
        }
    }
}

}  // namespace mps3
