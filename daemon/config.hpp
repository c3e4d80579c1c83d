// mps3d's settings: defaults that follow XDG (or system paths for a system service), the
// configuration file (INI, see config/mps3d.conf), and the rules that reject a bad one.
#pragma once

#include <mps3/log.hpp>
#include <mps3/result.hpp>
#include <mps3/s3/credentials.hpp>
#include <mps3/store.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mps3::daemon {

struct store_settings {
    std::string name = "default";  // what clients pass as "store"
    std::string endpoint;          // URL; empty: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS
    std::string region;            // empty: AWS_REGION, AWS_DEFAULT_REGION, us-east-1
    std::string profile;           // shared credentials profile; empty: AWS_PROFILE, default
    std::string bucket;
    std::string manifest = "manifest.json";
    std::chrono::milliseconds poll_interval{1000};
    std::size_t max_parallel_requests = 64;  // object requests in flight (store_config's)
    /// One S3 request attempt, connect to last byte (s3::client_config's request_timeout).
    std::chrono::milliseconds request_timeout{30000};
    bool collect_garbage = true;
    durability sync_mode = durability::full;
    std::filesystem::path replica;  // empty: <state_dir>/<name>.sqlite
    /// Where it was configured, for messages: "FILE line N", "the command line", or both.
    std::string origin;
};

struct daemon_settings {
    std::filesystem::path socket_path;
    std::filesystem::path state_dir;
    std::filesystem::path config_file;
    log_level level = log_level::info;
    bool start_offline = false;
    std::size_t max_frame_bytes = std::size_t{16} << 20;
    std::vector<std::uint32_t> allowed_uids;  // besides the daemon's own user
    std::vector<std::uint32_t> allowed_gids;
    std::vector<store_settings> stores;
};

/// Defaults for a user service (XDG: socket in $XDG_RUNTIME_DIR/mps3/, replicas in
/// $XDG_STATE_HOME/mps3/, config in $XDG_CONFIG_HOME/mps3/mps3d.conf) or a system service
/// (/run/mps3/, /var/lib/mps3/, /etc/mps3/mps3d.conf).
daemon_settings default_settings(const s3::environment& env, bool system_service,
                                 std::uint32_t uid);

/// Applies a configuration file's text onto settings: a [daemon] section and one
/// [store "NAME"] section per store. Unknown sections or keys and bad values (a bucket name,
/// endpoint URL or region no request could carry included) are errors that name the line.
status apply_config_text(daemon_settings& settings, std::string_view text);

/// Reads and applies the file; a missing file is fine unless `required`.
status apply_config_file(daemon_settings& settings, const std::filesystem::path& path,
                         bool required);

/// Final checks: at least one store, unique names, a bucket each, no replica file shared;
/// fills replica paths.
status finalize(daemon_settings& settings);

result<log_level> parse_log_level(std::string_view text);

/// Why a store setting's value can never work, or "" when it may: `key` is "bucket",
/// "endpoint", "region" or "manifest" (the file's keys; the flags of the same names use it too).
/// The bucket is checked by the rules of every S3 server; AWS's stricter ones once the endpoint
/// is known (make_store_config).
std::string store_value_problem(std::string_view key, std::string_view value);

}  // namespace mps3::daemon
