// mps3d's configurable limits ([daemon] max_*, docs/configuration.md), each set small here so
// that reaching it is quick: every one is refused with a clear JSON-RPC error naming it (or, for
// the notification queues, ends the subscription with `lagged`), and the daemon keeps serving.
// Real daemon processes, real sockets.
#include "bucket_tools.hpp"
#include "daemon_process.hpp"
#include "raw_socket.hpp"
#include "rpc_calls.hpp"

#include "ctl/socket_client.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace mps3::test;
using namespace std::chrono_literals;
using mps3::ctl::socket_client;

struct limited_daemon {
    std::string bucket = unique_bucket("limits");
    std::filesystem::path dir = make_temp_dir("limits");
    daemon_process d;

    explicit limited_daemon(std::vector<std::string> limits)
        : d(shared_server(),
            daemon_options{bucket, "manifest.json", dir / "d", 100, false, std::move(limits)}) {
        create_bucket_now(shared_server(), bucket);
        d.start();
    }
    ~limited_daemon() { std::filesystem::remove_all(dir); }
};

std::string request(int id, const std::string& method, const std::string& params) {
    return R"({"jsonrpc":"2.0","id":)" + std::to_string(id) + R"(,"method":")" + method +
           R"(","params":)" + params + "}\n";
}

// The one answer to a request sent on a raw connection.
rapidjson::Document answer(raw_socket& s, const std::string& line) {
    REQUIRE(s.send(line));
    auto got = s.read_line();
    REQUIRE(got.has_value());
    return parse_json(*got);
}

// An error answer's code, and its data member `name` (the limit, for programs).
void check_refused(const rapidjson::Document& a, int code, const char* name, std::uint64_t max) {
    REQUIRE_MESSAGE(a.HasMember("error"), compact_json(a).substr(0, 300));
    CHECK(a["error"]["code"].GetInt() == code);
    REQUIRE(a["error"].HasMember("data"));
    REQUIRE(a["error"]["data"].HasMember(name));
    CHECK(a["error"]["data"][name].GetUint64() == max);
}

// A JSON string value of exactly `bytes` bytes of JSON text (quotes included).
std::string value_of_bytes(std::size_t bytes) {
    return "\"" + std::string(bytes - 2, 'v') + "\"";
}

// Writes `count` changes of ~`value_bytes` each under `prefix`, `per_call` to a putAll.
void write_changes(socket_client& c, const std::string& prefix, int count, int per_call,
                   std::size_t value_bytes) {
    const auto value = value_of_bytes(value_bytes);
    for (int first = 0; first < count; first += per_call) {
        std::string ops = R"({"ops":[)";
        for (int i = first; i < first + per_call && i < count; ++i) {
            ops += (i > first ? "," : "") + std::string(R"({"key":")") + prefix +
                   std::to_string(i) + R"(","value":)" + value + "}";
        }
        call(c, "putAll", ops + "]}");
    }
}

// Reads a never-reading subscriber's backlog: the changes delivered until its `lagged`.
struct backlog {
    std::size_t changed = 0;
    std::optional<std::uint64_t> lagged_at;
    std::uint64_t last_changed = 0;
};

backlog read_until_lagged(raw_socket& s, std::size_t at_most) {
    backlog b;
    for (std::size_t i = 0; i <= at_most && !b.lagged_at; ++i) {
        auto line = s.read_line();
        REQUIRE(line.has_value());
        auto msg = parse_json(*line);
        REQUIRE(msg.HasMember("method"));
        const std::string method = msg["method"].GetString();
        if (method == "changed") {
            ++b.changed;
            b.last_changed = msg["params"]["seq"].GetUint64();
        } else {
            REQUIRE(method == "lagged");
            b.lagged_at = msg["params"]["lastSeq"].GetUint64();
        }
    }
    return b;
}

}  // namespace

TEST_CASE("mps3d limits: connections, subscriptions, value, frame and answer sizes") {
    limited_daemon t({"max_connections = 3", "max_subscriptions_per_connection = 2",
                      "max_value_bytes = 1000", "max_frame_bytes = 4096",
                      "max_answer_bytes = 5200"});
    auto good = connect_to(t.d);

    SUBCASE("max_connections: one more is told so and closed; a freed slot serves again") {
        auto second = std::make_unique<raw_socket>(t.d.socket());
        raw_socket third(t.d.socket());
        // Served: each answers (so each is a session, not one still being accepted).
        CHECK(answer(*second, request(1, "status", "{}")).HasMember("result"));
        CHECK(answer(third, request(1, "status", "{}")).HasMember("result"));
        raw_socket fourth(t.d.socket());
        auto refusal = fourth.read_line();
        REQUIRE(refusal.has_value());
        auto refused = parse_json(*refusal);
        check_refused(refused, -32009, "maxConnections", 3);
        CHECK(std::string(refused["error"]["message"].GetString()).find("max_connections") !=
              std::string::npos);
        CHECK(fourth.closed_by_peer(10s));
        // The slot frees once the daemon has seen the close: retry with a deadline.
        second.reset();
        bool served = false;
        const auto until = std::chrono::steady_clock::now() + 10s;
        while (!served && std::chrono::steady_clock::now() < until) {
            raw_socket again(t.d.socket());
            REQUIRE(again.send(request(1, "status", "{}")));
            auto line = again.read_line();
            REQUIRE(line.has_value());
            served = parse_json(*line).HasMember("result");
        }
        CHECK(served);
    }

    SUBCASE("max_subscriptions_per_connection: a third is refused until one ends") {
        raw_socket s(t.d.socket());
        const auto sub = R"({"prefix":"s/"})";
        auto first = answer(s, request(1, "subscribe", sub));
        REQUIRE(first.HasMember("result"));
        REQUIRE(answer(s, request(2, "subscribe", sub)).HasMember("result"));
        auto third = answer(s, request(3, "subscribe", sub));
        check_refused(third, -32009, "maxSubscriptionsPerConnection", 2);
        CHECK(std::string(third["error"]["message"].GetString())
                  .find("max_subscriptions_per_connection") != std::string::npos);
        // Another connection has its own allowance.
        CHECK(call(good, "subscribe", sub).HasMember("subscription"));
        const auto id = first["result"]["subscription"].GetUint64();
        REQUIRE(
            answer(s, request(4, "unsubscribe", R"({"subscription":)" + std::to_string(id) + "}"))
                .HasMember("result"));
        CHECK(answer(s, request(5, "subscribe", sub)).HasMember("result"));
    }

    SUBCASE("max_value_bytes: one byte over is refused, the limit itself stored") {
        raw_socket s(t.d.socket());
        auto over =
            answer(s, request(1, "put", R"({"key":"v","value":)" + value_of_bytes(1001) + "}"));
        check_refused(over, -32003, "maxValueBytes", 1000);
        CHECK(answer(s, request(2, "put", R"({"key":"v","value":)" + value_of_bytes(1000) + "}"))
                  .HasMember("result"));
        auto got = call(good, "get", R"({"key":"v"})");
        CHECK(got["value"].GetStringLength() == 998);
    }

    SUBCASE("max_frame_bytes: a longer line gets one error and is skipped") {
        raw_socket s(t.d.socket());
        auto over = answer(s, std::string(5000, ' ') + request(1, "status", "{}"));
        check_refused(over, -32600, "maxFrameBytes", 4096);
        CHECK(answer(s, request(2, "status", "{}")).HasMember("result"));
    }

    SUBCASE("max_answer_bytes: getAll refuses, list pages, a batch is cut") {
        // Six values of 950 bytes: any five fit in 5,200 bytes of answer, all six do not.
        for (int i = 0; i < 6; ++i) {
            call(good, "put",
                 R"({"key":"a/)" + std::to_string(i) + R"(","value":)" + value_of_bytes(950) + "}");
        }
        raw_socket s(t.d.socket());
        auto all =
            answer(s, request(1, "getAll", R"({"keys":["a/0","a/1","a/2","a/3","a/4","a/5"]})"));
        check_refused(all, -32003, "maxAnswerBytes", 5200);
        CHECK(std::string(all["error"]["message"].GetString()).find("max_answer_bytes") !=
              std::string::npos);
        auto some = answer(s, request(2, "getAll", R"({"keys":["a/0","a/1","a/2"]})"));
        REQUIRE(some.HasMember("result"));
        CHECK(some["result"]["entries"].Size() == 3);

        // list pages below the limit: every entry arrives, over more than one page.
        std::set<std::string> listed;
        std::string cursor;
        int pages = 0;
        for (; pages < 10; ++pages) {
            const auto params = cursor.empty() ? std::string(R"({"prefix":"a/"})")
                                               : R"({"prefix":"a/","cursor":")" + cursor + "\"}";
            auto page = answer(s, request(10 + pages, "list", params));
            REQUIRE_MESSAGE(page.HasMember("result"), compact_json(page).substr(0, 300));
            for (const auto& e : page["result"]["entries"].GetArray()) {
                listed.insert(e["key"].GetString());
            }
            if (!page["result"].HasMember("cursor")) {
                break;
            }
            cursor = page["result"]["cursor"].GetString();
        }
        CHECK(listed.size() == 6);
        CHECK(pages >= 1);  // at least two pages: the first ended with a cursor

        // A batch of six gets: the results stay within the limit; each that did not fit is
        // answered with a short -32003 instead (an error per request, whatever the limit).
        std::string batch = "[";
        for (int i = 0; i < 6; ++i) {
            batch += (i ? "," : "") + std::string(R"({"jsonrpc":"2.0","id":)") + std::to_string(i) +
                     R"(,"method":"get","params":{"key":"a/)" + std::to_string(i) + "\"}}";
        }
        REQUIRE(s.send(batch + "]\n"));
        auto line = s.read_line();
        REQUIRE(line.has_value());
        auto answers = parse_json(*line);
        REQUIRE(answers.IsArray());
        REQUIRE(answers.Size() == 6);
        int results = 0;
        int refusals = 0;
        for (const auto& a : answers.GetArray()) {
            if (a.HasMember("result")) {
                ++results;
            } else {
                CHECK(a["error"]["code"].GetInt() == -32003);
                CHECK(a["error"]["data"]["maxAnswerBytes"].GetUint64() == 5200);
                ++refusals;
            }
        }
        CHECK(results == 5);
        CHECK(refusals == 1);
        CHECK(line->size() <= 5200 + 300);
    }

    // Through all of it the daemon served the well-behaved connection.
    CHECK(t.d.running());
    CHECK(call(good, "status", "{}").HasMember("store"));
}

TEST_CASE("mps3d limits: the notification queues, by count and by bytes") {
    // A subscriber that never reads, and ~1 MB of changes: more than the kernel's socket buffer
    // holds, and far less than the default queue bounds (1,024 notifications, 8 MiB), so the
    // `lagged` below comes from the configured limit.
    constexpr int changes = 1000;
    constexpr std::size_t value_bytes = 1000;

    // Either bound ends a subscription whose client does not read.
    std::string limit_line;
    SUBCASE("max_queued_notifications") {
        limit_line = "max_queued_notifications = 4";
    }
    SUBCASE("max_queued_bytes") {
        limit_line = "max_queued_bytes = 8192";
    }
    limited_daemon t({limit_line});
    auto good = connect_to(t.d);
    raw_socket lazy(t.d.socket());
    REQUIRE(answer(lazy, request(1, "subscribe", R"({"prefix":"q/"})")).HasMember("result"));
    write_changes(good, "q/", changes, 100, value_bytes);
    const auto b = read_until_lagged(lazy, changes);
    REQUIRE(b.lagged_at.has_value());
    CHECK(*b.lagged_at == b.last_changed);
    CHECK(b.changed < static_cast<std::size_t>(changes));
    MESSAGE(limit_line << ": lagged after " << b.changed << " of " << changes << " changes");
    CHECK(call(good, "status", "{}").HasMember("store"));
}
