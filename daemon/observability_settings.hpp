// The [daemon] keys for metrics and health (docs/configuration.md): where the Prometheus
// endpoint listens (off unless set), whether it may listen beyond loopback, and the sync age
// `mps3ctl health` allows.
#pragma once

#include <mps3/ini.hpp>

#include <mps3/result.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace mps3::daemon {

struct observability_settings {
    std::string metrics_listen;         // "host:port"; empty: no listener
    bool metrics_allow_remote = false;  // a non-loopback metrics_listen is refused otherwise
    std::chrono::milliseconds health_max_sync_age{120'000};
};

/// Whether `key` is one of these settings' keys.
bool is_observability_key(std::string_view key);

/// Applies one [daemon] entry with such a key; errors name the line.
status apply_observability_entry(observability_settings& s, const ini::entry& e);

/// The checks that need every key: a non-loopback address without metrics_allow_remote.
status check_observability(const observability_settings& s);

}  // namespace mps3::daemon
