// mps3d under bad and heavy clients: every bad input gets a clear error (or a bounded drop),
// the daemon stays up, and a well-behaved client on another connection is unaffected
// throughout. Real daemon process, real sockets.
#include "bucket_tools.hpp"
#include "daemon_process.hpp"
#include "raw_socket.hpp"
#include "rpc_calls.hpp"

#include "ctl/socket_client.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace mps3::test;
using namespace std::chrono_literals;
using mps3::ctl::socket_client;

struct one_daemon {
    std::string bucket = unique_bucket("robust");
    std::filesystem::path dir = make_temp_dir("robust");
    daemon_process d;

    explicit one_daemon(std::vector<std::string> daemon_config = {})
        : d(shared_server(), daemon_options{bucket, "manifest.json", dir / "d", 100, false,
                                            std::move(daemon_config)}) {
        create_bucket_now(shared_server(), bucket);
        d.start();
    }
    ~one_daemon() { std::filesystem::remove_all(dir); }
};

// The well-behaved client: a write and a read, answered correctly and promptly.
void check_healthy(socket_client& good, int n) {
    const auto key = "good/" + std::to_string(n);
    call(good, "put", R"({"key":")" + key + R"(","value":)" + std::to_string(n) + "}");
    auto got = call(good, "get", R"({"key":")" + key + R"("})");
    REQUIRE(got["found"].GetBool());
    CHECK(got["value"].GetInt() == n);
}

int error_code_of(const std::string& line) {
    auto d = parse_json(line);
    REQUIRE_MESSAGE(d.HasMember("error"), "expected an error, got " << line.substr(0, 200));
    return d["error"]["code"].GetInt();
}

}  // namespace

TEST_CASE("mps3d robustness: bad input gets a clear error; other clients carry on") {
    one_daemon t({"max_frame_bytes = 1048576"});
    auto good = connect_to(t.d);
    raw_socket idle(t.d.socket());  // connects and never sends anything
    int n = 0;
    check_healthy(good, n++);

    std::mt19937 rng(20261123);
    std::string garbage;
    for (int i = 0; i < 4096; ++i) {
        auto byte = static_cast<char>(rng() % 256);
        garbage.push_back(byte == '\n' ? '\0' : byte);
    }
    const std::string deep(100'000, '[');
    struct bad_case {
        const char* what;
        std::string bytes;
        int code;
    };
    const std::vector<bad_case> cases = {
        {"malformed JSON", R"({"jsonrpc":"2.0","id":1,"method":"get",)", -32700},
        {"binary garbage (seed 20261123)", garbage, -32700},
        {"invalid UTF-8",
         R"({"jsonrpc":"2.0","id":1,"method":"get","params":{"key":")" + std::string("\xc3\x28") +
             R"("}})",
         -32700},
        {"nested 100,000 deep", deep, -32700},
        {"not a request", R"([])", -32600},
        {"unknown method", R"({"jsonrpc":"2.0","id":1,"method":"gte","params":{"key":"a"}})",
         -32601},
        {"key of the wrong type",
         R"({"jsonrpc":"2.0","id":1,"method":"put","params":{"key":5,"value":1}})", -32602},
        {"keys not an array", R"({"jsonrpc":"2.0","id":1,"method":"getAll","params":{"keys":"a"}})",
         -32602},
        {"limit out of range", R"({"jsonrpc":"2.0","id":1,"method":"list","params":{"limit":0}})",
         -32602},
        {"a misspelt parameter",
         R"({"jsonrpc":"2.0","id":1,"method":"put","params":{"key":"a","value":1,"awiat":"remote"}})",
         -32602},
        {"unknown store",
         R"({"jsonrpc":"2.0","id":1,"method":"get","params":{"key":"a","store":"nope"}})", -32001},
        {"empty key", R"({"jsonrpc":"2.0","id":1,"method":"put","params":{"key":"","value":1}})",
         -32002},
        {"unknown subscription",
         R"({"jsonrpc":"2.0","id":1,"method":"unsubscribe","params":{"subscription":77}})", -32007},
    };
    for (const auto& c : cases) {
        CAPTURE(c.what);
        raw_socket bad(t.d.socket());
        REQUIRE(bad.send(c.bytes + "\n"));
        auto line = bad.read_line();
        REQUIRE_MESSAGE(line.has_value(), "no answer; log:\n" << t.d.log());
        CHECK(error_code_of(*line) == c.code);
        // The same connection still serves a valid request after its bad one.
        REQUIRE(bad.send(R"({"jsonrpc":"2.0","id":2,"method":"status"})"
                         "\n"));
        auto after = bad.read_line();
        REQUIRE(after.has_value());
        CHECK(parse_json(*after).HasMember("result"));
        check_healthy(good, n++);
    }

    SUBCASE("a line over the frame limit: one error, the rest of the line skipped") {
        raw_socket big(t.d.socket());
        REQUIRE(big.send(std::string(2u << 20, 'x') + "\n" +
                         R"({"jsonrpc":"2.0","id":3,"method":"get","params":{"key":"good/0"}})" +
                         "\n"));
        auto first = big.read_line();
        REQUIRE(first.has_value());
        auto err = parse_json(*first);
        CHECK(err["error"]["code"].GetInt() == -32600);
        CHECK(err["error"]["data"]["maxFrameBytes"].GetInt() == 1048576);
        auto second = big.read_line();
        REQUIRE(second.has_value());
        CHECK(parse_json(*second)["result"]["value"].GetInt() == 0);
        check_healthy(good, n++);
    }

    SUBCASE("a subscriber that never reads: lagged, then a since resubscribe gets the rest") {
        raw_socket lazy(t.d.socket());
        REQUIRE(lazy.send(
            R"({"jsonrpc":"2.0","id":1,"method":"subscribe","params":{"prefix":"flood/"}})"
            "\n"));
        auto subscribed = lazy.read_line();
        REQUIRE(subscribed.has_value());
        // 4,000 changes of ~1 KiB each while the subscriber reads nothing: far more than its
        // queue (1,024 notifications) plus what the kernel buffers.
        const std::string filler(1000, 'f');
        constexpr int batches = 40;
        constexpr int per_batch = 100;
        for (int b = 0; b < batches; ++b) {
            std::string ops = R"({"ops":[)";
            for (int i = 0; i < per_batch; ++i) {
                ops += (i ? "," : "") + std::string(R"({"key":"flood/)") +
                       std::to_string(b * per_batch + i) + R"(","value":")" + filler + "\"}";
            }
            call(good, "putAll", ops + "]}");
            check_healthy(good, n++);  // unaffected while the other connection is stuck
        }
        // Now read: changes up to some seq, then exactly one lagged naming the last one.
        std::set<std::string> seen;
        std::uint64_t last_changed = 0;
        std::optional<std::uint64_t> lagged_at;
        for (int i = 0; i < 10'000 && !lagged_at; ++i) {
            auto line = lazy.read_line();
            REQUIRE(line.has_value());
            auto msg = parse_json(*line);
            const std::string method = msg["method"].GetString();
            if (method == "changed") {
                seen.insert(msg["params"]["key"].GetString());
                last_changed = msg["params"]["seq"].GetUint64();
            } else {
                REQUIRE(method == "lagged");
                lagged_at = msg["params"]["lastSeq"].GetUint64();
            }
        }
        REQUIRE(lagged_at.has_value());
        CHECK(*lagged_at == last_changed);
        CHECK(seen.size() < batches * per_batch);
        MESSAGE("lagged after " << seen.size() << " of " << batches * per_batch << " changes");
        // Resubscribe from there, reading this time: every change arrives.
        REQUIRE(lazy.send(
            R"({"jsonrpc":"2.0","id":2,"method":"subscribe","params":{"prefix":"flood/","since":)" +
            std::to_string(*lagged_at) + "}}\n"));
        for (int i = 0; i < 10'000 && seen.size() < batches * per_batch; ++i) {
            auto line = lazy.read_line();
            REQUIRE(line.has_value());
            auto msg = parse_json(*line);
            if (msg.HasMember("method")) {
                REQUIRE(std::string(msg["method"].GetString()) == "changed");
                seen.insert(msg["params"]["key"].GetString());
            }
        }
        CHECK(seen.size() == batches * per_batch);
        check_healthy(good, n++);
    }

    // Through all of it: the daemon is up and the idle connection was left alone.
    CHECK(t.d.running());
    CHECK_FALSE(idle.closed_by_peer(10ms));
    check_healthy(good, n++);
}

TEST_CASE("mps3d robustness: 200 concurrent connections with mixed operations") {
    one_daemon t;
    constexpr std::size_t clients = 200;
    std::vector<socket_client> conns;
    conns.reserve(clients);
    for (std::size_t i = 0; i < clients; ++i) {
        conns.push_back(connect_to(t.d));
    }
    const auto until = socket_client::clock::now() + 60s;
    // Every connection pipelines its requests before any answer is read.
    std::vector<std::vector<std::pair<mps3::ipc::rpc_id, std::string>>> sent(clients);
    for (std::size_t i = 0; i < clients; ++i) {
        const auto key = "c/" + std::to_string(i);
        auto send = [&](const std::string& method, const std::string& params) {
            auto id = conns[i].send(method, params, until);
            REQUIRE_MESSAGE(id.has_value(), (id ? "" : id.err().describe()));
            sent[i].emplace_back(*id, method);
        };
        send("put", R"({"key":")" + key + R"(","value":)" + std::to_string(i) + "}");
        send("get", R"({"key":")" + key + R"("})");
        switch (i % 4) {
            case 0:
                send("putAll", R"({"ops":[{"key":")" + key + R"(/x","value":true},{"key":")" + key +
                                   R"(/y","delete":true}]})");
                break;
            case 1:
                send("list", R"({"prefix":"c/","limit":5})");
                break;
            case 2:
                send("getAll", R"({"keys":[")" + key + R"(","absent"]})");
                break;
            default:
                send("status", "{}");
                break;
        }
    }
    std::size_t answered = 0;
    for (std::size_t i = 0; i < clients; ++i) {
        for (std::size_t k = 0; k < sent[i].size(); ++k) {
            auto in = conns[i].receive(until);
            REQUIRE_MESSAGE(in.has_value(), (in ? "" : in.err().describe()));
            auto* r = std::get_if<mps3::ipc::rpc_response>(&*in);
            REQUIRE(r != nullptr);
            REQUIRE_MESSAGE(r->ok(), r->error->message);
            REQUIRE(r->method.has_value());
            const auto& res = r->result;
            if (*r->method == "put" || *r->method == "putAll") {
                CHECK(res["seq"].GetUint64() > 0);
            } else if (*r->method == "get") {
                // Read-your-writes: the put before it on this connection is visible.
                CHECK(res["found"].GetBool());
                CHECK(res["value"].GetUint64() == i);
            } else if (*r->method == "list") {
                CHECK(res["entries"].Size() <= 5);
            } else if (*r->method == "getAll") {
                CHECK(res["entries"][0]["value"].GetUint64() == i);
                CHECK_FALSE(res["entries"][1]["found"].GetBool());
            } else {
                CHECK(std::string(res["store"].GetString()) == "default");
            }
            ++answered;
        }
    }
    CHECK(answered == clients * 3);
    // The final state has every connection's write.
    std::string keys = R"({"keys":[)";
    for (std::size_t i = 0; i < clients; ++i) {
        keys += (i ? ",\"c/" : "\"c/") + std::to_string(i) + "\"";
    }
    auto all = call(conns[0], "getAll", keys + "]}");
    std::size_t found = 0;
    for (const auto& e : all["entries"].GetArray()) {
        found += e["found"].GetBool() ? 1U : 0U;
    }
    CHECK(found == clients);
}
