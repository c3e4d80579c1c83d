// mps3d: the local sync daemon. Serves the stores of its configuration (or the one store its
// flags describe) to local processes over a Unix socket; docs/configuration.md has every flag
// and key, docs/operations.md how to run it.
#include "build_info.hpp"
#include "config.hpp"
#include "runtime.hpp"

#include <CLI/CLI.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <optional>
#include <string>
#include <utility>

namespace {

using namespace mps3;
using namespace mps3::daemon;

struct flags {
    std::optional<std::string> config, socket, state_dir, endpoint, bucket, manifest, region,
        profile, addressing_style, log_level, store_name;
    std::optional<std::int64_t> poll_interval_ms;
    bool offline = false;
    bool system = false;
    std::int64_t shutdown_timeout_ms = 10'000;
};

// The store the flags describe: the one named --store-name (default "default"), created when
// the configuration has none of that name, its fields overridden otherwise.
store_settings& flag_store(daemon_settings& settings, const flags& f) {
    const auto name = f.store_name.value_or("default");
    for (auto& s : settings.stores) {
        if (s.name == name) {
            s.origin += ", with command-line flags";
            return s;
        }
    }
    store_settings fresh;
    fresh.name = name;
    fresh.origin = "the command line";
    settings.stores.push_back(std::move(fresh));
    return settings.stores.back();
}

bool has_store_flags(const flags& f) {
    return f.bucket || f.endpoint || f.manifest || f.region || f.profile || f.addressing_style ||
           f.poll_interval_ms;
}

status apply_flags(daemon_settings& settings, const flags& f) {
    if (f.socket) {
        settings.socket_path = *f.socket;
    }
    if (f.state_dir) {
        settings.state_dir = *f.state_dir;
    }
    if (f.log_level) {
        auto level = parse_log_level(*f.log_level);
        if (!level) {
            return std::move(level).err();
        }
        settings.level = *level;
    }
    if (f.offline) {
        settings.start_offline = true;
    }
    if (!has_store_flags(f)) {
        return success{};
    }
    // Values no request could carry are refused here, naming the flag (config.cpp does the
    // same for the file's keys, naming the line).
    const std::pair<const char*, const std::optional<std::string>*> checked[] = {
        {"bucket", &f.bucket},
        {"endpoint", &f.endpoint},
        {"region", &f.region},
        {"manifest", &f.manifest},
        {"addressing_style", &f.addressing_style}};
    for (const auto& [key, value] : checked) {
        if (*value) {
            if (auto why = store_value_problem(key, **value); !why.empty()) {
                std::string flag = key;
                std::replace(flag.begin(), flag.end(), '_', '-');
                return error(errc::invalid_argument, "--" + flag + ": " + why);
            }
        }
    }
    auto& s = flag_store(settings, f);
    if (f.bucket) {
        s.bucket = *f.bucket;
    }
    if (f.endpoint) {
        s.endpoint = *f.endpoint;
    }
    if (f.manifest) {
        s.manifest = *f.manifest;
    }
    if (f.region) {
        s.region = *f.region;
    }
    if (f.profile) {
        s.profile = *f.profile;
    }
    if (f.addressing_style) {
        s.addressing_style = *f.addressing_style;
    }
    if (f.poll_interval_ms) {
        s.poll_interval = std::chrono::milliseconds(*f.poll_interval_ms);
    }
    return success{};
}

}  // namespace

int main(int argc, char** argv) {
    // Replicas, their WAL and journal files hold the user's data: private whatever the
    // caller's umask (systemd units set UMask=0077 too).
    ::umask(0077);
    CLI::App app(
        "mps3d: an offline-first local sync daemon for MPS3 key-value stores in S3 "
        "buckets. Local processes talk to it over a Unix socket (JSON-RPC 2.0); "
        "mps3ctl is its command-line client.",
        "mps3d");
    app.set_version_flag("--version", version_line("mps3d"), "print the version and exit");
    flags f;
    app.add_option("--config", f.config,
                   "configuration file (default: $XDG_CONFIG_HOME/mps3/mps3d.conf if it exists; "
                   "/etc/mps3/mps3d.conf with --system)");
    app.add_option("--socket", f.socket,
                   "Unix socket path (default: $XDG_RUNTIME_DIR/mps3/mps3d.sock)");
    app.add_option("--state-dir", f.state_dir,
                   "directory of the SQLite replicas (default: $XDG_STATE_HOME/mps3)");
    app.add_option("--endpoint", f.endpoint,
                   "S3 endpoint URL, e.g. http://127.0.0.1:9000 (default: AWS_ENDPOINT_URL_S3, "
                   "AWS_ENDPOINT_URL, the profile's endpoint_url in ~/.aws/config, else AWS)");
    app.add_option("--bucket", f.bucket, "bucket of the store the flags describe");
    app.add_option("--manifest", f.manifest, "manifest key (default: manifest.json)");
    app.add_option("--region", f.region,
                   "region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else "
                   "us-east-1)");
    app.add_option("--profile", f.profile,
                   "AWS profile of ~/.aws/config and ~/.aws/credentials (default: AWS_PROFILE, "
                   "default)");
    app.add_option("--addressing-style", f.addressing_style,
                   "auto, path or virtual (default: the profile's s3 addressing_style, else "
                   "auto: virtual-hosted on AWS for buckets without dots, else path)");
    app.add_option("--store-name", f.store_name,
                   "name clients use for the store the flags describe (default: default)");
    app.add_option("--poll-interval", f.poll_interval_ms, "bucket poll interval in milliseconds")
        ->check(CLI::Range(std::int64_t{10}, std::int64_t{3'600'000}));
    app.add_flag("--offline", f.offline,
                 "start offline: serve from the replica, no bucket traffic until setOnline");
    app.add_option("--log-level", f.log_level, "trace, debug, info, warn, error (default: info)");
    app.add_flag("--system", f.system,
                 "system service paths: /run/mps3, /var/lib/mps3, /etc/mps3/mps3d.conf");
    app.add_option("--shutdown-timeout", f.shutdown_timeout_ms,
                   "milliseconds a stop waits for queued writes to reach the bucket")
        ->capture_default_str()
        ->check(CLI::Range(std::int64_t{0}, std::int64_t{3'600'000}));
    app.footer(
        "Exit codes: 0 stopped with every write in the bucket; 1 fatal error; 2 bad command line "
        "or configuration; 3 stopped with writes still queued (kept in the replica).\n"
        "Credentials: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or the profile's keys or "
        "credential_process in ~/.aws/credentials or ~/.aws/config. SIGHUP re-reads them.");
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : exit_usage;
    }

    const auto env = s3::process_environment();
    auto settings = default_settings(env, f.system, static_cast<std::uint32_t>(::geteuid()));
    const bool config_required = f.config.has_value();
    if (f.config) {
        settings.config_file = *f.config;
    }
    auto applied = apply_config_file(settings, settings.config_file, config_required);
    if (applied) {
        applied = apply_flags(settings, f);
    }
    if (applied) {
        applied = finalize(settings);
    }
    if (!applied) {
        std::cerr << "mps3d: " << applied.err().message << '\n';
        return exit_usage;
    }
    runtime_options options;
    options.shutdown_flush = std::chrono::milliseconds(f.shutdown_timeout_ms);
    return run_daemon(settings, env, options);
}
