#include "store_factory.hpp"

#include <mps3/s3/aws_config.hpp>
#include <mps3/s3/credential_source.hpp>
#include <mps3/s3/endpoint.hpp>

#include <fstream>
#include <string>
#include <string_view>

namespace mps3::daemon {

namespace {

std::string where_of(const store_settings& settings) {
    return "store '" + settings.name + "'" +
           (settings.origin.empty() ? "" : " (" + settings.origin + ")") + ": ";
}

template <class T>
error named(const store_settings& settings, result<T>&& failed) {
    auto e = std::move(failed).err();
    e.message = where_of(settings) + e.message;
    return e;
}

}  // namespace

result<std::string> resolve_ca_file(const store_settings& settings, const s3::environment& env) {
    std::string path = settings.ca_file;
    std::string source = "ca_file";
    if (path.empty()) {
        if (auto it = env.find("AWS_CA_BUNDLE"); it != env.end() && !it->second.empty()) {
            path = it->second;
            source = "AWS_CA_BUNDLE";
        }
    }
    if (path.empty()) {
        auto aws = s3::load_aws_config(settings.profile, env);
        if (!aws) {
            return named(settings, std::move(aws));
        }
        path = aws->settings.value("ca_bundle");
        source = "ca_bundle in " + aws->origin();
    }
    if (path.empty()) {
        return std::string();
    }
    // Found now, not by the first TLS handshake: a wrong path stops mps3d at start (exit 2).
    if (!std::ifstream(path).good()) {
        return error(errc::invalid_argument,
                     where_of(settings) + source + ": cannot read the CA file " + path);
    }
    return path;
}

result<s3::endpoint> resolve_store_endpoint(const store_settings& settings,
                                            const s3::environment& env) {
    auto aws = s3::load_aws_config(settings.profile, env);
    if (!aws) {
        return named(settings, std::move(aws));
    }
    auto server = s3::resolve_endpoint(settings.endpoint, settings.region, env, *aws);
    if (!server) {
        return named(settings, std::move(server));
    }
    // The store's own setting, else the config file's (services s3 section, then the profile's
    // s3 section), else auto.
    std::string style = settings.addressing_style;
    std::string style_source = "addressing_style";
    const auto& services_s3 = aws->settings.services_s3;
    const auto& profile_s3 = aws->settings.s3;
    if (style.empty() && services_s3.contains("addressing_style")) {
        style = services_s3.at("addressing_style");
        style_source = "s3 addressing_style of [services " + aws->settings.value("services") +
                       "] in " + aws->origin();
    }
    if (style.empty() && profile_s3.contains("addressing_style")) {
        style = profile_s3.at("addressing_style");
        style_source = "s3 addressing_style in " + aws->origin();
    }
    auto choice = style.empty() ? result<s3::addressing_choice>(s3::addressing_choice::automatic)
                                : s3::parse_addressing_choice(style);
    if (!choice) {
        return error(errc::invalid_argument,
                     where_of(settings) + style_source + ": " + choice.err().message);
    }
    server->addressing = s3::choose_addressing(*choice, *server, settings.bucket);
    return server;
}

result<store_config> make_store_config(const store_settings& settings,
                                       const daemon_settings& daemon, const s3::environment& env,
                                       const log_sink& log) {
    auto server = resolve_store_endpoint(settings, env);
    if (!server) {
        return std::move(server).err();
    }
    s3::credential_source::options lookup;
    lookup.where.profile = settings.profile;
    lookup.env = env;
    lookup.file_check_interval = daemon.credentials_check_interval;
    auto ca_file = resolve_ca_file(settings, env);
    if (!ca_file) {
        return std::move(ca_file).err();
    }
    auto source = s3::credential_source::load(std::move(lookup));
    if (!source) {
        return named(settings, std::move(source));
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
    config.s3.credentials = *(*source)->current();
    config.s3.credential_source = std::move(*source);
    config.s3.log = store_log;
    config.s3.request_timeout = settings.request_timeout;
    config.s3.ca_file = std::move(*ca_file);
    config.bucket = settings.bucket;
    config.manifest_key = settings.manifest;
    config.replica_path = settings.replica;
    config.poll_interval = settings.poll_interval;
    config.max_parallel_requests = settings.max_parallel_requests;
    config.start_online = !daemon.start_offline;
    config.collect_garbage = settings.collect_garbage;
    config.max_entry_bytes = settings.max_entry_bytes;
    config.max_content_bytes = settings.max_content_bytes;
    config.read_cache_bytes = settings.read_cache_bytes;
    config.max_entry_files = settings.max_entry_files;
    config.compress_entries = settings.compress_entries;
    config.versioning = settings.versioning;
    config.sync_mode = settings.sync_mode;
    config.log = store_log;
    // What no retry can fix stops mps3d now (exit 2), not every sync, forever (issue 11).
    if (auto ok = check_store_config(config); !ok) {
        return named(settings, std::move(ok));
    }
    return config;
}

}  // namespace mps3::daemon
