// The client codec: request lines out, responses and notifications in, matched by id; and a
// round trip through the server-side dispatcher.
#include <mps3/ipc/client.hpp>
#include <mps3/ipc/line_splitter.hpp>

#include <mps3/ipc/dispatcher.hpp>
#include <mps3/ipc/json_builder.hpp>
#include <mps3/ipc/response.hpp>
#include "json/document.hpp"

#include <doctest/doctest.h>

#include <ostream>
#include <string>
#include <vector>

using namespace mps3::ipc;

namespace {

rapidjson::Document doc(const char* json) {
    auto parsed = mps3::json::parse(json);
    REQUIRE(parsed.has_value());
    return std::move(parsed).value();
}

const rpc_response& response_at(const std::vector<incoming>& in, std::size_t i = 0) {
    REQUIRE(i < in.size());
    const auto* r = std::get_if<rpc_response>(&in[i]);
    REQUIRE(r != nullptr);
    return *r;
}

}  // namespace

TEST_CASE("rpc client: request and notification lines") {
    const auto params = doc(R"({"key":"a/b","value":{"n":[1,2]}})");
    CHECK(*make_request_line(rpc_id::from_int(3), "put", &params) ==
          R"({"jsonrpc":"2.0","id":3,"method":"put","params":{"key":"a/b","value":{"n":[1,2]}}})"
          "\n");
    CHECK(*make_request_line(rpc_id::from_string("s"), "status") ==
          "{\"jsonrpc\":\"2.0\",\"id\":\"s\",\"method\":\"status\"}\n");
    CHECK(*make_notification_line("flush") == "{\"jsonrpc\":\"2.0\",\"method\":\"flush\"}\n");

    const auto scalar = doc("5");
    const auto refused = make_request_line(rpc_id::from_int(1), "put", &scalar);
    REQUIRE_FALSE(refused);
    CHECK(refused.err().code == mps3::errc::invalid_argument);
    CHECK_FALSE(make_request_line(rpc_id::from_int(1), "bad\xff"));
}

TEST_CASE("rpc client: ids count up; responses settle their request and name its method") {
    client_codec codec;
    auto first = codec.request("get", R"({"key":"a"})");
    auto second = codec.request("status");
    REQUIRE(first);
    REQUIRE(second);
    CHECK(first->id == rpc_id::from_int(1));
    CHECK(second->id == rpc_id::from_int(2));
    CHECK(first->line == R"({"jsonrpc":"2.0","id":1,"method":"get","params":{"key":"a"}})"
                         "\n");
    CHECK(codec.pending() == 2);
    CHECK_FALSE(codec.request("get", "not json"));
    CHECK_FALSE(codec.request("get", "[1"));
    CHECK(codec.pending() == 2);

    auto in = codec.receive(R"({"jsonrpc":"2.0","id":2,"result":{"online":true}})");
    REQUIRE(in);
    const auto& status = response_at(*in);
    CHECK(status.ok());
    CHECK(status.method == "status");
    CHECK(status.result["online"].GetBool());
    CHECK(codec.pending() == 1);
    CHECK(codec.is_pending(rpc_id::from_int(1)));

    in = codec.receive(
        R"({"jsonrpc":"2.0","id":1,"error":{"code":-32002,"message":"key must not be empty","data":{"x":1}}})");
    REQUIRE(in);
    const auto& failed = response_at(*in);
    CHECK_FALSE(failed.ok());
    CHECK(failed.method == "get");
    CHECK(failed.error->is(rpc_code::invalid_key));
    CHECK(failed.error->message == "key must not be empty");
    CHECK(failed.error->data == R"({"x":1})");
    CHECK(failed.result.IsNull());
    CHECK(codec.pending() == 0);

    // A response nobody waits for (answered twice, forgotten, or to a line the server could not
    // read) is passed on unmatched.
    in = codec.receive(R"({"jsonrpc":"2.0","id":1,"result":null})");
    REQUIRE(in);
    CHECK_FALSE(response_at(*in).method);
    in = codec.receive(
        R"({"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}})");
    REQUIRE(in);
    CHECK(response_at(*in).id.is_null());
    CHECK_FALSE(response_at(*in).method);

    auto third = codec.request("flush");
    REQUIRE(third);
    codec.forget(third->id);
    CHECK(codec.pending() == 0);
}

TEST_CASE("rpc client: notifications and batches") {
    client_codec codec;
    auto in = codec.receive(
        R"({"jsonrpc":"2.0","method":"changed","params":{"subscription":1,"key":"k","value":[1],"seq":9}})");
    REQUIRE(in);
    REQUIRE(in->size() == 1);
    const auto* n = std::get_if<rpc_notification>(&in->front());
    REQUIRE(n != nullptr);
    CHECK(n->method == "changed");
    CHECK(n->params["seq"].GetInt() == 9);

    in = codec.receive(R"({"jsonrpc":"2.0","method":"bye"})");
    REQUIRE(in);
    CHECK(std::get<rpc_notification>(in->front()).params.IsNull());

    auto a = codec.request("get", R"({"key":"a"})");
    auto b = codec.request("get", R"({"key":"b"})");
    REQUIRE((a && b));
    in = codec.receive(
        R"([{"jsonrpc":"2.0","id":2,"result":2},{"jsonrpc":"2.0","id":1,"result":1}])");
    REQUIRE(in);
    CHECK(response_at(*in, 0).result.GetInt() == 2);
    CHECK(response_at(*in, 0).method == "get");
    CHECK(response_at(*in, 1).result.GetInt() == 1);
    CHECK(codec.pending() == 0);
}

TEST_CASE("rpc client: anything but a valid response or notification is a bad response") {
    for (const char* line : {
             "not json",
             "[]",
             "1",
             R"({"id":1,"result":1})",
             R"({"jsonrpc":"1.0","id":1,"result":1})",
             R"({"jsonrpc":"2.0","result":1})",
             R"({"jsonrpc":"2.0","id":1})",
             R"({"jsonrpc":"2.0","id":1,"result":1,"error":{"code":1,"message":"x"}})",
             R"({"jsonrpc":"2.0","id":true,"result":1})",
             R"({"jsonrpc":"2.0","id":1,"error":"failed"})",
             R"({"jsonrpc":"2.0","id":1,"error":{"message":"x"}})",
             R"({"jsonrpc":"2.0","id":1,"error":{"code":1.5,"message":"x"}})",
             R"({"jsonrpc":"2.0","id":1,"error":{"code":1}})",
             R"({"jsonrpc":"2.0","id":1,"method":"callback"})",
             R"({"jsonrpc":"2.0","method":5})",
             R"({"jsonrpc":"2.0","method":"changed","params":"x"})",
             R"([{"jsonrpc":"2.0","id":1,"result":1},2])",
         }) {
        CAPTURE(line);
        const auto in = parse_incoming_line(line);
        REQUIRE_FALSE(in);
        CHECK(in.err().code == mps3::errc::bad_response);
    }
    // 100,000 levels from a confused server are refused like from a client.
    const auto deep = parse_incoming_line(std::string(100000, '['));
    REQUIRE_FALSE(deep);
    CHECK(deep.err().code == mps3::errc::bad_response);
}

TEST_CASE("rpc client: a round trip through the dispatcher, framing included") {
    dispatcher server;
    server.add_sync("get", [](const request& r) -> rpc_result<std::string> {
        const auto key = r.args().required_string("key");
        if (!key) {
            return key.err();
        }
        if (auto unknown = r.args().only({"key", "store"})) {
            return *unknown;
        }
        json_builder out;
        out.begin_object().key("found").boolean(true).key("value").string(*key).end_object();
        return out.str();
    });

    client_codec client;
    std::string wire;
    for (const char* params : {R"({"key":"k1"})", R"({"key":7})", R"({"key":"k","stoer":"s"})"}) {
        auto out = client.request("get", params);
        REQUIRE(out);
        wire += out->line;
    }
    auto unknown = client.request("gte");
    REQUIRE(unknown);
    wire += unknown->line;

    // Server side: the bytes arrive in awkward chunks.
    line_splitter server_frames;
    std::string replies;
    for (std::size_t at = 0; at < wire.size(); at += 13) {
        const std::string chunk = wire.substr(at, 13);
        server_frames.feed(chunk);
        while (auto f = server_frames.next()) {
            REQUIRE(f->type == frame::kind::line);
            server.dispatch(f->text, [&](const std::string& line) { replies += line; });
        }
    }

    line_splitter client_frames;
    client_frames.feed(replies);
    std::vector<rpc_response> got;
    while (auto f = client_frames.next()) {
        auto in = client.receive(f->text);
        REQUIRE(in);
        for (auto& item : *in) {
            got.push_back(std::move(std::get<rpc_response>(item)));
        }
    }
    REQUIRE(got.size() == 4);
    CHECK(got[0].ok());
    CHECK(got[0].result["value"] == "k1");
    CHECK(got[1].error->is(rpc_code::invalid_params));
    CHECK(got[1].error->message == "Invalid params: 'key' must be a string, not a number");
    CHECK(got[2].error->message == "Invalid params: unknown parameter 'stoer'");
    CHECK(got[3].error->is(rpc_code::method_not_found));
    CHECK(got[3].method == "gte");
    CHECK(client.pending() == 0);
}

TEST_CASE("rpc client: ids the codec did not make are matched exactly too") {
    const auto line =
        *make_request_line(*rpc_id::from_numeral("123456789012345678901234567890"), "status");
    dispatcher server;
    server.add_sync("status",
                    [](const request&) -> rpc_result<std::string> { return std::string("{}"); });
    std::string reply;
    server.dispatch(line, [&](std::string l) { reply = std::move(l); });
    const auto in = parse_incoming_line(reply);
    REQUIRE(in);
    CHECK(response_at(*in).id.text() == "123456789012345678901234567890");
    CHECK_FALSE(rpc_id::from_numeral("01"));
    CHECK_FALSE(rpc_id::from_numeral("1."));
    CHECK_FALSE(rpc_id::from_numeral("+1"));
    CHECK_FALSE(rpc_id::from_numeral(""));
    CHECK_FALSE(rpc_id::from_numeral("1e"));
    CHECK(rpc_id::from_numeral("-0.5e+10"));
}
