#include "config.hpp"

#include "config_values.hpp"

#include <mps3/ini.hpp>

#include <mps3/s3/endpoint.hpp>
#include <mps3/s3/names.hpp>
#include <mps3/text.hpp>

#include <array>
#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string_view>

namespace mps3::daemon {
namespace {

std::string env_or(const s3::environment& env, const std::string& name,
                   const std::string& fallback) {
    auto it = env.find(name);
    return it != env.end() && !it->second.empty() ? it->second : fallback;
}

result<std::vector<std::uint32_t>> parse_ids(const ini::entry& e) {
    std::vector<std::uint32_t> out;
    std::stringstream list(e.value);
    std::string item;
    while (std::getline(list, item, ',')) {
        const std::string_view id = trim(item);
        if (id.empty()) {
            continue;
        }
        const ini::entry one{e.key, std::string(id), e.line, {}};
        auto n = parse_number(one, 0, 0xFFFFFFFEU);
        if (!n) {
            return std::move(n).err();
        }
        out.push_back(static_cast<std::uint32_t>(*n));
    }
    return out;
}

// The [daemon] limits: each a whole number within a range that keeps mps3d working (a zero
// would refuse everything) and its memory bounded (docs/configuration.md has the table).
struct limit_key {
    std::string_view key;
    std::size_t daemon_settings::*field;
    std::uint64_t min;
    std::uint64_t max;
};

constexpr std::uint64_t kib = 1024;
constexpr std::uint64_t mib = kib * kib;
constexpr std::uint64_t gib = kib * mib;

constexpr std::array<limit_key, 7> limit_keys{{
    {"max_connections", &daemon_settings::max_connections, 1, 65'536},
    {"max_subscriptions_per_connection", &daemon_settings::max_subscriptions_per_connection, 1,
     1'000'000},
    {"max_value_bytes", &daemon_settings::max_value_bytes, 64, gib},
    {"max_frame_bytes", &daemon_settings::max_frame_bytes, kib, gib},
    {"max_queued_notifications", &daemon_settings::max_queued_notifications, 1, 1'000'000},
    {"max_queued_bytes", &daemon_settings::max_queued_bytes, 4 * kib, gib},
    {"max_answer_bytes", &daemon_settings::max_answer_bytes, 4 * kib, 4 * gib},
}};

const limit_key* find_limit(std::string_view key) {
    for (const auto& limit : limit_keys) {
        if (limit.key == key) {
            return &limit;
        }
    }
    return nullptr;
}

status apply_daemon_entry(daemon_settings& s, const ini::entry& e) {
    if (e.key == "socket") {
        s.socket_path = e.value;
    } else if (e.key == "state_dir") {
        s.state_dir = e.value;
    } else if (e.key == "log_level") {
        auto level = parse_log_level(e.value);
        if (!level) {
            return bad_value(e, level.err().message);
        }
        s.level = *level;
    } else if (e.key == "offline") {
        auto b = parse_bool(e);
        if (!b) {
            return std::move(b).err();
        }
        s.start_offline = *b;
    } else if (auto* limit = find_limit(e.key)) {
        auto n = parse_number(e, limit->min, limit->max);
        if (!n) {
            return std::move(n).err();
        }
        s.*(limit->field) = static_cast<std::size_t>(*n);
    } else if (e.key == "credentials_check_interval_ms") {
        auto n = parse_number(e, 100, 86'400'000);
        if (!n) {
            return std::move(n).err();
        }
        s.credentials_check_interval = std::chrono::milliseconds(static_cast<std::int64_t>(*n));
    } else if (e.key == "allowed_uids" || e.key == "allowed_gids") {
        auto ids = parse_ids(e);
        if (!ids) {
            return std::move(ids).err();
        }
        (e.key == "allowed_uids" ? s.allowed_uids : s.allowed_gids) = std::move(*ids);
    } else if (is_observability_key(e.key)) {
        return apply_observability_entry(s.observability, e);
    } else {
        return bad_value(e, "unknown key in [daemon]");
    }
    return success{};
}

status apply_store_entry(store_settings& s, const ini::entry& e) {
    if (auto why = store_value_problem(e.key, e.value); !why.empty()) {
        return bad_value(e, why);
    }
    if (e.key == "endpoint") {
        s.endpoint = e.value;
    } else if (e.key == "region") {
        s.region = e.value;
    } else if (e.key == "profile") {
        s.profile = e.value;
    } else if (e.key == "addressing_style") {
        s.addressing_style = e.value;
    } else if (e.key == "ca_file") {
        s.ca_file = e.value;
    } else if (e.key == "bucket") {
        s.bucket = e.value;
    } else if (e.key == "manifest") {
        s.manifest = e.value;
    } else if (e.key == "replica") {
        s.replica = e.value;
    } else if (e.key == "poll_interval_ms") {
        auto n = parse_number(e, 10, 3'600'000);
        if (!n) {
            return std::move(n).err();
        }
        s.poll_interval = std::chrono::milliseconds(static_cast<std::int64_t>(*n));
    } else if (e.key == "request_timeout_ms") {
        auto n = parse_number(e, 100, 600'000);
        if (!n) {
            return std::move(n).err();
        }
        s.request_timeout = std::chrono::milliseconds(static_cast<std::int64_t>(*n));
    } else if (e.key == "max_parallel_requests") {
        auto n = parse_number(e, 1, 512);
        if (!n) {
            return std::move(n).err();
        }
        s.max_parallel_requests = static_cast<std::size_t>(*n);
    } else if (e.key == "collect_garbage") {
        auto b = parse_bool(e);
        if (!b) {
            return std::move(b).err();
        }
        s.collect_garbage = *b;
    } else if (e.key == "max_entry_bytes" || e.key == "max_content_bytes") {
        auto n = parse_number(e, 1024, std::uint64_t{1} << 30);
        if (!n) {
            return std::move(n).err();
        }
        (e.key == "max_entry_bytes" ? s.max_entry_bytes : s.max_content_bytes) =
            static_cast<std::size_t>(*n);
    } else if (e.key == "read_cache_bytes") {
        auto n = parse_number(e, 0, std::uint64_t{1} << 34);
        if (!n) {
            return std::move(n).err();
        }
        s.read_cache_bytes = static_cast<std::size_t>(*n);
    } else if (e.key == "max_entry_files") {
        auto n = parse_number(e, 1, 100'000'000);
        if (!n) {
            return std::move(n).err();
        }
        s.max_entry_files = static_cast<std::size_t>(*n);
    } else if (e.key == "compress_entries") {
        auto b = parse_bool(e);
        if (!b) {
            return std::move(b).err();
        }
        s.compress_entries = *b;
    } else if (e.key == "versioning") {
        auto b = parse_bool(e);
        if (!b) {
            return std::move(b).err();
        }
        s.versioning = *b;
    } else if (e.key == "sync") {
        if (e.value == "full") {
            s.sync_mode = durability::full;
        } else if (e.value == "normal") {
            s.sync_mode = durability::normal;
        } else {
            return bad_value(e, "expected full or normal, not '" + e.value + "'");
        }
    } else {
        return bad_value(e, "unknown key in [store]");
    }
    return success{};
}

}  // namespace

std::string store_value_problem(std::string_view key, std::string_view value) {
    if (key == "bucket") {
        if (auto why = s3::bucket_name_problem(value); !why.empty()) {
            return why + ": '" + std::string(value) + "'";
        }
    } else if (key == "endpoint") {
        if (auto parsed = s3::endpoint::parse(value); !parsed) {
            return parsed.err().message;  // quotes the URL, never user info
        }
    } else if (key == "region") {
        if (auto why = s3::region_name_problem(value); !why.empty()) {
            return why + ": '" + std::string(value) + "'";
        }
    } else if (key == "manifest") {
        if (value.empty()) {
            return "the manifest key must not be empty";
        }
    } else if (key == "addressing_style") {
        if (auto choice = s3::parse_addressing_choice(value); !choice) {
            return choice.err().message;
        }
    }
    return {};
}

result<log_level> parse_log_level(std::string_view text) {
    for (auto level : {log_level::trace, log_level::debug, log_level::info, log_level::warn,
                       log_level::error, log_level::off}) {
        if (text == to_string(level)) {
            return level;
        }
    }
    return error(errc::invalid_argument,
                 "log level must be trace, debug, info, warn, error or off");
}

daemon_settings default_settings(const s3::environment& env, bool system_service,
                                 std::uint32_t uid) {
    daemon_settings s;
    if (system_service) {
        s.socket_path = "/run/mps3/mps3d.sock";
        s.state_dir = "/var/lib/mps3";
        s.config_file = "/etc/mps3/mps3d.conf";
        return s;
    }
    const std::string home = env_or(env, "HOME", "/");
    const std::string runtime = env_or(env, "XDG_RUNTIME_DIR", "/tmp/mps3-" + std::to_string(uid));
    s.socket_path = std::filesystem::path(runtime) / "mps3" / "mps3d.sock";
    s.state_dir =
        std::filesystem::path(env_or(env, "XDG_STATE_HOME", home + "/.local/state")) / "mps3";
    s.config_file = std::filesystem::path(env_or(env, "XDG_CONFIG_HOME", home + "/.config")) /
                    "mps3" / "mps3d.conf";
    return s;
}

status apply_config_text(daemon_settings& settings, std::string_view text) {
    auto sections = ini::parse(text, ini::dialect::mps3);
    if (!sections) {
        return std::move(sections).err();
    }
    for (const auto& section : *sections) {
        const std::string where = "line " + std::to_string(section.line) + ": ";
        if (section.kind == "daemon" && section.name.empty()) {
            for (const auto& e : section.entries) {
                if (auto ok = apply_daemon_entry(settings, e); !ok) {
                    return ok;
                }
            }
        } else if (section.kind == "store") {
            if (section.name.empty()) {
                return error(errc::invalid_argument,
                             where + "a store section needs a name: [store \"NAME\"]");
            }
            store_settings store;
            store.name = section.name;
            store.origin = "line " + std::to_string(section.line);
            for (const auto& e : section.entries) {
                if (auto ok = apply_store_entry(store, e); !ok) {
                    return ok;
                }
            }
            settings.stores.push_back(std::move(store));
        } else if (section.kind.empty()) {
            return error(errc::invalid_argument,
                         "line " + std::to_string(section.entries.front().line) +
                             ": settings must be inside a [daemon] or [store \"NAME\"] section");
        } else {
            return error(errc::invalid_argument, where + "unknown section [" + section.kind + "]");
        }
    }
    return success{};
}

status apply_config_file(daemon_settings& settings, const std::filesystem::path& path,
                         bool required) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        if (required) {
            return error(errc::invalid_argument, "cannot read config file " + path.string());
        }
        return success{};
    }
    std::ostringstream text;
    text << in.rdbuf();
    const auto stores_before = settings.stores.size();
    if (auto ok = apply_config_text(settings, text.str()); !ok) {
        return error(errc::invalid_argument, path.string() + ": " + ok.err().message);
    }
    for (auto i = stores_before; i < settings.stores.size(); ++i) {
        settings.stores[i].origin = path.string() + " " + settings.stores[i].origin;
    }
    settings.config_file = path;
    return success{};
}

status finalize(daemon_settings& settings) {
    if (auto ok = check_observability(settings.observability); !ok) {
        return ok;
    }
    // Room for a get's answer around the largest value: what can be written can be read back.
    constexpr std::size_t answer_envelope = 4 * kib;
    if (settings.max_answer_bytes < settings.max_value_bytes + answer_envelope) {
        return error(errc::invalid_argument,
                     "max_answer_bytes (" + std::to_string(settings.max_answer_bytes) +
                         ") must be at least max_value_bytes (" +
                         std::to_string(settings.max_value_bytes) + ") + " +
                         std::to_string(answer_envelope) +
                         ", so that a stored value can always be read back");
    }
    if (settings.stores.empty()) {
        return error(errc::invalid_argument,
                     "no store configured: give --bucket (and --endpoint), or a [store \"NAME\"] "
                     "section in " +
                         settings.config_file.string());
    }
    std::set<std::string> names;
    std::map<std::filesystem::path, std::string> replicas;  // path -> the store using it
    for (auto& store : settings.stores) {
        if (!names.insert(store.name).second) {
            return error(errc::invalid_argument, "store '" + store.name + "' is configured twice");
        }
        if (store.bucket.empty()) {
            return error(errc::invalid_argument, "store '" + store.name + "' has no bucket");
        }
        if (store.replica.empty()) {
            store.replica = settings.state_dir / (store.name + ".sqlite");
        }
        // A replica is bound to one store: a second one would be refused when it opens it, or,
        // with the same bucket and manifest, would share its queue.
        std::error_code ec;
        auto canonical = std::filesystem::weakly_canonical(store.replica, ec);
        if (ec) {
            canonical = store.replica.lexically_normal();
        }
        if (auto [it, fresh] = replicas.emplace(canonical, store.name); !fresh) {
            return error(errc::invalid_argument,
                         "stores '" + it->second + "' and '" + store.name + "' share the replica " +
                             store.replica.string() + "; give each its own `replica`");
        }
    }
    return success{};
}

}  // namespace mps3::daemon
