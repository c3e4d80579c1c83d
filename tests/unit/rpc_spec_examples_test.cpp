// Section 7 of the JSON-RPC 2.0 specification, example by example, through the dispatcher.
// Our error messages add detail after the specification's text ("Method not found: 'foobar'"),
// so errors are compared by code, by that prefix, and with messages and data normalised.
#include <mps3/ipc/dispatcher.hpp>
#include <mps3/ipc/json_builder.hpp>

#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <ostream>
#include <string>
#include <vector>

using namespace mps3::ipc;

namespace {

std::vector<std::string> run(const dispatcher& d, std::string_view line) {
    std::vector<std::string> out;
    d.dispatch(line, [&](std::string l) { out.push_back(std::move(l)); });
    return out;
}

// Replaces each error message by the specification's text, checking that ours starts with it.
void normalise(rapidjson::Value& v, rapidjson::Document::AllocatorType& alloc) {
    if (v.IsArray()) {
        for (auto& e : v.GetArray()) {
            normalise(e, alloc);
        }
        return;
    }
    if (!v.IsObject()) {
        return;
    }
    const auto error = v.FindMember("error");
    if (error == v.MemberEnd()) {
        return;
    }
    auto& e = error->value;
    const std::string spec(standard_message(e.FindMember("code")->value.GetInt()));
    auto& message = e.FindMember("message")->value;
    CHECK(std::string(message.GetString()).starts_with(spec));
    message.SetString(spec.c_str(), static_cast<rapidjson::SizeType>(spec.size()), alloc);
    e.RemoveMember("data");
}

// One response line, equal as JSON (member order aside) to the specification's.
void check_response(const std::vector<std::string>& got, const std::string& expected) {
    REQUIRE(got.size() == 1);
    const std::string& line = got.front();
    CHECK(line.back() == '\n');
    CHECK(line.find('\n') == line.size() - 1);
    rapidjson::Document actual;
    actual.Parse(line.c_str());
    REQUIRE_FALSE(actual.HasParseError());
    normalise(actual, actual.GetAllocator());
    rapidjson::Document want;
    want.Parse(expected.c_str());
    REQUIRE_FALSE(want.HasParseError());
    CHECK_MESSAGE(actual == want, line);
}

std::string number(std::int64_t n) {
    return std::to_string(n);
}

// The specification's methods: subtract (positional or named), sum, get_data, and
// notification targets that record that they ran.
struct example_server {
    dispatcher d;
    std::vector<std::string> notified;

    example_server() {
        d.add_sync("subtract", [](const request& r) -> rpc_result<std::string> {
            const auto* p = r.args().raw();
            if (p != nullptr && p->IsArray() && p->Size() == 2 && (*p)[0].IsInt64() &&
                (*p)[1].IsInt64()) {
                return number((*p)[0].GetInt64() - (*p)[1].GetInt64());
            }
            const auto minuend = r.args().required_int("minuend");
            if (!minuend) {
                return minuend.err();
            }
            const auto subtrahend = r.args().required_int("subtrahend");
            if (!subtrahend) {
                return subtrahend.err();
            }
            return number(*minuend - *subtrahend);
        });
        d.add_sync("sum", [](const request& r) -> rpc_result<std::string> {
            std::int64_t total = 0;
            for (const auto& v : r.args().raw()->GetArray()) {
                total += v.GetInt64();
            }
            return number(total);
        });
        d.add_sync("get_data", [](const request&) -> rpc_result<std::string> {
            return std::string(R"(["hello",5])");
        });
        for (const char* name : {"update", "notify_hello", "notify_sum"}) {
            d.add(name, [this](const request& r, reply& answer) {
                CHECK_FALSE(answer.wants_response());
                notified.push_back(r.method);
                answer.result("null");
            });
        }
    }
};

}  // namespace

TEST_CASE("rpc spec 7: rpc call with positional parameters") {
    example_server s;
    check_response(
        run(s.d, R"({"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1})"),
        R"({"jsonrpc": "2.0", "result": 19, "id": 1})");
    check_response(
        run(s.d, R"({"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2})"),
        R"({"jsonrpc": "2.0", "result": -19, "id": 2})");
}

TEST_CASE("rpc spec 7: rpc call with named parameters") {
    example_server s;
    check_response(
        run(s.d,
            R"({"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3})"),
        R"({"jsonrpc": "2.0", "result": 19, "id": 3})");
    check_response(
        run(s.d,
            R"({"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4})"),
        R"({"jsonrpc": "2.0", "result": 19, "id": 4})");
}

TEST_CASE("rpc spec 7: a notification gets no response, even for a method that does not exist") {
    example_server s;
    CHECK(run(s.d, R"({"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]})").empty());
    CHECK(run(s.d, R"({"jsonrpc": "2.0", "method": "foobar"})").empty());
    CHECK(s.notified == std::vector<std::string>{"update"});
}

TEST_CASE("rpc spec 7: rpc call of non-existent method") {
    example_server s;
    const auto out = run(s.d, R"({"jsonrpc": "2.0", "method": "foobar", "id": "1"})");
    check_response(
        out,
        R"({"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"})");
    CHECK(out.front().find("'foobar'") != std::string::npos);
}

TEST_CASE("rpc spec 7: rpc call with invalid JSON") {
    example_server s;
    check_response(
        run(s.d, R"({"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz])"),
        R"({"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null})");
}

TEST_CASE("rpc spec 7: rpc call with invalid Request object") {
    example_server s;
    check_response(
        run(s.d, R"({"jsonrpc": "2.0", "method": 1, "params": "bar"})"),
        R"({"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null})");
}

TEST_CASE("rpc spec 7: rpc call Batch, invalid JSON") {
    example_server s;
    check_response(
        run(s.d, R"([
  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
  {"jsonrpc": "2.0", "method"
])"),
        R"({"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null})");
}

TEST_CASE("rpc spec 7: rpc call with an empty Array") {
    example_server s;
    check_response(
        run(s.d, "[]"),
        R"({"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null})");
}

TEST_CASE("rpc spec 7: rpc call with an invalid Batch (but not empty)") {
    example_server s;
    check_response(
        run(s.d, "[1]"),
        R"([{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}])");
}

TEST_CASE("rpc spec 7: rpc call with invalid Batch") {
    example_server s;
    check_response(run(s.d, "[1,2,3]"), R"([
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
  {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}
])");
}

TEST_CASE("rpc spec 7: rpc call Batch") {
    example_server s;
    check_response(run(s.d, R"([
        {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
        {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
        {"foo": "boo"},
        {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
        {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
    ])"),
                   R"([
        {"jsonrpc": "2.0", "result": 7, "id": "1"},
        {"jsonrpc": "2.0", "result": 19, "id": "2"},
        {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
        {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
        {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}
    ])");
    CHECK(s.notified == std::vector<std::string>{"notify_hello"});
}

TEST_CASE("rpc spec 7: rpc call Batch (all notifications)") {
    example_server s;
    CHECK(run(s.d, R"([
        {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
    ])")
              .empty());
    CHECK(s.notified == std::vector<std::string>{"notify_sum", "notify_hello"});
}

TEST_CASE("rpc spec: named params of the wrong type are -32602 naming the parameter") {
    example_server s;
    const auto out = run(
        s.d,
        R"({"jsonrpc":"2.0","method":"subtract","params":{"minuend":"42","subtrahend":1},"id":5})");
    check_response(
        out, R"({"jsonrpc":"2.0","error":{"code":-32602,"message":"Invalid params"},"id":5})");
    CHECK(out.front().find("'minuend' must be an integer, not a string") != std::string::npos);
}
