// The dispatcher: replies given now or later, one response line per dispatched line, and no
// handler failure (exception, forgotten reply) ever leaves a request unanswered.
#include <mps3/ipc/dispatcher.hpp>
#include <mps3/ipc/json_builder.hpp>
#include <mps3/ipc/response.hpp>

#include "json/document.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

using namespace mps3::ipc;

namespace {

struct recorder {
    std::vector<std::string> lines;
    dispatcher::write_fn writer() {
        return [this](std::string l) { lines.push_back(std::move(l)); };
    }
};

rapidjson::Document parsed(const std::string& line) {
    CHECK(line.ends_with("\n"));
    CHECK(line.find('\n') == line.size() - 1);
    auto doc = mps3::json::parse(line);
    REQUIRE(doc.has_value());
    return std::move(doc).value();
}

std::string call(std::string_view method, const std::string& id = "1",
                 const std::string& params = "") {
    return R"({"jsonrpc":"2.0","method":")" + std::string(method) + "\"" +
           (params.empty() ? "" : ",\"params\":" + params) + (id.empty() ? "" : ",\"id\":" + id) +
           "}";
}

}  // namespace

TEST_CASE("rpc dispatcher: a synchronous handler's result comes back with the id as sent") {
    dispatcher d;
    d.add_sync("echo", [](const request& r) -> rpc_result<std::string> {
        const auto v = r.args().required_value("v");
        if (!v) {
            return v.err();
        }
        json_builder out;
        out.value(**v);
        return out.str();
    });
    for (const std::string id :
         {"1", "\"a\"", "null", "123456789012345678901234567890", "1.50", "-0", "\"\\u00e9\""}) {
        recorder rec;
        d.dispatch(call("echo", id, R"({"v":{"x":[1,"two",null]}})"), rec.writer());
        REQUIRE(rec.lines.size() == 1);
        const std::string expected_id = id == "\"\\u00e9\"" ? "\"\xc3\xa9\"" : id;
        CHECK(rec.lines[0] == R"({"jsonrpc":"2.0","id":)" + expected_id +
                                  R"(,"result":{"x":[1,"two",null]}})" + "\n");
    }
}

TEST_CASE("rpc dispatcher: asynchronous replies; a batch is written once, when complete") {
    dispatcher d;
    std::vector<reply> parked;
    d.add("later", [&](const request&, reply& answer) { parked.push_back(std::move(answer)); });
    d.add_sync("now", [](const request&) -> rpc_result<std::string> { return std::string("1"); });

    recorder rec;
    d.dispatch("[" + call("later", "1") + "," + call("now", "2") + "," + call("later", "3") + "," +
                   call("later", "") + "]",
               rec.writer());
    CHECK(rec.lines.empty());
    REQUIRE(parked.size() == 3);
    CHECK(parked[0].wants_response());
    CHECK_FALSE(parked[2].wants_response());  // the notification
    parked[1].result("\"third\"");
    CHECK(rec.lines.empty());
    parked[0].error(rpc_error(rpc_code::timeout, "flush timed out"));
    REQUIRE(rec.lines.size() == 1);  // the notification's reply is not waited for
    CHECK(rec.lines[0] ==
          R"([{"jsonrpc":"2.0","id":1,"error":{"code":-32004,"message":"flush timed out"}},)"
          R"({"jsonrpc":"2.0","id":2,"result":1},{"jsonrpc":"2.0","id":3,"result":"third"}])"
          "\n");
    parked[0].result("2");  // a second answer is ignored
    parked[2].result("null");
    parked.clear();
    CHECK(rec.lines.size() == 1);

    // Single requests in flight at once are answered in the order they finish.
    recorder single;
    d.dispatch(call("later", "\"a\""), single.writer());
    d.dispatch(call("later", "\"b\""), single.writer());
    REQUIRE(parked.size() == 2);
    parked[1].result("true");
    parked[0].result("false");
    CHECK(single.lines == std::vector<std::string>{R"({"jsonrpc":"2.0","id":"b","result":true})"
                                                   "\n",
                                                   R"({"jsonrpc":"2.0","id":"a","result":false})"
                                                   "\n"});
}

TEST_CASE("rpc dispatcher: a reply dropped unanswered, or a handler that throws, is -32603") {
    dispatcher d;
    d.add("forgets", [](const request&, reply&) {});
    d.add("throws", [](const request&, reply&) { throw std::runtime_error("boom"); });
    d.add("moves_then_throws", [](const request&, reply& answer) {
        reply mine = std::move(answer);
        throw std::logic_error("after taking the reply");
    });
    std::optional<reply> kept;
    d.add("kept", [&](const request&, reply& answer) { kept.emplace(std::move(answer)); });

    for (const char* method : {"forgets", "throws", "moves_then_throws"}) {
        CAPTURE(method);
        recorder rec;
        d.dispatch(call(method, "9"), rec.writer());
        REQUIRE(rec.lines.size() == 1);
        const auto doc = parsed(rec.lines[0]);
        CHECK(doc["id"].GetInt() == 9);
        CHECK(doc["error"]["code"].GetInt() == -32603);
    }
    recorder thrown;
    d.dispatch(call("throws"), thrown.writer());
    CHECK(thrown.lines.at(0).find("boom") != std::string::npos);

    recorder rec;
    d.dispatch(call("kept", "4"), rec.writer());
    CHECK(rec.lines.empty());
    kept.reset();  // e.g. the connection's work was abandoned
    REQUIRE(rec.lines.size() == 1);
    CHECK(parsed(rec.lines[0])["error"]["code"].GetInt() == -32603);

    // A notification whose handler throws is still silent.
    recorder quiet;
    d.dispatch(call("throws", ""), quiet.writer());
    d.dispatch(call("forgets", ""), quiet.writer());
    CHECK(quiet.lines.empty());
}

TEST_CASE("rpc dispatcher: registration") {
    dispatcher d;
    CHECK_FALSE(d.add_sync("rpc.discover", [](const request&) -> rpc_result<std::string> {
        return std::string("{}");
    }));
    CHECK_FALSE(d.has("rpc.discover"));
    CHECK_FALSE(d.add("empty", dispatcher::handler()));
    CHECK(d.add_sync("m",
                     [](const request&) -> rpc_result<std::string> { return std::string("1"); }));
    CHECK(d.add_sync("m", [](const request&) -> rpc_result<std::string> {
        return std::string("2");  // replaces
    }));
    recorder rec;
    d.dispatch(call("m"), rec.writer());
    CHECK(rec.lines.at(0) == "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":2}\n");
    recorder reserved;
    d.dispatch(call("rpc.discover"), reserved.writer());
    CHECK(parsed(reserved.lines.at(0))["error"]["code"].GetInt() == -32601);
}

TEST_CASE("rpc dispatcher: results are kept to one line; an unwritable one is -32603") {
    dispatcher d;
    d.add_sync("pretty", [](const request&) -> rpc_result<std::string> {
        return std::string("{\n  \"a\": [\n    1\n  ]\n}");
    });
    d.add_sync("empty", [](const request&) -> rpc_result<std::string> { return std::string(); });
    d.add_sync("bad_message", [](const request&) -> rpc_result<std::string> {
        return rpc_error(rpc_code::storage_error, "disk \xff\xfe failed");
    });
    recorder rec;
    d.dispatch(call("pretty"), rec.writer());
    CHECK(parsed(rec.lines.at(0))["result"]["a"][0].GetInt() == 1);
    d.dispatch(call("empty"), rec.writer());
    CHECK(parsed(rec.lines.at(1))["error"]["code"].GetInt() == -32603);
    d.dispatch(call("bad_message"), rec.writer());
    const auto doc = parsed(rec.lines.at(2));
    CHECK(doc["error"]["code"].GetInt() == -32006);
    CHECK(std::string(doc["error"]["message"].GetString()).starts_with("Storage error"));
}

TEST_CASE("rpc dispatcher: the response line is bounded by max_answer_bytes") {
    dispatcher d({}, 300);
    d.add_sync("big", [](const request& r) -> rpc_result<std::string> {
        const auto n = r.args().required_int("n", 0, 10'000);
        if (!n) {
            return n.err();
        }
        return "\"" + std::string(static_cast<std::size_t>(*n), 'x') + "\"";
    });
    CHECK(d.max_answer_bytes() == 300);

    SUBCASE("one answer over the limit is refused, naming it") {
        recorder rec;
        d.dispatch(call("big", "7", R"({"n":400})"), rec.writer());
        REQUIRE(rec.lines.size() == 1);
        auto doc = parsed(rec.lines[0]);
        CHECK(doc["id"].GetInt() == 7);
        CHECK(doc["error"]["code"].GetInt() == -32003);
        CHECK(doc["error"]["data"]["maxAnswerBytes"].GetInt() == 300);
        CHECK(std::string(doc["error"]["message"].GetString()).find("max_answer_bytes") !=
              std::string::npos);
    }
    SUBCASE("an answer within it is written as is") {
        recorder rec;
        d.dispatch(call("big", "7", R"({"n":200})"), rec.writer());
        REQUIRE(rec.lines.size() == 1);
        CHECK(rec.lines[0].size() <= 300);
        CHECK(parsed(rec.lines[0])["result"].GetStringLength() == 200);
    }
    SUBCASE("a batch keeps the answers that fit; each further one is refused") {
        recorder rec;
        d.dispatch("[" + call("big", "1", R"({"n":100})") + "," + call("big", "2", R"({"n":100})") +
                       "," + call("big", "3", R"({"n":100})") + "]",
                   rec.writer());
        REQUIRE(rec.lines.size() == 1);
        auto doc = parsed(rec.lines[0]);
        REQUIRE(doc.Size() == 3);
        CHECK(doc[0]["result"].GetStringLength() == 100);
        CHECK(doc[1]["result"].GetStringLength() == 100);
        CHECK(doc[2]["error"]["code"].GetInt() == -32003);
    }
}

TEST_CASE("json_builder: string_bytes is what string() writes, escapes included") {
    for (const std::string& s :
         {std::string(""), std::string("plain"), std::string("a\"b\\c"), std::string("\n\t\r\b\f"),
          std::string("\x01\x1f\x7f"), std::string("caf\xc3\xa9 \xf0\x9f\x98\x80"),
          std::string("nul\0in", 6)}) {
        CAPTURE(s);
        json_builder out;
        out.string(s);
        REQUIRE(out.ok());
        CHECK(json_builder::string_bytes(s) == out.str().size());
        CHECK(out.size() == out.str().size());
    }
}

TEST_CASE("rpc dispatcher: binary garbage and random bytes get errors, never a crash") {
    dispatcher d;
    d.add_sync("m", [](const request&) -> rpc_result<std::string> { return std::string("1"); });
    std::uint32_t seed = 12345;
    const auto next = [&] {
        seed = seed * 1664525U + 1013904223U;
        return static_cast<char>(seed >> 24);
    };
    std::string alphabet = "{}[]\":,0123456789.eE+-tfnul \\u\xc3\xa9\xff";
    alphabet.push_back('\0');
    for (int round = 0; round < 2000; ++round) {
        std::string line;
        const auto length = static_cast<std::size_t>(static_cast<unsigned char>(next())) % 64;
        for (std::size_t i = 0; i < length; ++i) {
            const auto c = next();
            line.push_back(
                round % 2 == 0 ? c : alphabet[static_cast<unsigned char>(c) % alphabet.size()]);
        }
        recorder rec;
        d.dispatch(line, rec.writer());
        for (const auto& out : rec.lines) {
            const auto doc = parsed(out);
            CHECK((doc.IsObject() || doc.IsArray()));
        }
    }
}

TEST_CASE("rpc response: notifications, oversized frames and batches are single lines") {
    CHECK(*notification_line("changed", R"({"subscription":1,"key":"k","seq":4})") ==
          "{\"jsonrpc\":\"2.0\",\"method\":\"changed\",\"params\":"
          "{\"subscription\":1,\"key\":\"k\",\"seq\":4}}\n");
    CHECK(*notification_line("ping", "") == "{\"jsonrpc\":\"2.0\",\"method\":\"ping\"}\n");
    CHECK_FALSE(notification_line("bad\xff", ""));
    CHECK(oversized_frame_line(16) ==
          "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"Invalid "
          "Request: the line is longer than the limit of 16 bytes\",\"data\":{\"maxFrameBytes\":"
          "16}}}\n");
    const std::vector<std::string> parts = {
        result_json(rpc_id::from_int(1), "true"),
        error_json(rpc_id(), rpc_error(rpc_code::not_found, "no subscription 3"))};
    CHECK(batch_line(parts) ==
          "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":true},{\"jsonrpc\":\"2.0\",\"id\":null,"
          "\"error\":{\"code\":-32007,\"message\":\"no subscription 3\"}}]\n");
    CHECK(error_json(rpc_id::from_string("x"),
                     rpc_error(rpc_code::invalid_params, "m", std::string(R"({"a":[1]})"))) ==
          R"({"jsonrpc":"2.0","id":"x","error":{"code":-32602,"message":"m","data":{"a":[1]}}})");
}
