// Parsing a client's line per JSON-RPC 2.0: what is a request, a notification, a batch, and what
// earns -32700 or -32600 (with which id). Bytes from any local process must give an error,
// never a crash, and never a deep recursion.
#include <mps3/ipc/message.hpp>

#include "json/document.hpp"

#include <doctest/doctest.h>

#include <ostream>
#include <string>
#include <vector>

using namespace mps3::ipc;

namespace {

const request& as_request(const message& m, std::size_t i = 0) {
    REQUIRE(i < m.items.size());
    const auto* r = std::get_if<request>(&m.items[i]);
    REQUIRE_MESSAGE(r != nullptr, std::get<rejected>(m.items[i]).error.message);
    return *r;
}

const rejected& as_rejected(const message& m, std::size_t i = 0) {
    REQUIRE(i < m.items.size());
    const auto* r = std::get_if<rejected>(&m.items[i]);
    REQUIRE(r != nullptr);
    return *r;
}

rejected refused(std::string_view line) {
    const auto m = parse_message(line);
    REQUIRE(m.items.size() == 1);
    return as_rejected(m);
}

std::string nested(std::size_t depth) {
    return std::string(depth, '[') + std::string(depth, ']');
}

}  // namespace

TEST_CASE("rpc message: a request, a notification, params by name or position") {
    auto m = parse_message(R"({"jsonrpc":"2.0","method":"get","params":{"key":"a"},"id":7})");
    CHECK_FALSE(m.batch);
    const auto& r = as_request(m);
    CHECK(r.method == "get");
    REQUIRE(r.id);
    CHECK(*r.id == rpc_id::from_int(7));
    REQUIRE(r.params_value);
    CHECK((*r.params_value)["key"] == "a");

    m = parse_message(R"({"jsonrpc":"2.0","method":"update","params":[1,2]})");
    CHECK(as_request(m).is_notification());
    CHECK(as_request(m).params_value->IsArray());

    m = parse_message(R"({"method":"status","jsonrpc":"2.0","id":"x"})");
    CHECK(as_request(m).params_value == nullptr);
    // Members JSON-RPC does not define are ignored, as the specification allows.
    m = parse_message(R"({"jsonrpc":"2.0","method":"m","id":1,"extra":{"a":[1]}})");
    CHECK(as_request(m).method == "m");
}

TEST_CASE("rpc message: the params outlive the message they came in") {
    std::shared_ptr<const rapidjson::Value> params;
    {
        auto m = parse_message(R"({"jsonrpc":"2.0","method":"m","params":{"v":[1,2,3]},"id":1})");
        params = as_request(m).params_value;
    }
    REQUIRE(params);
    CHECK((*params)["v"].Size() == 3);
}

TEST_CASE("rpc message: ids of every type are kept exactly as sent") {
    const auto id_of = [](const std::string& id_json) {
        const auto m = parse_message(R"({"jsonrpc":"2.0","method":"m","id":)" + id_json + "}");
        const auto& r = as_request(m);
        REQUIRE(r.id);
        return *r.id;
    };
    CHECK(id_of("0").text() == "0");
    CHECK(id_of("-17").text() == "-17");
    CHECK(id_of("9223372036854775807").text() == "9223372036854775807");
    CHECK(id_of("-9223372036854775808").text() == "-9223372036854775808");
    CHECK(id_of("18446744073709551615").text() == "18446744073709551615");
    CHECK(id_of("9007199254740993").text() == "9007199254740993");  // 2^53 + 1: not a double
    CHECK(id_of("123456789012345678901234567890").text() == "123456789012345678901234567890");
    CHECK(id_of("1.50").text() == "1.50");
    CHECK(id_of("1e3").text() == "1e3");
    CHECK(id_of("-0").text() == "-0");
    CHECK(id_of("2.5E-7").text() == "2.5E-7");
    for (const auto& id : {id_of("1"), id_of("1.5"), id_of("123456789012345678901234567890")}) {
        CHECK(id.type() == rpc_id::kind::number);
        CHECK(id.to_json() == id.text());
    }
    CHECK(id_of("1").as_int() == 1);
    CHECK_FALSE(id_of("1.5").as_int());

    CHECK(id_of(R"("abc")") == rpc_id::from_string("abc"));
    CHECK(id_of(R"("")") == rpc_id::from_string(""));
    CHECK(id_of(R"("\u00e9\n\"")").text() == "\xc3\xa9\n\"");
    CHECK(id_of(R"("\u00e9\n\"")").to_json() == "\"\xc3\xa9\\n\\\"\"");
    CHECK(id_of(R"("1")") != id_of("1"));  // "1" and 1 are different ids

    // A null id is a request (it gets a response), not a notification.
    CHECK(id_of("null").is_null());
    CHECK(id_of("null").to_json() == "null");
}

TEST_CASE("rpc message: numeric ids in a batch are matched to their own elements") {
    const auto m =
        parse_message(R"([{"jsonrpc":"2.0","method":"a","params":{"id":1.25},"id":1.10},)"
                      R"({"jsonrpc":"2.0","method":"b","id":"s"},)"
                      R"({"id":2.20,"id":3.30,"jsonrpc":"2.0","method":"c"},)"
                      R"(7,)"
                      R"({"jsonrpc":"2.0","method":"d","id":123456789012345678901234567890}])");
    CHECK(m.batch);
    REQUIRE(m.items.size() == 5);
    CHECK(as_request(m, 0).id->text() == "1.10");
    CHECK(as_request(m, 1).id->text() == "s");
    CHECK(as_rejected(m, 2).error.is(rpc_code::invalid_request));  // "id" twice
    CHECK(as_rejected(m, 3).error.is(rpc_code::invalid_request));
    CHECK(as_request(m, 4).id->text() == "123456789012345678901234567890");
}

TEST_CASE("rpc message: an id of another type is an invalid request answered with id null") {
    for (const char* id : {"true", "false", "{}", "[]", "[1]", R"({"a":1})"}) {
        const auto r = refused(std::string(R"({"jsonrpc":"2.0","method":"m","id":)") + id + "}");
        CHECK(r.error.is(rpc_code::invalid_request));
        CHECK(r.id.is_null());
        CHECK(r.error.message.find("'id'") != std::string::npos);
    }
}

TEST_CASE("rpc message: invalid requests, with the id echoed when it was readable") {
    struct bad_case {
        std::string line;
        std::string mentions;
        rpc_id id;
    };
    const std::vector<bad_case> cases = {
        {R"({"method":"m","id":1})", "jsonrpc", rpc_id::from_int(1)},
        {R"({"jsonrpc":"1.0","method":"m","id":1})", "jsonrpc", rpc_id::from_int(1)},
        {R"({"jsonrpc":2.0,"method":"m","id":"a"})", "jsonrpc", rpc_id::from_string("a")},
        {R"({"jsonrpc":"2.0","id":1})", "method", rpc_id::from_int(1)},
        {R"({"jsonrpc":"2.0","method":1,"params":"bar"})", "method", rpc_id()},
        {R"({"jsonrpc":"2.0","method":null,"id":2})", "method", rpc_id::from_int(2)},
        {R"({"jsonrpc":"2.0","method":["m"],"id":2})", "method", rpc_id::from_int(2)},
        {R"({"jsonrpc":"2.0","method":"m","params":"bar","id":3})", "params", rpc_id::from_int(3)},
        {R"({"jsonrpc":"2.0","method":"m","params":null,"id":3})", "params", rpc_id::from_int(3)},
        {R"({"jsonrpc":"2.0","method":"m","params":5})", "params", rpc_id()},
        {R"({"jsonrpc":"2.0","method":"m","params":true})", "params", rpc_id()},
        {R"({"jsonrpc":"2.0","method":"a","method":"b","id":1})", "twice", rpc_id()},
        {R"({"jsonrpc":"2.0","jsonrpc":"2.0","method":"a"})", "twice", rpc_id()},
        {"1", "object", rpc_id()},
        {R"("a string")", "object", rpc_id()},
        {"null", "object", rpc_id()},
        {"true", "object", rpc_id()},
        {"[]", "empty batch", rpc_id()},
    };
    for (const auto& c : cases) {
        CAPTURE(c.line);
        const auto r = refused(c.line);
        CHECK(r.error.is(rpc_code::invalid_request));
        CHECK(r.error.message.starts_with("Invalid Request: "));
        CHECK(r.error.message.find(c.mentions) != std::string::npos);
        CHECK(r.id == c.id);
    }
}

TEST_CASE("rpc message: what is not JSON is a parse error with id null") {
    const std::vector<std::string> lines = {
        R"({"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz])",
        R"([{"jsonrpc":"2.0","method":"sum","params":[1,2,4],"id":"1"},{"jsonrpc":"2.0","method")",
        "{",
        "}",
        "[1,]",
        R"({"a":1} {"b":2})",
        "NaN",
        "'single'",
        "nul",
        std::string(R"({"jsonrpc":"2.0","method":"m)") + '\0' + R"(","id":1})",
        std::string(4, '\0'),
        std::string(1, '\0') + "\x01\x02\x03",
        "\xff\xfe\xfd",
    };
    for (const auto& line : lines) {
        CAPTURE(line);
        const auto r = refused(line);
        CHECK(r.error.is(rpc_code::parse_error));
        CHECK(r.error.message.starts_with("Parse error: "));
        CHECK(r.id.is_null());
    }
}

TEST_CASE("rpc message: invalid UTF-8 anywhere is a parse error") {
    for (const std::string bad :
         {"\xff", "\xc3\x28", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "\x80"}) {
        CAPTURE(bad);
        CHECK(refused(R"({"jsonrpc":"2.0","method":")" + bad + R"(","id":1})")
                  .error.is(rpc_code::parse_error));
        CHECK(refused(R"({"jsonrpc":"2.0","method":"m","params":{"k":")" + bad + R"("},"id":1})")
                  .error.is(rpc_code::parse_error));
        CHECK(refused(R"({"jsonrpc":"2.0","method":"m","params":{")" + bad + R"(":1},"id":1})")
                  .error.is(rpc_code::parse_error));
    }
    // A lone surrogate written as an escape is not a character either.
    CHECK(refused(R"({"jsonrpc":"2.0","method":"\ud800","id":1})").error.is(rpc_code::parse_error));
    // Valid multi-byte UTF-8 is fine.
    CHECK(
        as_request(parse_message("{\"jsonrpc\":\"2.0\",\"method\":\"\xf0\x9f\x98\x80\",\"id\":1}"))
            .method == "\xf0\x9f\x98\x80");
}

TEST_CASE("rpc message: 100,000 levels of nesting are refused cleanly, without recursion") {
    const std::size_t deep = 100000;
    CHECK(refused(std::string(deep, '[')).error.is(rpc_code::parse_error));
    CHECK(refused(nested(deep)).error.is(rpc_code::parse_error));
    std::string objects;
    for (std::size_t i = 0; i < deep; ++i) {
        objects += "{\"a\":";
    }
    CHECK(refused(objects + "1" + std::string(deep, '}')).error.is(rpc_code::parse_error));
    const auto in_params = refused(R"({"jsonrpc":"2.0","method":"put","params":{"value":)" +
                                   nested(deep) + R"(},"id":1})");
    CHECK(in_params.error.is(rpc_code::parse_error));
    CHECK(in_params.error.message.find("deeper") != std::string::npos);
    CHECK(refused("[" + std::string(R"({"jsonrpc":"2.0","method":"m","params":)") + nested(deep) +
                  "}]")
              .error.is(rpc_code::parse_error));
}

TEST_CASE("rpc message: a value as deep as the store accepts fits inside a batch") {
    const std::size_t depth = mps3::json::default_max_depth;
    const auto m = parse_message(R"([{"jsonrpc":"2.0","method":"putAll","params":{"ops":[)"
                                 R"({"key":"k","value":)" +
                                 nested(depth) + R"(}]},"id":1}])");
    CHECK(as_request(m).method == "putAll");
}

TEST_CASE("rpc message: batches are validated element by element, and bounded") {
    auto m = parse_message(R"([1,{"jsonrpc":"2.0","method":"a","id":1},{"foo":"boo"},)"
                           R"({"jsonrpc":"2.0","method":"n"},[]])");
    CHECK(m.batch);
    REQUIRE(m.items.size() == 5);
    CHECK(as_rejected(m, 0).error.is(rpc_code::invalid_request));
    CHECK(as_request(m, 1).method == "a");
    CHECK(as_rejected(m, 2).error.is(rpc_code::invalid_request));
    CHECK(as_request(m, 3).is_notification());
    CHECK(as_rejected(m, 4).error.is(rpc_code::invalid_request));

    // A one-element batch is still a batch (answered with an array).
    m = parse_message("[1]");
    CHECK(m.batch);
    CHECK(m.items.size() == 1);

    parse_limits limits;
    limits.max_batch = 3;
    const std::string one = R"({"jsonrpc":"2.0","method":"a"})";
    m = parse_message("[" + one + "," + one + "," + one + "]", limits);
    CHECK(m.items.size() == 3);
    m = parse_message("[" + one + "," + one + "," + one + "," + one + "]", limits);
    CHECK_FALSE(m.batch);
    REQUIRE(m.items.size() == 1);
    CHECK(as_rejected(m).error.is(rpc_code::invalid_request));
    CHECK(as_rejected(m).error.message.find("at most 3") != std::string::npos);
    CHECK(parse_limits{}.max_batch == 1000);
}
