#include "store_factory.hpp"

#include <mps3/s3/endpoint.hpp>

#include <string>
#include <string_view>

namespace mps3::daemon {

result<store_config> make_store_config(const store_settings& settings,
                                       const daemon_settings& daemon, const s3::environment& env,
                                       const log_sink& log) {
    const auto where = "store '" + settings.name + "'" +
                       (settings.origin.empty() ? "" : " (" + settings.origin + ")") + ": ";
    auto server = s3::resolve_endpoint(settings.endpoint, settings.region, env);
    if (!server) {
        auto e = std::move(server).err();
        e.message = where + e.message;
        return e;
    }
    s3::credential_options lookup;
    lookup.profile = settings.profile;
    auto creds = s3::load_credentials(lookup, env);
    if (!creds) {
        auto e = std::move(creds).err();
        e.message = where + e.message;
        return e;
    }
    // With several stores, their sync and S3 records must say whose they are.
    log_sink store_log;
    if (log) {
        store_log = [log, prefix = "store " + settings.name + ": "](
                        log_level level, std::string_view component, std::string_view message) {
            log(level, component, prefix + std::string(message));
        };
    }
    store_config config;
    config.s3.server = std::move(*server);
    config.s3.credentials = std::move(*creds);
    config.s3.log = store_log;
    config.s3.request_timeout = settings.request_timeout;
    config.bucket = settings.bucket;
    config.manifest_key = settings.manifest;
    config.replica_path = settings.replica;
    config.poll_interval = settings.poll_interval;
    config.max_parallel_requests = settings.max_parallel_requests;
    config.start_online = !daemon.start_offline;
    config.collect_garbage = settings.collect_garbage;
    config.sync_mode = settings.sync_mode;
    config.log = store_log;
    // What no retry can fix stops mps3d now (exit 2), not every sync, forever (issue 11).
    if (auto ok = check_store_config(config); !ok) {
        auto e = std::move(ok).err();
        e.message = where + e.message;
        return e;
    }
    return config;
}

}  // namespace mps3::daemon
