// The values gets returned lately, kept on the io thread so a get of a hot key costs a hash
// lookup instead of a SQLite read transaction (BEGIN, the outbox and kv lookups, COMMIT, and the
// WAL's fcntl locks: about half of a get's daemon CPU in the profile of docs/benchmarks.md,
// "Read cache").
//
// Coherence comes from the store, not from here: every write that changes what reads see is
// registered on the io thread before it is submitted (store::impl::uncommitted_keys) and
// released there after it is committed and notified. The store reads this cache only for keys
// with no such write in flight, fills it only then, and erases a key when a write of it is
// released (everything, for a write whose keys are not known beforehand). So between a
// release and the next change of the key, the cached value is what the replica holds.
//
// Bounded by bytes (LRU): a value above an eighth of the bound is never kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mps3::engine {

class read_cache {
  public:
    /// What a key costs beyond its key and value bytes (list node, index slot, strings).
    static constexpr std::size_t entry_overhead = 128;

    explicit read_cache(std::size_t max_bytes) : max_bytes_(max_bytes) {}
    read_cache(const read_cache&) = delete;
    read_cache& operator=(const read_cache&) = delete;

    /// The cached answer for key (an empty optional inside: the key is known to be absent), or
    /// nullptr. A hit makes the key the most recently used.
    const std::optional<std::string>* find(std::string_view key);
    /// Keeps what the replica answered for key, evicting the least recently used keys beyond
    /// the bound. A value too big to be worth its room is not kept.
    void insert(std::string_view key, const std::optional<std::string>& value);
    void erase(std::string_view key);
    void clear();

    [[nodiscard]] std::size_t bytes() const { return bytes_; }
    [[nodiscard]] std::size_t size() const { return index_.size(); }
    [[nodiscard]] std::uint64_t hits() const { return hits_; }
    [[nodiscard]] std::uint64_t misses() const { return misses_; }

  private:
    struct node {
        std::string key;
        std::optional<std::string> value;
        [[nodiscard]] std::size_t cost() const {
            return entry_overhead + key.size() + (value ? value->size() : 0);
        }
    };
    using node_list = std::list<node>;
    struct key_hash {
        std::size_t operator()(std::string_view key) const noexcept {
            return std::hash<std::string_view>{}(key);
        }
    };

    void drop(node_list::iterator it);

    std::size_t max_bytes_;
    std::size_t bytes_ = 0;
    std::uint64_t hits_ = 0;
    std::uint64_t misses_ = 0;
    node_list lru_;  // front: most recently used; the index's keys view these nodes' keys
    std::unordered_map<std::string_view, node_list::iterator, key_hash> index_;
};

}  // namespace mps3::engine
