#include "engine/read_cache.hpp"

#include <utility>

namespace mps3::engine {

const std::optional<std::string>* read_cache::find(std::string_view key) {
    auto it = index_.find(key);
    if (it == index_.end()) {
        ++misses_;
        return nullptr;
    }
    ++hits_;
    lru_.splice(lru_.begin(), lru_, it->second);  // no allocation; iterators stay valid
    return &it->second->value;
}

void read_cache::insert(std::string_view key, const std::optional<std::string>& value) {
    erase(key);
    node fresh{std::string(key), value};
    const auto cost = fresh.cost();
    if (cost > max_bytes_ / 8) {
        return;
    }
    while (bytes_ + cost > max_bytes_ && !lru_.empty()) {
        drop(std::prev(lru_.end()));
    }
    lru_.push_front(std::move(fresh));
    index_.emplace(lru_.front().key, lru_.begin());
    bytes_ += cost;
}

void read_cache::erase(std::string_view key) {
    if (auto it = index_.find(key); it != index_.end()) {
        drop(it->second);
    }
}

void read_cache::clear() {
    index_.clear();
    lru_.clear();
    bytes_ = 0;
}

void read_cache::drop(node_list::iterator it) {
    bytes_ -= it->cost();
    index_.erase(std::string_view(it->key));
    lru_.erase(it);
}

}  // namespace mps3::engine
