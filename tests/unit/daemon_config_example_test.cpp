// config/mps3d.conf is the documented example: it must parse as shipped, every setting it shows
// commented out must parse once uncommented, and it must show every key mps3d accepts. So the
// example cannot rot when config.cpp changes.
#include <doctest/doctest.h>

#include <mps3/ini.hpp>
#include "config.hpp"

#include <cctype>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>

#ifndef MPS3_SOURCE_DIR
#error "MPS3_SOURCE_DIR must point at the source tree (config/mps3d.conf, daemon/config.cpp)"
#endif

using namespace mps3;
using namespace mps3::daemon;

namespace {

std::string read_source(const std::string& relative) {
    std::ifstream in(std::string(MPS3_SOURCE_DIR) + "/" + relative, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot read " << relative);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string example_text() {
    return read_source("config/mps3d.conf");
}

// A line written "# key = value" is a setting shown with its default or an example value:
// the "key = value" part, or nothing for any other line. (Parsed by hand: GCC 12's <regex>
// trips -Wmaybe-uninitialized in the sanitizer build.)
std::optional<std::string> commented_setting(const std::string& line) {
    if (!line.starts_with("# ")) {
        return std::nullopt;
    }
    const std::string rest = line.substr(2);
    std::size_t name_end = 0;
    while (name_end < rest.size() &&
           (std::islower(static_cast<unsigned char>(rest[name_end])) || rest[name_end] == '_')) {
        ++name_end;
    }
    if (name_end == 0 || rest.compare(name_end, 3, " = ") != 0) {
        return std::nullopt;
    }
    return rest;
}

// The example with every "# key = value" line turned into "key = value".
std::string uncommented(const std::string& text) {
    std::istringstream lines(text);
    std::string out;
    std::string line;
    while (std::getline(lines, line)) {
        out += commented_setting(line).value_or(line);
        out += '\n';
    }
    return out;
}

// The error's message, or nothing: doctest evaluates a message even when the check passes.
template <class T>
std::string why(const result<T>& r) {
    return r ? std::string() : r.err().message;
}

daemon_settings user_defaults() {
    return default_settings({{"HOME", "/home/ann"}}, false, 1000);
}

}  // namespace

TEST_CASE("config example: config/mps3d.conf parses as shipped, with its two stores") {
    auto settings = user_defaults();
    const auto text = example_text();
    auto applied = apply_config_text(settings, text);
    REQUIRE_MESSAGE(applied.has_value(), why(applied));
    auto final = finalize(settings);
    REQUIRE_MESSAGE(final.has_value(), why(final));

    // The [daemon] section only shows defaults: applying it changes nothing.
    const auto defaults = user_defaults();
    CHECK(settings.socket_path == defaults.socket_path);
    CHECK(settings.state_dir == defaults.state_dir);
    CHECK(settings.level == log_level::info);
    CHECK_FALSE(settings.start_offline);
    CHECK(settings.max_connections == defaults.max_connections);
    CHECK(settings.max_subscriptions_per_connection == defaults.max_subscriptions_per_connection);
    CHECK(settings.max_value_bytes == defaults.max_value_bytes);
    CHECK(settings.max_frame_bytes == defaults.max_frame_bytes);
    CHECK(settings.max_queued_notifications == defaults.max_queued_notifications);
    CHECK(settings.max_queued_bytes == defaults.max_queued_bytes);
    CHECK(settings.max_answer_bytes == defaults.max_answer_bytes);
    CHECK(settings.allowed_uids.empty());
    CHECK(settings.allowed_gids.empty());
    CHECK(settings.observability.metrics_listen.empty());  // metrics are off by default

    REQUIRE(settings.stores.size() == 2);
    const auto& aws = settings.stores[0];
    CHECK(aws.name == "notes");
    CHECK(aws.bucket == "my-team-notes");
    CHECK(aws.endpoint.empty());  // AWS itself, from the region
    CHECK(aws.region == "eu-west-1");
    CHECK(aws.profile == "notes");
    CHECK(aws.manifest == "manifest.json");
    CHECK(aws.poll_interval == std::chrono::milliseconds(1000));
    CHECK(aws.collect_garbage);
    CHECK(aws.compress_entries);
    CHECK_FALSE(aws.versioning);  // the default: MPS3's default mode
    CHECK(aws.sync_mode == durability::full);
    CHECK(aws.replica == "/home/ann/.local/state/mps3/notes.sqlite");

    const auto& local = settings.stores[1];
    CHECK(local.name == "scratch");
    CHECK(local.endpoint == "http://127.0.0.1:9000");
    CHECK(local.bucket == "mps3-scratch");
    CHECK(local.profile == "local");
    CHECK(local.manifest == "scratch.json");
    CHECK(local.poll_interval == std::chrono::milliseconds(250));
    CHECK(local.sync_mode == durability::normal);
    CHECK(local.replica == "/home/ann/.local/state/mps3/scratch.sqlite");

    // No credentials in the example, not even in a comment.
    for (const auto* secret : {"aws_access_key_id =", "aws_secret_access_key =", "AKIA"}) {
        CAPTURE(secret);
        CHECK(text.find(secret) == std::string::npos);
    }
}

TEST_CASE("config example: every commented-out setting is valid once uncommented") {
    const auto text = uncommented(example_text());
    auto settings = user_defaults();
    auto applied = apply_config_text(settings, text);
    REQUIRE_MESSAGE(applied.has_value(), why(applied));
    auto final = finalize(settings);
    REQUIRE_MESSAGE(final.has_value(), why(final));

    CHECK(settings.allowed_uids == std::vector<std::uint32_t>{1001, 1002});
    CHECK(settings.allowed_gids == std::vector<std::uint32_t>{990});
    CHECK(settings.observability.metrics_listen == "127.0.0.1:9464");
    CHECK(settings.observability.health_max_sync_age == std::chrono::seconds(120));
    REQUIRE(settings.stores.size() == 2);
    CHECK(settings.stores[0].endpoint == "https://s3.eu-west-1.amazonaws.com");
}

TEST_CASE("config example: it shows every key mps3d accepts, and only those") {
    const std::set<std::string> daemon_keys = {"socket",
                                               "state_dir",
                                               "log_level",
                                               "offline",
                                               "max_frame_bytes",
                                               "max_connections",
                                               "max_subscriptions_per_connection",
                                               "max_value_bytes",
                                               "max_queued_notifications",
                                               "max_queued_bytes",
                                               "max_answer_bytes",
                                               "allowed_uids",
                                               "allowed_gids",
                                               "credentials_check_interval_ms",
                                               "metrics_listen",
                                               "metrics_allow_remote",
                                               "health_max_sync_age"};
    const std::set<std::string> store_keys = {"bucket",
                                              "endpoint",
                                              "region",
                                              "profile",
                                              "addressing_style",
                                              "ca_file",
                                              "manifest",
                                              "replica",
                                              "poll_interval_ms",
                                              "collect_garbage",
                                              "sync",
                                              "max_parallel_requests",
                                              "max_entry_bytes",
                                              "max_content_bytes",
                                              "max_entry_files",
                                              "compress_entries",
                                              "read_cache_bytes",
                                              "versioning",
                                              "request_timeout_ms"};

    auto sections = ini::parse(uncommented(example_text()), ini::dialect::mps3);
    REQUIRE(sections.has_value());
    std::set<std::string> seen_daemon;
    std::set<std::string> seen_store;
    for (const auto& section : *sections) {
        for (const auto& entry : section.entries) {
            (section.kind == "daemon" ? seen_daemon : seen_store).insert(entry.key);
        }
    }
    CHECK(seen_daemon == daemon_keys);
    CHECK(seen_store == store_keys);

    // Each is accepted in its section (a bad value is fine here; an unknown key is not).
    for (const auto& key : daemon_keys) {
        auto s = user_defaults();
        auto known = apply_config_text(s, "[daemon]\n" + key + " = x\n");
        CHECK_MESSAGE(why(known).find("unknown key") == std::string::npos, key);
    }
    for (const auto& key : store_keys) {
        auto s = user_defaults();
        auto known = apply_config_text(s, "[store \"a\"]\n" + key + " = x\n");
        CHECK_MESSAGE(why(known).find("unknown key") == std::string::npos, key);
    }

    // And config.cpp (with observability_settings.cpp, which parses the metrics and health keys,
    // and the limits' table) knows no other: a key added there must be added to the example too.
    std::set<std::string> in_source;
    const auto source =
        read_source("daemon/config.cpp") + read_source("daemon/observability_settings.cpp");
    const std::string marker = "e.key == \"";
    for (auto at = source.find(marker); at != std::string::npos;
         at = source.find(marker, at + marker.size())) {
        const auto start = at + marker.size();
        const auto end = source.find('"', start);
        if (end != std::string::npos) {
            in_source.insert(source.substr(start, end - start));
        }
    }
    // The [daemon] limits are a table: {"max_connections", &daemon_settings::max_connections, ...}.
    const std::string limit_marker = "{\"";
    for (auto at = source.find(limit_marker); at != std::string::npos;
         at = source.find(limit_marker, at + limit_marker.size())) {
        const auto start = at + limit_marker.size();
        const auto end = source.find('"', start);
        if (end != std::string::npos && source.compare(end, 21, "\", &daemon_settings::") == 0) {
            in_source.insert(source.substr(start, end - start));
        }
    }
    std::set<std::string> documented = daemon_keys;
    documented.insert(store_keys.begin(), store_keys.end());
    CHECK(in_source == documented);
}
