#include <doctest/doctest.h>

#include <mps3/ini.hpp>
#include "config.hpp"
#include "store_factory.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <span>
#include <utility>

using namespace mps3;
using namespace mps3::daemon;

namespace {

// Each configuration text is refused, with an error message containing its expected text.
void check_each_refused(std::span<const std::pair<const char*, const char*>> cases) {
    for (const auto& [text, expected] : cases) {
        CAPTURE(text);
        auto s = mps3::daemon::default_settings({}, false, 1);
        auto applied = mps3::daemon::apply_config_text(s, text);
        REQUIRE_FALSE(applied.has_value());
        CHECK(applied.err().message.find(expected) != std::string::npos);
    }
}

}  // namespace

TEST_CASE("ini: sections, quoted names and values, comments") {
    auto parsed = ini::parse(R"(# top comment
[daemon]
log_level = debug   # trailing comment
socket = "/tmp/a b/mps3.sock"

; another comment
[store "notes"]
bucket=notes
manifest = "with # hash"
)",
                             ini::dialect::mps3);
    REQUIRE(parsed.has_value());
    REQUIRE(parsed->size() == 2);
    CHECK((*parsed)[0].kind == "daemon");
    CHECK((*parsed)[0].entries[0].value == "debug");
    CHECK((*parsed)[0].entries[1].value == "/tmp/a b/mps3.sock");
    CHECK((*parsed)[1].kind == "store");
    CHECK((*parsed)[1].name == "notes");
    CHECK((*parsed)[1].entries[0].value == "notes");
    CHECK((*parsed)[1].entries[1].value == "with # hash");
    CHECK((*parsed)[1].entries[1].line == 9);
}

TEST_CASE("ini: errors name the line") {
    for (const auto* text : {"[daemon\n", "[daemon]\nno equals sign\n", "[daemon]\n= value\n",
                             "[store \"unterminated]\n", "[daemon]\nx = \"open\n"}) {
        CAPTURE(text);
        auto parsed = ini::parse(text, ini::dialect::mps3);
        REQUIRE_FALSE(parsed.has_value());
        CHECK(parsed.err().message.starts_with("line "));
    }
}

TEST_CASE("defaults follow XDG for a user and fixed paths for a system service") {
    const s3::environment env{{"HOME", "/home/ann"}, {"XDG_RUNTIME_DIR", "/run/user/1000"}};
    auto user = default_settings(env, false, 1000);
    CHECK(user.socket_path == "/run/user/1000/mps3/mps3d.sock");
    CHECK(user.state_dir == "/home/ann/.local/state/mps3");
    CHECK(user.config_file == "/home/ann/.config/mps3/mps3d.conf");

    auto bare = default_settings({{"HOME", "/home/bob"}}, false, 1001);
    CHECK(bare.socket_path == "/tmp/mps3-1001/mps3/mps3d.sock");

    auto system = default_settings(env, true, 0);
    CHECK(system.socket_path == "/run/mps3/mps3d.sock");
    CHECK(system.state_dir == "/var/lib/mps3");
    CHECK(system.config_file == "/etc/mps3/mps3d.conf");
}

TEST_CASE("a config file sets the daemon and several stores") {
    auto s = default_settings({{"HOME", "/h"}}, false, 1);
    REQUIRE(apply_config_text(s, R"(
[daemon]
log_level = warn
offline = yes
max_frame_bytes = 1048576
allowed_uids = 1001, 1002

[store "a"]
bucket = bucket-a
endpoint = http://127.0.0.1:9000
poll_interval_ms = 250
max_parallel_requests = 16
max_entry_bytes = 1048576
max_content_bytes = 2048
max_entry_files = 1000
request_timeout_ms = 2500
sync = normal

[store "b"]
bucket = bucket-b
collect_garbage = false
compress_entries = off
read_cache_bytes = 0
)")
                .has_value());
    CHECK(s.level == log_level::warn);
    CHECK(s.start_offline);
    CHECK(s.max_frame_bytes == 1048576);
    CHECK(s.allowed_uids == std::vector<std::uint32_t>{1001, 1002});
    REQUIRE(s.stores.size() == 2);
    CHECK(s.stores[0].poll_interval == std::chrono::milliseconds(250));
    CHECK(s.stores[0].sync_mode == durability::normal);
    CHECK(s.stores[0].max_parallel_requests == 16);
    CHECK(s.stores[1].max_parallel_requests == 64);
    CHECK(s.stores[0].max_entry_bytes == 1048576);
    CHECK(s.stores[0].max_content_bytes == 2048);
    CHECK(s.stores[0].max_entry_files == 1000);
    CHECK(s.stores[1].max_entry_bytes == std::size_t{64} << 20);
    CHECK(s.stores[1].max_content_bytes == std::size_t{16} << 20);
    CHECK(s.stores[1].max_entry_files == 500'000);
    CHECK(s.stores[0].request_timeout == std::chrono::milliseconds(2500));
    CHECK(s.stores[1].request_timeout == std::chrono::milliseconds(30000));
    CHECK_FALSE(s.stores[1].collect_garbage);
    CHECK(s.stores[0].compress_entries);  // the default
    CHECK_FALSE(s.stores[1].compress_entries);
    CHECK(s.stores[0].read_cache_bytes == std::size_t{8} << 20);  // the default
    CHECK(s.stores[1].read_cache_bytes == 0);
    REQUIRE(finalize(s).has_value());
    CHECK(s.stores[0].replica == "/h/.local/state/mps3/a.sqlite");
}

TEST_CASE("bad configs are refused with the line and the key") {
    const std::pair<const char*, const char*> cases[] = {
        {"[daemon]\nlog_level = loud\n", "line 2: log_level"},
        {"[daemon]\nsockett = /x\n", "line 2: sockett: unknown key"},
        {"[store \"a\"]\npoll_interval_ms = 5\n", "line 2: poll_interval_ms"},
        {"[store \"a\"]\nsync = sometimes\n", "line 2: sync"},
        {"[store \"a\"]\ncompress_entries = gzip\n", "line 2: compress_entries: expected true"},
        {"[store \"a\"]\nmax_parallel_requests = 0\n", "line 2: max_parallel_requests"},
        {"[store \"a\"]\nmax_parallel_requests = 513\n", "line 2: max_parallel_requests"},
        {"[store \"a\"]\nmax_entry_bytes = 1023\n", "line 2: max_entry_bytes"},
        {"[store \"a\"]\nmax_content_bytes = 1073741825\n", "line 2: max_content_bytes"},
        {"[store \"a\"]\nmax_entry_files = 0\n", "line 2: max_entry_files"},
        {"[store \"a\"]\nread_cache_bytes = -1\n", "line 2: read_cache_bytes"},
        {"[store \"a\"]\nrequest_timeout_ms = 99\n", "line 2: request_timeout_ms"},
        {"[store \"a\"]\nrequest_timeout_ms = 600001\n", "line 2: request_timeout_ms"},
        {"[store]\nbucket = b\n", "needs a name"},
        {"[stores \"a\"]\n", "unknown section"},
        {"bucket = b\n", "inside a [daemon]"},
        {"[daemon]\nallowed_uids = 1, x\n", "line 2: allowed_uids"},
    };
    check_each_refused(cases);
}

TEST_CASE("the [daemon] limits are set from the file, each within its range") {
    auto s = default_settings({}, false, 1);
    REQUIRE(apply_config_text(s, R"(
[daemon]
max_connections = 10
max_subscriptions_per_connection = 3
max_value_bytes = 1000
max_frame_bytes = 2048
max_queued_notifications = 5
max_queued_bytes = 8192
max_answer_bytes = 65536
)")
                .has_value());
    CHECK(s.max_connections == 10);
    CHECK(s.max_subscriptions_per_connection == 3);
    CHECK(s.max_value_bytes == 1000);
    CHECK(s.max_frame_bytes == 2048);
    CHECK(s.max_queued_notifications == 5);
    CHECK(s.max_queued_bytes == 8192);
    CHECK(s.max_answer_bytes == 65536);

    // Zero would refuse everything; each bound is named with its range.
    const std::pair<const char*, const char*> cases[] = {
        {"[daemon]\nmax_connections = 0\n",
         "line 2: max_connections: expected a whole number "
         "from 1 to 65536"},
        {"[daemon]\nmax_connections = 65537\n", "line 2: max_connections"},
        {"[daemon]\nmax_subscriptions_per_connection = 0\n",
         "line 2: max_subscriptions_per_connection"},
        {"[daemon]\nmax_value_bytes = 63\n", "line 2: max_value_bytes"},
        {"[daemon]\nmax_value_bytes = 8MiB\n", "line 2: max_value_bytes"},
        {"[daemon]\nmax_frame_bytes = 1023\n", "line 2: max_frame_bytes"},
        {"[daemon]\nmax_queued_notifications = -1\n", "line 2: max_queued_notifications"},
        {"[daemon]\nmax_queued_bytes = 4095\n", "line 2: max_queued_bytes"},
        {"[daemon]\nmax_answer_bytes = 4294967297\n", "line 2: max_answer_bytes"},
    };
    check_each_refused(cases);
}

TEST_CASE("finalize: max_answer_bytes leaves room to read back the largest value") {
    auto s = default_settings({}, false, 1);
    s.stores.push_back({.name = "x", .bucket = "b"});
    s.max_value_bytes = 100'000;
    s.max_answer_bytes = 100'000;
    auto refused = finalize(s);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.err().message.find("max_answer_bytes (100000) must be at least "
                                     "max_value_bytes (100000) + 4096") != std::string::npos);

    s.max_answer_bytes = 104'096;
    CHECK(finalize(s).has_value());
}

TEST_CASE("finalize: at least one store, unique names, a bucket each") {
    auto none = default_settings({}, false, 1);
    CHECK_FALSE(finalize(none).has_value());

    auto twice = default_settings({}, false, 1);
    twice.stores.push_back({.name = "x", .bucket = "b"});
    twice.stores.push_back({.name = "x", .bucket = "c"});
    auto dup = finalize(twice);
    REQUIRE_FALSE(dup.has_value());
    CHECK(dup.err().message.find("twice") != std::string::npos);

    auto nobucket = default_settings({}, false, 1);
    nobucket.stores.push_back({.name = "x"});
    CHECK_FALSE(finalize(nobucket).has_value());
}

TEST_CASE("store values no request could carry are refused with the line and the key") {
    const std::pair<const char*, const char*> cases[] = {
        {"[store \"a\"]\nbucket = b1\n",
         "line 2: bucket: bucket name must be 3 to 63 characters long: 'b1'"},
        {"[store \"a\"]\nbucket = my bucket\n", "line 2: bucket: bucket name may only hold"},
        {"[store \"a\"]\nendpoint = 127.0.0.1:9000\n", "line 2: endpoint: endpoint URL"},
        {"[store \"a\"]\nendpoint = http://h:9000/b\n", "line 2: endpoint: endpoint URL"},
        {"[store \"a\"]\nregion = eu west 1\n", "line 2: region: region may only hold"},
        {"[store \"a\"]\nmanifest = \"\"\n", "line 2: manifest"},
    };
    check_each_refused(cases);
    // The flags use the same checks, by the file's key names.
    CHECK(store_value_problem("bucket", "b1").find("3 to 63") != std::string::npos);
    CHECK(store_value_problem("bucket", "good-bucket").empty());
    CHECK(store_value_problem("endpoint", "http://[::1]:9000").empty());
    CHECK(store_value_problem("region", "eu-west-1").empty());
    CHECK(store_value_problem("profile", "anything at all").empty());
}

TEST_CASE("finalize: two stores may not share a replica file") {
    auto s = default_settings({}, false, 1);
    s.state_dir = "/tmp/mps3-config-test";
    s.stores.push_back({.name = "a", .bucket = "bucket-a"});
    s.stores.push_back(
        {.name = "b", .bucket = "bucket-b", .replica = "/tmp/mps3-config-test/a.sqlite"});
    auto shared = finalize(s);
    REQUIRE_FALSE(shared.has_value());
    CHECK(shared.err().message.find("stores 'a' and 'b' share the replica") != std::string::npos);
}

TEST_CASE("make_store_config: what store::open would refuse stops mps3d at start") {
    const s3::environment env{{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                              {"AWS_SECRET_ACCESS_KEY", "not-a-real-secret"}};
    auto daemon = default_settings({}, false, 1);
    const auto store = [](std::string bucket, std::string endpoint = "http://127.0.0.1:9000") {
        store_settings s;
        s.name = "notes";
        s.origin = "/etc/mps3/mps3d.conf line 4";
        s.bucket = std::move(bucket);
        s.endpoint = std::move(endpoint);
        s.replica = "/tmp/notes.sqlite";
        return s;
    };
    CHECK(make_store_config(store("My_Bucket"), daemon, env, {}).has_value());  // path-style

    // On AWS, auto addressing takes path style for a name that cannot be a host name (a legacy
    // bucket), as the AWS SDKs do; asked for virtual-hosted, such a name stops mps3d.
    auto legacy = make_store_config(store("My_Bucket", ""), daemon, env, {});
    REQUIRE(legacy.has_value());
    CHECK(legacy->s3.server.addressing == s3::addressing_style::path);
    const auto virtual_store = [&](std::string bucket) {
        auto s = store(std::move(bucket), "");
        s.addressing_style = "virtual";
        return s;
    };
    auto on_aws = make_store_config(virtual_store("My_Bucket"), daemon, env, {});
    REQUIRE_FALSE(on_aws.has_value());
    CHECK(on_aws.err().code == make_error_code(errc::invalid_argument));
    CHECK(on_aws.err().message.starts_with(
        "store 'notes' (/etc/mps3/mps3d.conf line 4): bucket 'My_Bucket': a bucket on AWS"));
    auto dns = make_store_config(store("my-bucket", ""), daemon, env, {});
    REQUIRE(dns.has_value());
    CHECK(dns->s3.server.addressing == s3::addressing_style::virtual_hosted);
    CHECK_FALSE(make_store_config(virtual_store("-my-bucket"), daemon, env, {}).has_value());
    CHECK_FALSE(make_store_config(virtual_store("my..bucket"), daemon, env, {}).has_value());
    CHECK_FALSE(make_store_config(virtual_store("192.168.1.2"), daemon, env, {}).has_value());

    // A manifest whose entry keys would not fit in an S3 key.
    auto long_manifest = store("bucket-a");
    long_manifest.manifest = std::string(1010, 'm');
    auto too_long = make_store_config(long_manifest, daemon, env, {});
    REQUIRE_FALSE(too_long.has_value());
    CHECK(too_long.err().message.find("manifest key") != std::string::npos);
    long_manifest.manifest = std::string(1000, 'm');
    CHECK(make_store_config(long_manifest, daemon, env, {}).has_value());

    // No credentials: found at start, not by the first request.
    auto none = make_store_config(store("bucket-a"), daemon, {{"HOME", "/nonexistent"}}, {});
    REQUIRE_FALSE(none.has_value());
    CHECK(none.err().code == make_error_code(errc::no_credentials));
    CHECK(none.err().message.starts_with("store 'notes' (/etc/mps3/mps3d.conf line 4): "));

    // A malformed endpoint from the environment names the variable.
    auto from_env = env;
    from_env["AWS_ENDPOINT_URL"] = "localhost:9000";
    auto bad_env = make_store_config(store("bucket-a", ""), daemon, from_env, {});
    REQUIRE_FALSE(bad_env.has_value());
    CHECK(bad_env.err().message.find("AWS_ENDPOINT_URL") != std::string::npos);
}

TEST_CASE("resolve_ca_file: ca_file, else AWS_CA_BUNDLE, else the profile's ca_bundle") {
    const auto dir =
        std::filesystem::temp_directory_path() / ("mps3-ca-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    const auto write = [&](const std::string& name, const std::string& text) {
        std::ofstream(dir / name) << text;
        return (dir / name).string();
    };
    const auto own = write("own.pem", "-----BEGIN CERTIFICATE-----\n");
    const auto bundle = write("bundle.pem", "-----BEGIN CERTIFICATE-----\n");
    const auto profile_ca = write("profile.pem", "-----BEGIN CERTIFICATE-----\n");
    const auto config = write("config", "[profile dev]\nca_bundle = " + profile_ca + "\n");
    store_settings s;
    s.name = "notes";
    s.profile = "dev";
    s3::environment env{{"HOME", "/nonexistent"}, {"AWS_CONFIG_FILE", config}};

    auto from_profile = resolve_ca_file(s, env);
    REQUIRE(from_profile.has_value());
    CHECK(*from_profile == profile_ca);
    env["AWS_CA_BUNDLE"] = bundle;
    CHECK(resolve_ca_file(s, env).value() == bundle);
    s.ca_file = own;
    CHECK(resolve_ca_file(s, env).value() == own);

    // None anywhere: the system store alone.
    store_settings plain;
    CHECK(resolve_ca_file(plain, {{"HOME", "/nonexistent"}}).value().empty());

    // A path that cannot be read stops mps3d at start, naming where it came from.
    s.ca_file = (dir / "missing.pem").string();
    auto missing = resolve_ca_file(s, env);
    REQUIRE_FALSE(missing.has_value());
    CHECK(missing.err().code == make_error_code(errc::invalid_argument));
    CHECK(missing.err().message.find("store 'notes'") != std::string::npos);
    CHECK(missing.err().message.find("ca_file: cannot read the CA file") != std::string::npos);
    s.ca_file.clear();
    env["AWS_CA_BUNDLE"] = (dir / "gone.pem").string();
    CHECK(resolve_ca_file(s, env).err().message.find("AWS_CA_BUNDLE") != std::string::npos);

    // And make_store_config hands it to the S3 client.
    auto daemon = default_settings({}, false, 1);
    store_settings full;
    full.name = "notes";
    full.bucket = "bucket-a";
    full.endpoint = "https://127.0.0.1:9443";
    full.replica = "/tmp/notes.sqlite";
    full.ca_file = own;
    const s3::environment creds{{"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
                                {"AWS_SECRET_ACCESS_KEY", "not-a-real-secret"},
                                {"HOME", "/nonexistent"}};
    auto made = make_store_config(full, daemon, creds, {});
    REQUIRE(made.has_value());
    CHECK(made->s3.ca_file == own);
    std::filesystem::remove_all(dir);
}
