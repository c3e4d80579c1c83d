#include "engine/manifest_reader.hpp"

#include "protocol/entry_key.hpp"

#include <algorithm>
#include <set>

namespace mps3::engine {
namespace {

// A GET the server answered with success whose body cannot be decoded (a bad gzip stream, an
// unknown Content-Encoding): unusable like a body that is not JSON, not a failure of the read.
bool undecodable(const error& e) {
    return e.code == make_error_code(errc::bad_response) && e.http_status / 100 == 2;
}

}  // namespace

manifest_reader::manifest_reader(std::string manifest_key,
                                 std::function<void(const std::string&)> warn, limits lim)
    : manifest_key_(std::move(manifest_key)), warn_(std::move(warn)), limits_(lim) {}

void manifest_reader::warn(const std::string& message) const {
    if (warn_) {
        warn_(message);
    }
}

read_step manifest_reader::begin(protocol::timestamp server_now) {
    round_ = 0;
    // Skipped in this read: the entries given up on, plus any found unreadable during it.
    skipped_.clear();
    for (const auto& [key, reads] : unreadable_reads_) {
        if (reads >= limits_.reads_before_giving_up) {
            skipped_.push_back(key);
        }
    }
    return list(server_now);
}

read_step manifest_reader::list(protocol::timestamp server_now) {
    return read_do::list_entries{
        .prefix = protocol::entry_prefix(manifest_key_),
        .start_after = protocol::listing_start_after(manifest_key_, server_now)};
}

read_step manifest_reader::replan(protocol::timestamp server_now, bool found_unreadable) {
    if (!found_unreadable && ++round_ >= limits_.max_rounds) {
        return read_do::failed{
            .why =
                error(errc::bad_response, "the manifest kept changing under " +
                                              std::to_string(limits_.max_rounds) + " reads of it")};
    }
    return list(server_now);
}

namespace {

bool names_another_manifests_entry(std::string_view object_key) {
    // "M@x@<entry>": an entry of manifest "M@x", which shares M's listing prefix.
    const auto at = object_key.rfind('@');
    return at != std::string_view::npos &&
           protocol::parse_entry_key(object_key.substr(0, at), object_key).has_value();
}

}  // namespace

void manifest_reader::warn_about_strays(std::span<const protocol::listed_object> listing) {
    std::set<std::string, std::less<>> still_listed;
    for (const auto& object : listing) {
        if (protocol::parse_entry_key(manifest_key_, object.key) ||
            names_another_manifests_entry(object.key)) {
            continue;
        }
        if (!strays_warned_.contains(object.key)) {
            warn("ignoring " + object.key + ": under the manifest's prefix but not an entry");
        }
        still_listed.insert(object.key);
    }
    strays_warned_ = std::move(still_listed);
}

void manifest_reader::note_unreadable(const std::string& key, const error& why, bool for_good) {
    unsigned& reads = unreadable_reads_[key];
    if (reads == 0) {
        std::string hint = " (read again by the next reads before it is given up)";
        if (why.code == make_error_code(errc::too_large)) {
            // A legitimate store can outgrow the limits: its own entries would be refused too.
            hint = " (raise max_entry_bytes / max_entry_files if the store really is this big)";
        } else if (for_good) {
            hint.clear();
        }
        warn("skipping manifest entry " + key + ": " + why.message + hint);
    }
    reads = for_good ? std::max(reads + 1, limits_.reads_before_giving_up) : reads + 1;
    skipped_.push_back(key);
}

read_step manifest_reader::on_listed(const result<std::vector<protocol::listed_object>>& listing) {
    if (!listing) {
        return read_do::failed{.why = listing.err()};
    }
    warn_about_strays(*listing);
    plan_ = protocol::plan_resolve(manifest_key_, *listing, skipped_);
    // Only the bodies not cached yet: a join fetches every entry of the replay window, a poll
    // the new ones.
    asked_.clear();
    for (const auto& entry : plan_.replay) {
        if (!body_cache_.contains(entry.key)) {
            asked_.push_back(entry.key);
        }
    }
    if (asked_.empty()) {
        return resolve();
    }
    return read_do::get_bodies{.keys = asked_};
}

read_step manifest_reader::on_bodies(std::span<const std::optional<result<std::string>>> bodies,
                                     protocol::timestamp server_now) {
    bool again = bodies.size() != asked_.size();
    bool found_unreadable = false;
    for (std::size_t i = 0; i < asked_.size() && i < bodies.size(); ++i) {
        const std::string& key = asked_[i];
        if (!bodies[i]) {
            again = true;  // not fetched: plan again rather than resolve without it
            continue;
        }
        const auto& got = *bodies[i];
        if (!got) {
            if (got.err().code == make_error_code(errc::not_found)) {
                again = true;  // collected by another client since the LIST
                continue;
            }
            if (got.err().code == make_error_code(errc::too_large)) {
                note_unreadable(key, got.err(), true);  // objects do not change: never again
                found_unreadable = true;
                continue;
            }
            if (!undecodable(got.err())) {
                return read_do::failed{.why = got.err()};
            }
        }
        auto body = got ? protocol::parse_entry_body(*got, limits_.max_entry_files)
                        : result<protocol::entry_body>(got.err());
        if (!body) {
            // Too many files is for good; a parse error may be a body cut off while stored.
            note_unreadable(key, body.err(), body.err().code == make_error_code(errc::too_large));
            found_unreadable = true;
            continue;
        }
        if (body->skipped != 0 && !body->warnings.empty()) {
            warn("manifest entry " + key + ": skipped " + std::to_string(body->skipped) +
                 " member(s), e.g. " + body->warnings.front());
        }
        unreadable_reads_.erase(key);
        body_cache_.insert_or_assign(key, std::move(*body));
    }
    if (again || found_unreadable) {
        return replan(server_now, found_unreadable && !again);
    }
    return resolve();
}

read_step manifest_reader::resolve() {
    // Keep only what is still listed: entries are immutable, but collected ones never return.
    std::set<std::string_view> listed;
    for (const auto& e : plan_.entries) {
        listed.insert(e.key.key);
    }
    std::erase_if(body_cache_, [&](const auto& item) { return !listed.contains(item.first); });
    std::erase_if(unreadable_reads_,
                  [&](const auto& item) { return !listed.contains(item.first); });

    remote_state out;
    std::vector<const protocol::entry_body*> replay;
    replay.reserve(plan_.replay.size());
    for (const auto& entry : plan_.replay) {
        replay.push_back(&body_cache_.at(entry.key));
    }
    const protocol::entry_body* latest = nullptr;
    if (plan_.latest) {
        latest = &body_cache_.at(plan_.latest->key);
        out.latest = plan_.latest;
        out.newest_ts = plan_.latest->ts;
    }
    out.files = protocol::resolve(latest, replay);
    out.garbage = plan_.garbage;
    return read_do::resolved{.state = std::move(out)};
}

}  // namespace mps3::engine
