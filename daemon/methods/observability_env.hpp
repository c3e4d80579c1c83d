// What the `stores` and `metrics` methods, and the request metrics, need beyond the stores:
// each store's identity (for `stores`), the daemon's start and the health rule's allowed sync
// age, the metrics text, and the dispatcher's observer. Empty parts turn the feature off
// (tests that build a method_env by hand).
#pragma once

#include <mps3/ipc/dispatcher.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mps3::daemon {

struct store_identity {
    std::string name;
    std::string bucket;
    std::string endpoint;  // scheme://host[:port], never credentials
    std::string manifest;
};

struct observability_env {
    std::shared_ptr<const std::vector<store_identity>> identities;
    std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
    std::chrono::milliseconds health_max_sync_age{120'000};
    std::function<std::string()> metrics_text;
    std::shared_ptr<const ipc::request_observer> rpc_observer;
};

}  // namespace mps3::daemon
