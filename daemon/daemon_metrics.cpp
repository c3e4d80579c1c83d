#include "daemon_metrics.hpp"

#include "store_health.hpp"

namespace mps3::daemon {
namespace {

using metrics::latency_buckets;

double seconds(std::chrono::steady_clock::duration d) {
    return std::chrono::duration<double>(d).count();
}

double seconds_since(std::chrono::system_clock::time_point then,
                     std::chrono::system_clock::time_point now) {
    return now > then ? std::chrono::duration<double>(now - then).count() : 0.0;
}

}  // namespace

store_identity identify(const std::string& name, const store_config& config) {
    const auto& server = config.s3.server;
    return {name, config.bucket, (server.tls ? "https://" : "http://") + server.host_header(),
            config.manifest_key};
}

daemon_metrics::daemon_metrics()
    : online_(registry_.add_gauge("mps3d_store_online",
                                  "1 while the store's bucket traffic runs, 0 while it is offline",
                                  {"store"})),
      queued_writes_(registry_.add_gauge("mps3d_store_queued_writes",
                                         "Writes committed locally and not yet in the bucket",
                                         {"store"})),
      oldest_queued_age_(registry_.add_gauge(
          "mps3d_store_oldest_queued_age_seconds",
          "Age of the oldest write not yet in the bucket; 0 when none is queued", {"store"})),
      last_sync_age_(registry_.add_gauge(
          "mps3d_store_last_sync_age_seconds",
          "Time since the last successful sync, or since mps3d started when none succeeded yet",
          {"store"})),
      healthy_(registry_.add_gauge(
          "mps3d_store_healthy",
          "1 when the store synced within health_max_sync_age and has no persistent error",
          {"store"})),
      failed_attempts_(registry_.add_gauge("mps3d_store_failed_sync_attempts",
                                           "Sync rounds failed in a row; 0 once one succeeds",
                                           {"store"})),
      clock_offset_(registry_.add_gauge(
          "mps3d_store_clock_offset_seconds",
          "Estimated server clock minus local clock, from the bucket's Date headers", {"store"})),
      subscriptions_(registry_.add_gauge("mps3d_store_subscriptions",
                                         "Subscriptions open on the store", {"store"})),
      entries_written_(registry_.add_counter("mps3d_store_entries_written_total",
                                             "Manifest entries this process uploaded", {"store"})),
      entries_read_(registry_.add_counter("mps3d_store_entries_read_total",
                                          "Manifest entry bodies fetched from the bucket",
                                          {"store"})),
      polls_(registry_.add_counter("mps3d_store_polls_total",
                                   "Polls of the bucket (a HEAD of the marker, a LIST when it "
                                   "changed)",
                                   {"store"})),
      s3_requests_(
          registry_.add_counter("mps3d_s3_requests_total",
                                "S3 requests completed (each retry counts), by kind and outcome",
                                {"store", "kind", "outcome"})),
      s3_duration_(registry_.add_histogram("mps3d_s3_request_duration_seconds",
                                           "S3 request latency, from sending to the whole answer",
                                           {"store", "kind"}, latency_buckets())),
      s3_sent_bytes_(registry_.add_counter("mps3d_s3_sent_bytes_total",
                                           "Request body bytes sent to S3", {"store"})),
      s3_received_bytes_(registry_.add_counter("mps3d_s3_received_bytes_total",
                                               "Response body bytes received from S3", {"store"})),
      connections_(
          registry_.add_gauge("mps3d_connections", "Clients connected to the Unix socket")),
      rpc_requests_(registry_.add_counter(
          "mps3d_rpc_requests_total",
          "JSON-RPC requests answered, by method and code (0: a result, else the error code)",
          {"method", "code"})),
      rpc_duration_(
          registry_.add_histogram("mps3d_rpc_request_duration_seconds",
                                  "JSON-RPC request latency, from reading it to answering",
                                  {"method"}, latency_buckets())) {
    registry_.on_collect([this] { collect(); });
    rpc_observer_ = std::make_shared<const ipc::request_observer>(
        [this](const ipc::answered_request& answered) {
            const auto code = std::to_string(answered.code);
            rpc_requests_.labels({answered.method, code}).inc();
            rpc_duration_.labels({answered.method}).observe(seconds(answered.elapsed));
        });
}

s3::request_observer daemon_metrics::s3_observer(const std::string& store) {
    // The byte counters exist from the start, at 0, so a rate() has a first point.
    s3_sent_bytes_.labels({store});
    s3_received_bytes_.labels({store});
    return [this, store](const s3::request_record& r) {
        const auto kind = s3::to_string(r.kind);
        s3_requests_.labels({store, kind, s3::to_string(r.outcome)}).inc();
        s3_duration_.labels({store, kind}).observe(seconds(r.latency));
        s3_sent_bytes_.labels({store}).inc(static_cast<double>(r.bytes_sent));
        s3_received_bytes_.labels({store}).inc(static_cast<double>(r.bytes_received));
    };
}

void daemon_metrics::collect() {
    if (sources_.connections) {
        connections_.labels({}).set(static_cast<double>(sources_.connections()));
    }
    if (sources_.stores == nullptr) {
        return;
    }
    const auto now = std::chrono::system_clock::now();
    for (const auto& s : sources_.stores->all()) {
        const auto st = s.store->get_status();
        const std::string_view name = s.name;
        const auto verdict =
            judge_store_health(st, now, sources_.started, sources_.health_max_sync_age);
        online_.labels({name}).set(st.online ? 1 : 0);
        queued_writes_.labels({name}).set(static_cast<double>(st.queued_writes));
        oldest_queued_age_.labels({name}).set(
            st.oldest_queued ? seconds_since(*st.oldest_queued, now) : 0.0);
        last_sync_age_.labels({name}).set(std::chrono::duration<double>(verdict.sync_age).count());
        healthy_.labels({name}).set(verdict.healthy ? 1 : 0);
        failed_attempts_.labels({name}).set(static_cast<double>(st.failed_attempts));
        clock_offset_.labels({name}).set(std::chrono::duration<double>(st.clock_offset).count());
        subscriptions_.labels({name}).set(static_cast<double>(st.subscriptions));
        entries_written_.labels({name}).set(static_cast<double>(st.entries_written));
        entries_read_.labels({name}).set(static_cast<double>(st.entries_read));
        polls_.labels({name}).set(static_cast<double>(st.polls));
    }
}

}  // namespace mps3::daemon
