// Offline-first through the daemon (issue 5): going offline stops all bucket traffic (counted at
// a proxy in front of the server), a long offline stretch with a restart in the middle loses
// nothing, and two daemons, one offline while both write the same keys, converge.
#include "bucket_tools.hpp"
#include "daemon_process.hpp"
#include "rpc_calls.hpp"
#include "tcp_proxy.hpp"

#include "ctl/socket_client.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <cstdio>

#include <map>
#include <string>
#include <vector>

namespace {

using namespace mps3::test;
using namespace std::chrono_literals;
using mps3::ctl::socket_client;

std::string quoted(const std::string& s) {
    return "\"" + s + "\"";
}

struct offline_fixture {
    std::string bucket = unique_bucket("offline");
    std::filesystem::path dir = make_temp_dir("offline");
    tcp_proxy proxy{shared_server().endpoint_url()};

    offline_fixture() { create_bucket_now(shared_server(), bucket); }
    bool keep = false;  // a failed test leaves its daemons' logs and replicas for a look
    ~offline_fixture() {
        if (!keep) {
            std::filesystem::remove_all(dir);
        }
    }

    daemon_options options(const std::string& name, bool via_proxy) {
        daemon_options o{bucket, "manifest.json", dir / name};
        if (via_proxy) {
            o.endpoint = proxy.url();
        }
        o.extra_args = {"--shutdown-timeout", "300"};
        return o;
    }
};

}  // namespace

TEST_CASE("mps3d offline: setOnline false stops all bucket traffic until setOnline true") {
    offline_fixture f;
    daemon_process d(shared_server(), f.options("d", true));
    d.start();
    auto c = connect_to(d);
    call(c, "put", R"({"key":"first","value":1,"await":"remote"})");

    CHECK(d.ctl({"offline"}).exit_code == 0);
    const auto bytes_before = f.proxy.bytes_to_server();
    const auto connections_before = f.proxy.connections();
    for (int i = 0; i < 20; ++i) {
        call(c, "put",
             R"({"key":"k/)" + std::to_string(i) + R"(","value":)" + std::to_string(i) + "}");
    }
    auto st = call(c, "status", "{}");
    CHECK_FALSE(st["online"].GetBool());
    CHECK(st["queuedWrites"].GetUint64() == 20);
    CHECK(st["oldestQueued"].IsString());
    // One request at a time: each put was its own group commit.
    CHECK(st["groupCommittedWrites"].GetUint64() == 21);
    CHECK(st["groupCommits"].GetUint64() == 21);
    CHECK(error_code(c, "flush", R"({"timeoutMs":200})") == -32004);
    // Ten poll intervals and more: nothing may reach the server.
    const bool traffic =
        wait_until([&] { return f.proxy.bytes_to_server() != bytes_before; }, 1500ms);
    CHECK_FALSE(traffic);
    CHECK(f.proxy.connections() == connections_before);

    CHECK(d.ctl({"online"}).exit_code == 0);
    call(c, "flush", R"({"timeoutMs":30000})");
    CHECK(f.proxy.bytes_to_server() > bytes_before);
    CHECK(call(c, "status", "{}")["queuedWrites"].GetUint64() == 0);
    const auto state = read_bucket_now(shared_server(), f.bucket);
    CHECK(state.size() == 21);
}

TEST_CASE("mps3d offline: 1,000 writes while cut off, a restart in between, all arrive in order") {
    offline_fixture f;
    daemon_process a(shared_server(), f.options("a", true));
    daemon_process b(shared_server(), f.options("b", false));
    a.start();
    b.start();
    auto watcher = connect_to(b);
    call(watcher, "subscribe", R"({"prefix":"s/"})");

    f.proxy.cut();
    auto c = connect_to(a);
    std::map<std::string, std::string> expected;
    const auto until = socket_client::clock::now() + 120s;
    std::vector<mps3::ipc::rpc_id> pending;
    for (int i = 0; i < 1000; ++i) {
        char key[16];
        std::snprintf(key, sizeof key, "s/%04d", i);
        auto id = c.send(
            "put", R"({"key":")" + std::string(key) + R"(","value":)" + std::to_string(i) + "}",
            until);
        REQUIRE(id.has_value());
        expected[key] = std::to_string(i);
    }
    for (int i = 0; i < 1000; ++i) {
        auto in = c.receive(until);
        REQUIRE(in.has_value());
        REQUIRE(std::get<mps3::ipc::rpc_response>(*in).ok());
    }
    // Later writes to keys already queued: the last one must win.
    call(c, "put", R"({"key":"s/0007","value":"last"})");
    call(c, "delete", R"({"key":"s/0008"})");
    expected["s/0007"] = quoted("last");
    expected.erase("s/0008");

    auto st = call(c, "status", "{}");
    CHECK(st["queuedWrites"].GetUint64() >= 1000);
    REQUIRE(wait_until(
        [&] { return !std::string(call(c, "status", "{}")["lastError"].GetString()).empty(); },
        30s));
    const auto cut_status = call(c, "status", "{}");
    MESSAGE("while cut off: " << std::string(cut_status["lastError"].GetString()));

    // Restart while still cut off: the queue survives, reads are served from the replica.
    const auto stopped = a.stop(60s);
    REQUIRE(stopped.has_value());
    CHECK(*stopped == 3);
    a.start();
    auto c2 = connect_to(a);
    CHECK(std::string(call(c2, "get", R"({"key":"s/0007"})")["value"].GetString()) == "last");
    CHECK(call(c2, "status", "{}")["queuedWrites"].GetUint64() >= 1000);

    f.proxy.restore();
    call(c2, "flush", R"({"timeoutMs":120000})");

    // B's subscriber ends at the same state; the bucket (read independently) holds it too.
    std::map<std::string, std::string> seen;
    for (int i = 0; i < 5000 && seen != expected; ++i) {
        auto in = watcher.receive(socket_client::clock::now() + 60s);
        if (!in) {
            const auto tail = [](const std::string& log) {
                return log.size() > 6000 ? log.substr(log.size() - 6000) : log;
            };
            f.keep = true;
            FAIL("B saw " << seen.size() << " keys, then: " << in.err().describe() << "\nkept "
                          << f.dir << "\n--- A's log (end):\n"
                          << tail(a.log()) << "\n--- B's log (end):\n"
                          << tail(b.log()));
        }
        auto* n = std::get_if<mps3::ipc::rpc_notification>(&*in);
        REQUIRE(n != nullptr);
        const std::string key = n->params["key"].GetString();
        if (n->params.HasMember("deleted")) {
            seen.erase(key);
        } else {
            seen[key] = compact_json(n->params["value"]);
        }
    }
    CHECK(seen == expected);
    CHECK(read_bucket_now(shared_server(), f.bucket) == expected);
}

TEST_CASE("mps3d offline: two daemons write the same keys, one offline; both converge") {
    offline_fixture f;
    daemon_process a(shared_server(), f.options("a", false));
    daemon_process b(shared_server(), f.options("b", false));
    a.start();
    b.start();
    auto ca = connect_to(a);
    auto cb = connect_to(b);
    call(ca, "setOnline", R"({"online":false})");
    std::string keys = R"({"keys":[)";
    for (int i = 0; i < 20; ++i) {
        const auto key = "c/" + std::to_string(i);
        keys += (i ? "," : "") + quoted(key);
        call(ca, "put", R"({"key":")" + key + R"(","value":"A)" + std::to_string(i) + "\"}");
        call(
            cb, "put",
            R"({"key":")" + key + R"(","value":"B)" + std::to_string(i) + R"(","await":"remote"})");
    }
    keys += "]}";
    // A still reads its own writes; B its own.
    CHECK(std::string(call(ca, "get", R"({"key":"c/3"})")["value"].GetString()) == "A3");
    CHECK(std::string(call(cb, "get", R"({"key":"c/3"})")["value"].GetString()) == "B3");

    call(ca, "setOnline", R"({"online":true})");
    call(ca, "flush", R"({"timeoutMs":60000})");
    // A's writes were stamped when uploaded, after B's: by entry order they win everywhere.
    auto snapshot = [&](socket_client& c) {
        std::map<std::string, std::string> out;
        auto all = call(c, "getAll", keys);
        for (const auto& e : all["entries"].GetArray()) {
            out[e["key"].GetString()] = e["found"].GetBool() ? quoted(e["value"].GetString()) : "";
        }
        return out;
    };
    REQUIRE(wait_until([&] { return snapshot(ca) == snapshot(cb); }, 30s));
    const auto state = snapshot(ca);
    CHECK(state.at("c/0") == quoted("A0"));
    CHECK(state.at("c/19") == quoted("A19"));
    CHECK(read_bucket_now(shared_server(), f.bucket) == state);
}

TEST_CASE("mps3d offline: a stop is bounded by the shutdown timeout even with uploads in flight") {
    // Every request 300 ms late: 2,000 content PUTs, 64 at a time, take 10 s or more, far past
    // the 300 ms shutdown timeout. Before the requests in flight were cancelled at the deadline
    // the stop waited for the whole upload.
    offline_fixture f;
    daemon_process d(shared_server(), f.options("d", true));
    d.start();
    auto c = connect_to(d);
    std::string ops = R"({"ops":[)";
    for (int i = 0; i < 2000; ++i) {
        ops += (i == 0 ? "" : ",") + std::string(R"({"key":"k/)") + std::to_string(i) +
               R"(","value":)" + std::to_string(i) + "}";
    }
    ops += "]}";
    call(c, "putAll", ops);
    f.proxy.set_delay(std::chrono::milliseconds(300));
    // Wait for the upload to be under way (content PUTs passing the proxy), then stop.
    const auto before = f.proxy.traffic();
    REQUIRE(wait_until([&] { return (f.proxy.traffic() - before).put > 0; }, 30s));
    const auto stopping = std::chrono::steady_clock::now();
    const auto code = d.stop(60s);
    const auto took = std::chrono::steady_clock::now() - stopping;
    REQUIRE_MESSAGE(code.has_value(), d.log());
    CHECK(*code == 3);
    MESSAGE("stopped in " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                          << " ms");
    CHECK(took < 8s);  // 300 ms of flush, the cancelled requests, the close; not the upload
    // Nothing is lost: the next start uploads everything.
    f.proxy.set_delay(std::chrono::milliseconds(0));
    d.start();
    auto flushed = d.ctl({"flush", "--timeout", "120"});
    CHECK_MESSAGE(flushed.exit_code == 0, flushed.err);
    CHECK(read_bucket_now(shared_server(), f.bucket).size() == 2000);
    CHECK(d.stop(60s) == 0);
}
