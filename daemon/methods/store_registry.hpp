// The stores a daemon serves, by name, in configuration order. A request without `store` goes to
// the first one (the only one, in the common case).
#pragma once

#include <mps3/ipc/rpc_result.hpp>

#include <mps3/store.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mps3::daemon {

struct named_store {
    std::string name;
    std::unique_ptr<mps3::store> store;
};

class store_registry {
  public:
    void add(std::string name, std::unique_ptr<mps3::store> s) {
        stores_.push_back(named_store{std::move(name), std::move(s)});
    }

    /// The store named, or the first when `name` is nullopt; -32001 otherwise.
    ipc::rpc_result<named_store*> find(std::optional<std::string_view> name);

    [[nodiscard]] std::vector<named_store>& all() { return stores_; }
    [[nodiscard]] const std::vector<named_store>& all() const { return stores_; }
    [[nodiscard]] bool empty() const { return stores_.empty(); }

  private:
    std::vector<named_store> stores_;
};

}  // namespace mps3::daemon
