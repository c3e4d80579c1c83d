#include "engine/attempt_recovery.hpp"

#include "protocol/clock.hpp"
#include "protocol/content_ref.hpp"
#include "protocol/entry_body.hpp"
#include "protocol/entry_key.hpp"

#include <algorithm>

namespace mps3::engine {

std::map<std::string, std::vector<const replica::outbox_batch*>> uploading_attempts(
    std::span<const replica::outbox_batch> pending) {
    std::map<std::string, std::vector<const replica::outbox_batch*>> attempts;
    for (const auto& b : pending) {
        if (b.state == replica::batch_state::uploading) {
            attempts[b.attempt_id.value_or("")].push_back(&b);
        }
    }
    return attempts;
}

attempt_recovery::attempt_recovery(std::span<const replica::outbox_batch* const> batches,
                                   std::string bucket, std::string manifest_key)
    : bucket_(std::move(bucket)), manifest_key_(std::move(manifest_key)) {
    for (const auto* b : batches) {
        batch_ids_.push_back(b->id);
        for (const auto& op : b->ops) {
            auto& slot = last_[op.write.key];
            slot.value = op.write.value;
            if (op.upload_version) {
                slot.version = *op.upload_version;
            }
        }
    }
    if (!batches.empty()) {
        entry_keys_ = batches.front()->entry_keys;
    }
}

recover_step attempt_recovery::start() {
    next_ = 0;
    foreign_.reset();
    unlisted_ = false;
    return next_key();
}

recover_step attempt_recovery::next_key() {
    while (next_ < entry_keys_.size()) {
        current_ = entry_keys_[next_++];
        const auto parsed = protocol::parse_entry_key(manifest_key_, current_);
        if (parsed && parsed->ts) {
            current_ts_ = parsed->ts;
            return recover_do::list_entry{.entry_key = current_};
        }
    }
    // No noted key holds our entry now. It may have landed and been collected since: then a
    // key we wrote still holding our version proves it. Only puts have versions to look for;
    // an attempt of deletes alone stays unknowable (durability.md, gap 1).
    const bool has_put =
        std::any_of(last_.begin(), last_.end(), [](const auto& k) { return k.second.value; });
    if (unlisted_ && has_put) {
        return recover_do::resolve_state{};
    }
    return recover_do::not_landed{};
}

recover_step attempt_recovery::on_listed(
    const result<std::optional<protocol::timestamp>>& last_modified) {
    if (!last_modified) {
        return recover_do::undecided{.why = last_modified.err()};  // decides nothing
    }
    if (!*last_modified) {
        unlisted_ = true;  // readers do not see it: never PUT, or collected
        return next_key();
    }
    const protocol::time_range listed{.earliest = **last_modified, .latest = **last_modified};
    if (protocol::check_entry_time(*current_ts_, listed) != protocol::time_verdict::valid) {
        return next_key();  // listed outside the window: readers ignore it for ever
    }
    // Listed and valid; but is it whole, and ours?
    return recover_do::get_entry{.entry_key = current_};
}

recover_step attempt_recovery::on_got(const result<std::string>& body) {
    if (!body) {
        return recover_do::undecided{.why = body.err()};
    }
    if (!entry_applies(*body)) {
        foreign_ = current_;
        return next_key();
    }
    return confirmed();
}

recover_step attempt_recovery::on_resolved(const result<protocol::manifest_state>& files) {
    if (!files) {
        return recover_do::undecided{.why = files.err()};
    }
    for (const auto& [key, choice] : last_) {
        if (!choice.value) {
            continue;
        }
        const auto it = files->find(protocol::format_content_ref(bucket_, key));
        if (it != files->end() && it->second.version == choice.version) {
            return confirmed();
        }
    }
    // Never PUT, or landed and every key overwritten since: the bound of gap 1.
    return recover_do::not_landed{};
}

// The attempt's writes as the bucket holds them once its entry landed: per key, its last op.
recover_do::landed attempt_recovery::confirmed() const {
    recover_do::landed out;
    for (const auto& [key, choice] : last_) {
        if (!choice.value) {
            out.confirmed.push_back({key, std::nullopt});
            continue;
        }
        replica::confirmed_value value{.value = *choice.value,
                                       .version = choice.version,
                                       .bucket = bucket_,
                                       .replication = std::string()};
        out.confirmed.push_back({key, std::move(value)});
    }
    return out;
}

// True when the entry's body parses and its update writes exactly what the attempt chose: per
// key, its version, or a delete.
bool attempt_recovery::entry_applies(std::string_view body) const {
    auto entry = protocol::parse_entry_body(body);
    if (!entry) {
        return false;
    }
    for (const auto& [key, choice] : last_) {
        const auto it = entry->update.find(protocol::format_content_ref(bucket_, key));
        if (it == entry->update.end()) {
            return false;
        }
        const bool deleted = !choice.value.has_value();
        if (deleted != !it->second.has_value()) {
            return false;
        }
        if (!deleted && it->second->version != choice.version) {
            return false;
        }
    }
    return true;
}

}  // namespace mps3::engine
