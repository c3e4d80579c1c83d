// mps3d's settings: defaults that follow XDG (or system paths for a system service), the
// configuration file (INI, see config/mps3d.conf), and the rules that reject a bad one.
#pragma once

#include "observability_settings.hpp"

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
    std::string profile;           // AWS profile; empty: AWS_PROFILE, default
    /// Empty: the AWS config file's s3 addressing_style, else auto (s3::choose_addressing).
    std::string addressing_style;
    /// PEM trust anchors for an https:// endpoint, besides the system store. Empty:
    /// AWS_CA_BUNDLE, else the profile's ca_bundle in the AWS config file (store_factory).
    std::string ca_file;
    std::string bucket;
    std::string manifest = "manifest.json";
    std::chrono::milliseconds poll_interval{1000};
    std::size_t max_parallel_requests = 64;  // object requests in flight (store_config's)
    /// One S3 request attempt, connect to last byte (s3::client_config's request_timeout).
    std::chrono::milliseconds request_timeout{30000};
    bool collect_garbage = true;
    // What is read of other writers' objects (store_config's, docs/bucket-format.md).
    std::size_t max_entry_bytes = std::size_t{64} << 20;
    std::size_t max_content_bytes = std::size_t{16} << 20;
    std::size_t max_entry_files = 500'000;
    bool compress_entries = true;                         // gzip manifest entries (store_config's)
    std::size_t read_cache_bytes = std::size_t{8} << 20;  // store_config's; 0: no read cache
    bool versioning = false;                              // MPS3's versioned mode (store_config's)
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
    // Limits on what clients can make mps3d hold ([daemon] max_*, docs/configuration.md).
    std::size_t max_connections = 1024;
    std::size_t max_subscriptions_per_connection = 1024;
    std::size_t max_value_bytes = std::size_t{8} << 20;  // one value's compact JSON text
    std::size_t max_frame_bytes = std::size_t{16} << 20;
    std::size_t max_queued_notifications = 1024;           // per subscription
    std::size_t max_queued_bytes = std::size_t{8} << 20;   // output waiting, per connection
    std::size_t max_answer_bytes = std::size_t{64} << 20;  // one response line
    /// How often, at most, a store's S3 use checks whether the AWS credentials or config file
    /// changed (then re-reads them).
    std::chrono::milliseconds credentials_check_interval{5000};
    std::vector<std::uint32_t> allowed_uids;  // besides the daemon's own user
    std::vector<std::uint32_t> allowed_gids;
    observability_settings observability;  // metrics_listen, health_max_sync_age...
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

/// Final checks: at least one store, unique names, a bucket each, no replica file shared, limits
/// that agree (a value that can be written can be read back); fills replica paths.
status finalize(daemon_settings& settings);

result<log_level> parse_log_level(std::string_view text);

/// Why a store setting's value can never work, or "" when it may: `key` is "bucket",
/// "endpoint", "region", "manifest" or "addressing_style" (the file's keys; the flags of the same
/// names use it too).
/// The bucket is checked by the rules of every S3 server; AWS's stricter ones once the endpoint
/// is known (make_store_config).
std::string store_value_problem(std::string_view key, std::string_view value);

}  // namespace mps3::daemon
