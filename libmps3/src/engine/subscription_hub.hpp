// Who wants to hear of which changes: key and prefix subscriptions of one store, and the
// delivery of changes to them. No I/O; handlers run synchronously on the store's thread.
#pragma once

#include <mps3/store.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mps3::engine {

class subscription_hub {
  public:
    /// A subscription to the key `match` (prefix = false) or to every key starting with it.
    std::uint64_t add(std::string match, bool prefix, store::change_handler handler);
    void remove(std::uint64_t id);
    void clear();
    [[nodiscard]] bool empty() const { return subscribers_.empty(); }
    [[nodiscard]] std::size_t size() const { return subscribers_.size(); }

    /// Each event, in order, to every subscription that matches it and existed when the call
    /// began. A handler may add or remove subscriptions (its own included): one removed is not
    /// called again, one added hears from the next publish on.
    void publish(const std::vector<change_event>& events);

  private:
    struct subscriber {
        std::string match;
        bool prefix = false;
        store::change_handler handler;
    };
    std::uint64_t next_id_ = 1;
    std::map<std::uint64_t, subscriber> subscribers_;
};

}  // namespace mps3::engine
