// mps3d's metrics (docs/operations.md, "Metrics"): the families, what feeds them (each store's
// S3 client through its request observer, the JSON-RPC dispatcher through its observer, the
// stores' status sampled at each scrape) and the text both the HTTP listener and the `metrics`
// method serve. Everything runs on the io thread.
#pragma once

#include <mps3/ipc/dispatcher.hpp>
#include "methods/observability_env.hpp"
#include "methods/store_registry.hpp"
#include "metrics/registry.hpp"

#include <mps3/s3/request_observer.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

namespace mps3::daemon {

/// What `stores` tells of a store: never its credentials.
store_identity identify(const std::string& name, const store_config& config);

/// What a scrape samples.
struct metrics_sources {
    const store_registry* stores = nullptr;
    std::function<std::size_t()> connections;  // clients connected to the socket now
    std::chrono::system_clock::time_point started;
    std::chrono::milliseconds health_max_sync_age{120'000};
};

class daemon_metrics {
  public:
    daemon_metrics();
    daemon_metrics(const daemon_metrics&) = delete;
    daemon_metrics& operator=(const daemon_metrics&) = delete;

    /// For one store's S3 client (store_config::s3.observer). Keep this object alive longer
    /// than the client.
    s3::request_observer s3_observer(const std::string& store);
    /// For every connection's dispatcher.
    [[nodiscard]] std::shared_ptr<const ipc::request_observer> rpc_observer() const {
        return rpc_observer_;
    }
    /// Set once the stores and the server exist; a scrape before that samples nothing.
    void sample_from(metrics_sources sources) { sources_ = std::move(sources); }

    /// The exposition (Prometheus text format 0.0.4).
    std::string render() { return registry_.render(); }

  private:
    void collect();

    metrics::registry registry_;
    metrics_sources sources_;
    std::shared_ptr<const ipc::request_observer> rpc_observer_;

    // Sampled from each store's status at each scrape.
    metrics::family<metrics::gauge>& online_;
    metrics::family<metrics::gauge>& queued_writes_;
    metrics::family<metrics::gauge>& oldest_queued_age_;
    metrics::family<metrics::gauge>& last_sync_age_;
    metrics::family<metrics::gauge>& healthy_;
    metrics::family<metrics::gauge>& failed_attempts_;
    metrics::family<metrics::gauge>& clock_offset_;
    metrics::family<metrics::gauge>& subscriptions_;
    metrics::family<metrics::counter>& entries_written_;
    metrics::family<metrics::counter>& entries_read_;
    metrics::family<metrics::counter>& polls_;
    // Counted as S3 requests complete.
    metrics::family<metrics::counter>& s3_requests_;
    metrics::family<metrics::histogram>& s3_duration_;
    metrics::family<metrics::counter>& s3_sent_bytes_;
    metrics::family<metrics::counter>& s3_received_bytes_;
    // The socket and its requests.
    metrics::family<metrics::gauge>& connections_;
    metrics::family<metrics::counter>& rpc_requests_;
    metrics::family<metrics::histogram>& rpc_duration_;
};

}  // namespace mps3::daemon
