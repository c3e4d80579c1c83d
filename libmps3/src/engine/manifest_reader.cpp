#include "engine/manifest_reader.hpp"

#include "protocol/entry_key.hpp"

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

read_step manifest_reader::replan(protocol::timestamp server_now) {
    if (++round_ >= limits_.max_rounds) {
        return read_do::failed{.why = error(errc::bad_response,
                                            "the manifest kept changing or held unreadable "
                                            "entries in " +
                                                std::to_string(limits_.max_rounds) + " rounds")};
    }
    return list(server_now);
}

read_step manifest_reader::on_listed(const result<std::vector<protocol::listed_object>>& listing) {
    if (!listing) {
        return read_do::failed{.why = listing.err()};
    }
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
            if (!undecodable(got.err())) {
                return read_do::failed{.why = got.err()};
            }
        }
        auto body =
            got ? protocol::parse_entry_body(*got) : result<protocol::entry_body>(got.err());
        if (!body) {
            warn("ignoring unreadable manifest entry " + key + ": " + body.err().message);
            skipped_.push_back(key);
            ++unreadable_reads_[key];
            again = true;
            continue;
        }
        if (body->skipped != 0 && !body->warnings.empty()) {
            warn("manifest entry " + key + ": skipped " + std::to_string(body->skipped) +
                 " member(s), e.g. " + body->warnings.front());
        }
        unreadable_reads_.erase(key);
        body_cache_.insert_or_assign(key, std::move(*body));
    }
    if (again) {
        return replan(server_now);
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
