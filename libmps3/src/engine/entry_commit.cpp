#include "engine/entry_commit.hpp"

#include "protocol/entry_body.hpp"

namespace mps3::engine {

using commit_do::outcome;

entry_commit::entry_commit(const protocol::manifest_update& update, context ctx, limits lim)
    : update_(update), ctx_(std::move(ctx)), limits_(lim) {}

void entry_commit::warn(const std::string& message) const {
    if (ctx_.warn) {
        ctx_.warn(message);
    }
}

commit_step entry_commit::start() {
    attempt_ = 0;
    done_ = false;
    return commit_do::read_state{};
}

commit_step entry_commit::next_attempt() {
    // Every way here leaves the previous entry (if any) definitely unread: invalid by its time,
    // or another writer's. So giving up now may requeue.
    verdict_pending_ = false;
    if (++attempt_ >= limits_.max_attempts) {
        return finish(outcome::requeue,
                      error(errc::server_error, "could not write a valid manifest entry in " +
                                                    std::to_string(limits_.max_attempts) +
                                                    " attempts (clock trouble?)"));
    }
    return commit_do::read_state{};
}

commit_step entry_commit::finish(outcome o, error why) {
    done_ = true;
    return commit_do::finished{.result = o, .failure = std::move(why)};
}

commit_step entry_commit::committed() {
    done_ = true;
    ctx_.newest_seen = std::max(ctx_.newest_seen.value_or(stamp_), stamp_);
    return commit_do::finished{.result = outcome::committed, .failure = std::nullopt};
}

commit_step entry_commit::on_cancelled() {
    error why(errc::cancelled, "went offline during an upload");
    // While our entry's GET or LIST is due, it may be in the bucket: recovery must judge it.
    return finish(verdict_pending_ ? outcome::leave_uploading : outcome::requeue, std::move(why));
}

commit_step entry_commit::on_state(const result<protocol::manifest_state>& files,
                                   protocol::timestamp local_now) {
    if (!files) {
        return finish(outcome::requeue, files.err());
    }
    // The stamp (section 7 step 1), then the forecast of where LastModified will fall: an entry
    // known to be invalid is never written.
    stamp_ = protocol::stamp_entry(ctx_.clock.server_now(local_now), ctx_.newest_seen);
    auto body = protocol::serialize_entry_body(*files, update_);
    if (!body) {
        return finish(outcome::requeue, body.err());
    }
    body_ = std::move(*body);
    if (const auto bounds = ctx_.clock.bounds()) {
        const auto forecast =
            protocol::predict_last_modified(local_now, limits_.max_put_time, *bounds);
        const auto delay = protocol::delay_until_valid(stamp_, forecast);
        if (!delay) {
            return next_attempt();  // the clock is too uncertain: the next LIST samples it again
        }
        if (delay->count() > 0) {
            return commit_do::hold{.delay = *delay};
        }
    }
    return on_held(true);
}

commit_step entry_commit::on_held(bool still_online) {
    if (!still_online) {
        return finish(outcome::requeue,
                      error(errc::cancelled, "went offline while holding an entry"));
    }
    // A new key on every attempt: entry keys are never rewritten. Noted before the PUT, so a
    // crash or a lost answer leaves the key for recovery to list.
    entry_key_ = ctx_.session.next_key(stamp_);
    return commit_do::note_key{.entry_key = entry_key_};
}

commit_step entry_commit::on_noted(const status& noted) {
    if (!noted) {
        return finish(outcome::requeue, noted.err());
    }
    return put();
}

commit_step entry_commit::put() {
    return commit_do::put_entry{.entry_key = entry_key_, .body = body_};
}

commit_step entry_commit::on_put(const result<entry_put_answer>& put) {
    if (!put && put.err().code == make_error_code(errc::precondition_failed)) {
        // Taken: by another writer, or by our own earlier try of this very request whose answer
        // was lost (the client retried it). Ours if the bytes are ours.
        verdict_pending_ = true;
        return commit_do::get_entry{.entry_key = entry_key_};
    }
    if (!put) {
        // The entry may have landed though no answer came.
        return finish(outcome::leave_uploading, put.err());
    }
    if (!put->sample) {
        return finish(outcome::leave_uploading,
                      error(errc::bad_response,
                            "the server sent no Date header: entries cannot be validated"));
    }
    switch (protocol::check_entry_time(stamp_, protocol::last_modified_range(*put->sample))) {
        case protocol::time_verdict::valid:
            return committed();
        case protocol::time_verdict::invalid:
            warn("entry " + entry_key_ + " may fall outside the validity window; writing it again");
            return next_attempt();
        case protocol::time_verdict::uncertain:
            // The Date only brackets LastModified within about a second; readers judge by the
            // LastModified they list, so list it. This settles entries stamped just after a
            // writer whose clock runs seconds fast (+1 ms over its entry).
            verdict_pending_ = true;
            return commit_do::list_entry{.entry_key = entry_key_};
    }
    return finish(outcome::leave_uploading, error(errc::bad_response, "unknown verdict"));
}

commit_step entry_commit::on_got(const result<std::string>& body) {
    if (body && *body == body_) {
        return commit_do::list_entry{.entry_key = entry_key_};  // ours: is it valid?
    }
    // Another writer's (or unreadable now, which a create-only PUT refused all the same).
    warn("entry key " + entry_key_ + " already taken; taking another");
    return next_attempt();
}

commit_step entry_commit::on_listed(
    const result<std::optional<protocol::timestamp>>& last_modified) {
    if (!last_modified) {
        return finish(outcome::leave_uploading,
                      error(errc::network, "could not list entry " + entry_key_ +
                                               " to judge it; recovery settles it: " +
                                               last_modified.err().describe()));
    }
    if (!*last_modified) {
        // Not listed: readers cannot see it, and with read-after-write listings (the
        // assumption of docs/durability.md) it is not there. Recovery would decide the same.
        warn("entry " + entry_key_ + " is not listed; writing it again");
        return next_attempt();
    }
    const protocol::time_range listed{.earliest = **last_modified, .latest = **last_modified};
    if (protocol::check_entry_time(stamp_, listed) == protocol::time_verdict::valid) {
        return committed();
    }
    warn("entry " + entry_key_ + " is listed outside the validity window; writing it again");
    return next_attempt();  // ours but invalid: readers ignore it for ever
}

}  // namespace mps3::engine
