#include "methods/store_registry.hpp"

#include <mps3/ipc/excerpt.hpp>

namespace mps3::daemon {

ipc::rpc_result<named_store*> store_registry::find(std::optional<std::string_view> name) {
    if (stores_.empty()) {
        return ipc::rpc_error(ipc::rpc_code::unknown_store, "Unknown store: none is configured");
    }
    if (!name) {
        return &stores_.front();
    }
    for (auto& s : stores_) {
        if (s.name == *name) {
            return &s;
        }
    }
    std::string known;
    for (const auto& s : stores_) {
        known += (known.empty() ? "" : ", ") + ipc::quoted_excerpt(s.name);
    }
    return ipc::rpc_error(
        ipc::rpc_code::unknown_store,
        "Unknown store: " + ipc::quoted_excerpt(*name) + " (configured: " + known + ")");
}

}  // namespace mps3::daemon
