// mps3d end to end: real daemons (separate processes) on the test server, driven by mps3ctl and
// by a socket client, the bucket read back with the independent reader.
#include "bucket_tools.hpp"
#include "daemon_process.hpp"
#include "rpc_calls.hpp"

#include "ctl/socket_client.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <cstdio>

#include <string>
#include <vector>

namespace {

using namespace mps3::test;
using namespace std::chrono_literals;
using mps3::ctl::socket_client;

struct two_daemons {
    std::string bucket = unique_bucket("e2e");
    std::filesystem::path dir = make_temp_dir("e2e");
    daemon_process a{shared_server(), daemon_options{bucket, "manifest.json", dir / "a"}};
    daemon_process b{shared_server(), daemon_options{bucket, "manifest.json", dir / "b"}};

    two_daemons() {
        create_bucket_now(shared_server(), bucket);
        a.start();
        b.start();
    }
    ~two_daemons() { std::filesystem::remove_all(dir); }
};

// The next `changed` notification's params (fails the test after 30 s).
rapidjson::Document next_change(socket_client& c) {
    auto in = c.receive(socket_client::clock::now() + 30s);
    REQUIRE_MESSAGE(in.has_value(), (in ? "" : in.err().describe()));
    auto* n = std::get_if<mps3::ipc::rpc_notification>(&*in);
    REQUIRE_MESSAGE(n != nullptr, "expected a notification");
    REQUIRE(n->method == "changed");
    rapidjson::Document out;
    out.CopyFrom(n->params, out.GetAllocator());
    return out;
}

}  // namespace

TEST_CASE("mps3d e2e: mps3ctl put on A, mps3ctl watch on B sees the puts and the delete") {
    two_daemons t;
    // --since 0: whatever B applied before the watch subscribed is replayed, so no race.
    auto watch =
        t.b.ctl_background({"watch", "--prefix", "users/", "--since", "0", "--count", "3"});

    auto put = t.a.ctl({"put", "--await", "remote", "users/ada", R"({"name":"Ada"})"});
    REQUIRE_MESSAGE(put.exit_code == 0, put.err);
    auto line = watch->read_line(30s);
    REQUIRE_MESSAGE(line.has_value(), "watch printed nothing; B's log:\n" << t.b.log());
    auto first = parse_json(*line);
    CHECK(std::string(first["key"].GetString()) == "users/ada");
    CHECK(compact_json(first["value"]) == R"({"name":"Ada"})");
    CHECK(std::string(first["origin"].GetString()) == "remote");

    REQUIRE(t.a.ctl({"put", "--await", "remote", "users/bob", "42"}).exit_code == 0);
    line = watch->read_line(30s);
    REQUIRE(line.has_value());
    CHECK(compact_json(parse_json(*line)["value"]) == "42");

    REQUIRE(t.a.ctl({"delete", "--await", "remote", "users/ada"}).exit_code == 0);
    line = watch->read_line(30s);
    REQUIRE(line.has_value());
    auto deleted = parse_json(*line);
    CHECK(std::string(deleted["key"].GetString()) == "users/ada");
    CHECK(deleted["deleted"].GetBool());
    CHECK_FALSE(deleted.HasMember("value"));
    CHECK(watch->wait(10s) == 0);  // --count 3 reached

    // B serves what A wrote; get on an absent key has its own exit code.
    auto bob = t.b.ctl({"get", "users/bob"});
    CHECK(bob.exit_code == 0);
    CHECK(bob.out == "42\n");
    CHECK(t.b.ctl({"get", "users/ada"}).exit_code == 3);
    // The bucket itself, read without any daemon, holds the same.
    const auto state = read_bucket_now(shared_server(), t.bucket);
    CHECK(state.size() == 1);
    CHECK(state.at("users/bob") == "42");
}

TEST_CASE("mps3d e2e: getAll is one snapshot; list pages with a cursor") {
    two_daemons t;
    std::vector<std::string> args = {"put-all", "--await", "remote"};
    for (int i = 0; i < 250; ++i) {
        char key[32];
        std::snprintf(key, sizeof key, "item/%03d=%d", i, i);
        args.emplace_back(key);
    }
    auto put_all = t.a.ctl(args);
    REQUIRE_MESSAGE(put_all.exit_code == 0, put_all.err);

    auto client = connect_to(t.a);
    auto all = call(client, "getAll", R"({"keys":["item/000","item/249","nope"]})");
    const auto& entries = all["entries"];
    REQUIRE(entries.Size() == 3);
    CHECK(entries[0]["found"].GetBool());
    CHECK(entries[0]["value"].GetInt() == 0);
    CHECK(entries[1]["value"].GetInt() == 249);
    CHECK_FALSE(entries[2]["found"].GetBool());

    // Pages of 100 with cursors: 100 + 100 + 50, in key order, each key once.
    std::vector<std::string> keys;
    std::string cursor;
    int pages = 0;
    for (; pages < 10; ++pages) {
        std::string params = R"({"prefix":"item/","limit":100)";
        if (!cursor.empty()) {
            params += R"(,"cursor":")" + cursor + "\"";
        }
        auto page = call(client, "list", params + "}");
        for (const auto& e : page["entries"].GetArray()) {
            keys.emplace_back(e["key"].GetString());
        }
        if (!page.HasMember("cursor")) {
            break;
        }
        cursor = page["cursor"].GetString();
    }
    CHECK(keys.size() == 250);
    CHECK(pages + 1 >= 3);
    CHECK(std::is_sorted(keys.begin(), keys.end()));
    CHECK(std::adjacent_find(keys.begin(), keys.end()) == keys.end());

    // B converges to the same snapshot; mps3ctl list follows the cursors itself.
    auto listed_b = t.b.ctl({"list", "item/"});
    REQUIRE(wait_until(
        [&] {
            listed_b = t.b.ctl({"list", "item/"});
            return std::count(listed_b.out.begin(), listed_b.out.end(), '\n') == 250;
        },
        30s));
}

TEST_CASE("mps3d e2e: subscribe with since after a reconnect replays exactly the missed changes") {
    two_daemons t;
    std::uint64_t last_seen = 0;
    {
        auto c = connect_to(t.a);
        auto sub = call(c, "subscribe", R"({"prefix":"k/"})");
        CHECK(sub["subscription"].GetUint64() >= 1);
        call(c, "put", R"({"key":"k/1","value":1})");
        call(c, "put", R"({"key":"k/2","value":2})");
        CHECK(std::string(next_change(c)["key"].GetString()) == "k/1");
        auto second = next_change(c);
        CHECK(std::string(second["key"].GetString()) == "k/2");
        CHECK(std::string(second["origin"].GetString()) == "local");
        last_seen = second["seq"].GetUint64();
    }  // disconnected

    // Missed while away: two changes under k/ and one elsewhere; B writes one of them.
    auto other = connect_to(t.a);
    call(other, "put", R"({"key":"k/3","value":3})");
    call(other, "put", R"({"key":"elsewhere","value":0})");
    call(other, "delete", R"({"key":"k/1"})");

    auto c = connect_to(t.a);
    auto sub = call(c, "subscribe", R"({"prefix":"k/","since":)" + std::to_string(last_seen) + "}");
    CHECK_FALSE(sub.HasMember("complete"));
    auto replay1 = next_change(c);
    auto replay2 = next_change(c);
    CHECK(std::string(replay1["key"].GetString()) == "k/3");
    CHECK(std::string(replay2["key"].GetString()) == "k/1");
    CHECK(replay2["deleted"].GetBool());
    CHECK(replay1["seq"].GetUint64() > last_seen);
    CHECK(replay2["seq"].GetUint64() > replay1["seq"].GetUint64());
    // Then live changes, nothing replayed twice in between.
    call(other, "put", R"({"key":"k/4","value":4})");
    auto live = next_change(c);
    CHECK(std::string(live["key"].GetString()) == "k/4");

    // A subscriber that comes back after a gap the log cannot be sure of (a seq from the
    // future, e.g. a replaced replica) is told so.
    auto stale = call(c, "subscribe", R"({"key":"k/4","since":999999})");
    CHECK(stale.HasMember("complete"));
}

TEST_CASE(
    "mps3d e2e: a daemon joining a store: flush await initial, then status says it is whole") {
    two_daemons t;
    std::vector<std::string> args = {"put-all", "--await", "remote"};
    for (int i = 0; i < 300; ++i) {
        args.emplace_back("join/" + std::to_string(i) + "=" + std::to_string(i));
    }
    auto put_all = t.a.ctl(args);
    REQUIRE_MESSAGE(put_all.exit_code == 0, put_all.err);

    // A third daemon with an empty replica: once "initial" answers, it holds every key.
    daemon_process c{shared_server(), daemon_options{t.bucket, "manifest.json", t.dir / "c"}};
    c.start();
    auto client = connect_to(c);
    (void)call(client, "flush", R"({"await":"initial","timeoutMs":60000})");
    auto status = call(client, "status", "{}");
    CHECK(status["initialSyncDone"].GetBool());
    CHECK(status["syncing"].IsNull());
    auto last = call(client, "get", R"({"key":"join/299"})");
    CHECK(last["found"].GetBool());
    CHECK(last["value"].GetInt() == 299);
    auto listed = c.ctl({"list", "join/"});
    REQUIRE(listed.exit_code == 0);
    CHECK(std::count(listed.out.begin(), listed.out.end(), '\n') == 300);

    CHECK(error_code(client, "flush", R"({"await":"everything"})") == -32602);
    auto ctl_initial = c.ctl({"flush", "--initial"});
    CHECK_MESSAGE(ctl_initial.exit_code == 0, ctl_initial.err);
}
