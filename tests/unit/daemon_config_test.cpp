#include <doctest/doctest.h>

#include "config.hpp"
#include "ini.hpp"

using namespace mps3;
using namespace mps3::daemon;

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
        {"[store]\nbucket = b\n", "needs a name"},
        {"[stores \"a\"]\n", "unknown section"},
        {"bucket = b\n", "inside a [daemon]"},
        {"[daemon]\nallowed_uids = 1, x\n", "line 2: allowed_uids"},
    };
    for (const auto& [text, expected] : cases) {
        CAPTURE(text);
        auto s = default_settings({}, false, 1);
        auto applied = apply_config_text(s, text);
        REQUIRE_FALSE(applied.has_value());
        CHECK(applied.err().message.find(expected) != std::string::npos);
    }
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
