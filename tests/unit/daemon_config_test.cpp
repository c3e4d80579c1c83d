#include <doctest/doctest.h>

#include "config.hpp"
#include "ini.hpp"
#include "store_factory.hpp"

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
    auto parsed = parse_ini(R"(# top comment
[daemon]
log_level = debug   # trailing comment
socket = "/tmp/a b/mps3.sock"

; another comment
[store "notes"]
bucket=notes
manifest = "with # hash"
)");
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
        auto parsed = parse_ini(text);
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
request_timeout_ms = 2500
sync = normal

[store "b"]
bucket = bucket-b
collect_garbage = false
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
    CHECK(s.stores[0].request_timeout == std::chrono::milliseconds(2500));
    CHECK(s.stores[1].request_timeout == std::chrono::milliseconds(30000));
    CHECK_FALSE(s.stores[1].collect_garbage);
    REQUIRE(finalize(s).has_value());
    CHECK(s.stores[0].replica == "/h/.local/state/mps3/a.sqlite");
}

TEST_CASE("bad configs are refused with the line and the key") {
    const std::pair<const char*, const char*> cases[] = {
        {"[daemon]\nlog_level = loud\n", "line 2: log_level"},
        {"[daemon]\nsockett = /x\n", "line 2: sockett: unknown key"},
        {"[store \"a\"]\npoll_interval_ms = 5\n", "line 2: poll_interval_ms"},
        {"[store \"a\"]\nsync = sometimes\n", "line 2: sync"},
        {"[store \"a\"]\nmax_parallel_requests = 0\n", "line 2: max_parallel_requests"},
        {"[store \"a\"]\nmax_parallel_requests = 513\n", "line 2: max_parallel_requests"},
        {"[store \"a\"]\nrequest_timeout_ms = 99\n", "line 2: request_timeout_ms"},
        {"[store \"a\"]\nrequest_timeout_ms = 600001\n", "line 2: request_timeout_ms"},
        {"[store]\nbucket = b\n", "needs a name"},
        {"[stores \"a\"]\n", "unknown section"},
        {"bucket = b\n", "inside a [daemon]"},
        {"[daemon]\nallowed_uids = 1, x\n", "line 2: allowed_uids"},
    };
    check_each_refused(cases);
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

    // On AWS the bucket is part of a host name.
    auto on_aws = make_store_config(store("My_Bucket", ""), daemon, env, {});
    REQUIRE_FALSE(on_aws.has_value());
    CHECK(on_aws.err().code == make_error_code(errc::invalid_argument));
    CHECK(on_aws.err().message.starts_with(
        "store 'notes' (/etc/mps3/mps3d.conf line 4): bucket 'My_Bucket': a bucket on AWS"));
    CHECK(make_store_config(store("my-bucket", ""), daemon, env, {}).has_value());
    CHECK_FALSE(make_store_config(store("-my-bucket", ""), daemon, env, {}).has_value());
    CHECK_FALSE(make_store_config(store("my..bucket", ""), daemon, env, {}).has_value());
    CHECK_FALSE(make_store_config(store("192.168.1.2", ""), daemon, env, {}).has_value());

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
