#include "engine/subscription_hub.hpp"

namespace mps3::engine {

std::uint64_t subscription_hub::add(std::string match, bool prefix, store::change_handler handler) {
    const auto id = next_id_++;
    subscribers_.emplace(id, subscriber{std::move(match), prefix, std::move(handler)});
    return id;
}

void subscription_hub::remove(std::uint64_t id) {
    subscribers_.erase(id);
}

void subscription_hub::clear() {
    subscribers_.clear();
}

void subscription_hub::publish(const std::vector<change_event>& events) {
    if (events.empty() || subscribers_.empty()) {
        return;
    }
    // Handlers may change the map while we iterate: work on a snapshot of the ids.
    std::vector<std::uint64_t> ids;
    ids.reserve(subscribers_.size());
    for (const auto& [id, sub] : subscribers_) {
        ids.push_back(id);
    }
    for (const auto& event : events) {
        for (const auto id : ids) {
            const auto it = subscribers_.find(id);
            if (it == subscribers_.end()) {
                continue;
            }
            const auto& sub = it->second;
            const bool match =
                sub.prefix ? event.key.starts_with(sub.match) : event.key == sub.match;
            if (match) {
                auto handler = sub.handler;  // the handler may erase its own entry
                handler(event);
            }
        }
    }
}

}  // namespace mps3::engine
