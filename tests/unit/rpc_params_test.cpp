// Typed parameter extraction: each failure is -32602 with a message naming the parameter and the
// type expected, and the same in `data` for programs.
#include <mps3/ipc/params.hpp>

#include "json/document.hpp"

#include <doctest/doctest.h>

#include <ostream>
#include <string>

using namespace mps3::ipc;

namespace {

rapidjson::Document doc(const char* json) {
    auto parsed = mps3::json::parse(json);
    REQUIRE(parsed.has_value());
    return std::move(parsed).value();
}

template <class T>
void check_invalid(const rpc_result<T>& r, const std::string& message,
                   const std::string& data = "") {
    REQUIRE_FALSE(r.has_value());
    CHECK(r.err().is(rpc_code::invalid_params));
    CHECK(r.err().message == "Invalid params: " + message);
    if (!data.empty()) {
        REQUIRE(r.err().data);
        CHECK(*r.err().data == data);
    }
}

}  // namespace

TEST_CASE("rpc params: present values of the right type") {
    const auto d = doc(
        R"({"s":"text","b":true,"i":-42,"o":{"x":1},"a":[1,2],"n":null,"big":9007199254740993})");
    const params p(&d);
    CHECK(*p.required_string("s") == "text");
    CHECK(*p.required_bool("b") == true);
    CHECK(*p.required_int("i") == -42);
    CHECK(*p.required_int("big") == 9007199254740993);
    CHECK((*p.required_object("o"))->HasMember("x"));
    CHECK((*p.required_array("a"))->Size() == 2);
    CHECK((*p.required_value("n"))->IsNull());  // a null that is there is a value
    CHECK((*p.required_value("o"))->IsObject());
    CHECK(**p.optional_string("s") == "text");
    CHECK(**p.optional_bool("b") == true);
    CHECK(**p.optional_int("i", -100, 0) == -42);
    CHECK(*p.optional_object("o") != nullptr);
    CHECK(*p.optional_array("a") != nullptr);
    CHECK(*p.optional_value("n") != nullptr);
}

TEST_CASE(
    "rpc params: absent optional parameters are empty, absent required ones name themselves") {
    const auto d = doc("{}");
    for (const params p : {params(&d), params(nullptr)}) {
        CHECK_FALSE(p.optional_string("s")->has_value());
        CHECK_FALSE(p.optional_bool("b")->has_value());
        CHECK_FALSE(p.optional_int("i")->has_value());
        CHECK(*p.optional_object("o") == nullptr);
        CHECK(*p.optional_array("a") == nullptr);
        CHECK(*p.optional_value("v") == nullptr);
        check_invalid(p.required_string("key"), "'key' is required (a string)",
                      R"({"parameter":"key","expected":"a string"})");
        check_invalid(p.required_bool("online"), "'online' is required (a boolean)");
        check_invalid(p.required_int("limit", 1, 1000),
                      "'limit' is required (an integer from 1 to 1000)");
        check_invalid(p.required_object("o"), "'o' is required (an object)");
        check_invalid(p.required_array("keys"), "'keys' is required (an array)");
        check_invalid(p.required_value("value"), "'value' is required (a JSON value)",
                      R"({"parameter":"value","expected":"a JSON value"})");
    }
}

TEST_CASE("rpc params: a value of the wrong type names the parameter, the type expected and got") {
    const auto d = doc(R"({"s":1,"b":"true","i":"3","o":[],"a":{},"n":null})");
    const params p(&d);
    check_invalid(p.required_string("s"), "'s' must be a string, not a number",
                  R"({"parameter":"s","expected":"a string"})");
    check_invalid(p.optional_string("n"), "'n' must be a string, not null");
    check_invalid(p.required_bool("b"), "'b' must be a boolean, not a string");
    check_invalid(p.optional_bool("i"), "'i' must be a boolean, not a string");
    check_invalid(p.required_int("i"), "'i' must be an integer, not a string");
    check_invalid(p.optional_int("n"), "'n' must be an integer, not null");
    check_invalid(p.required_object("o"), "'o' must be an object, not an array");
    CHECK(*p.optional_object("a") != nullptr);
    check_invalid(p.required_array("a"), "'a' must be an array, not an object");
    check_invalid(p.optional_array("s"), "'s' must be an array, not a number");
}

TEST_CASE("rpc params: integers are whole, in range, and 64-bit") {
    const auto d = doc(
        R"({"frac":1.5,"exp":1e3,"whole_double":2.0,"huge":18446744073709551615,"neg":-5,"big":5000})");
    const params p(&d);
    check_invalid(p.required_int("frac"),
                  "'frac' must be an integer, not a number with a fraction");
    check_invalid(p.required_int("exp"), "'exp' must be an integer, not a number with a fraction");
    check_invalid(p.required_int("whole_double"),
                  "'whole_double' must be an integer, not a number with a fraction");
    check_invalid(p.required_int("huge"), "'huge' must be an integer, not a number this large");
    check_invalid(p.required_int("neg", 0), "'neg' must be an integer of at least 0, not -5",
                  R"({"parameter":"neg","expected":"an integer of at least 0"})");
    check_invalid(p.optional_int("big", 1, 1000),
                  "'big' must be an integer from 1 to 1000, not 5000");
    check_invalid(p.required_int("big", params::int_limit::min(), 10),
                  "'big' must be an integer of at most 10, not 5000");
    CHECK(*p.required_int("big", 5000, 5000) == 5000);
}

TEST_CASE("rpc params: positional params, duplicates and unknown names are refused") {
    const auto arr = doc("[1,2]");
    const params positional(&arr);
    check_invalid(positional.required_string("key"),
                  "named parameters (an object) expected, not an array");
    check_invalid(positional.optional_int("limit"),
                  "named parameters (an object) expected, not an array");
    REQUIRE(positional.only({"key"}));
    CHECK(positional.raw()->IsArray());

    const auto dup = doc(R"({"key":"a","key":"b"})");
    check_invalid(params(&dup).required_string("key"), "'key' is given twice");
    check_invalid(params(&dup).optional_value("key"), "'key' is given twice");

    const auto d = doc(R"({"key":"a","value":1,"awiat":"remote"})");
    const params p(&d);
    CHECK_FALSE(p.only({"key", "value", "awiat"}));
    const auto unknown = p.only({"key", "value", "await", "store"});
    REQUIRE(unknown);
    CHECK(unknown->is(rpc_code::invalid_params));
    CHECK(unknown->message == "Invalid params: unknown parameter 'awiat'");
    CHECK_FALSE(params(nullptr).only({}));

    // A long unknown name is quoted only in part, cut on a character boundary.
    const std::string long_name = std::string(63, 'x') + "\xc3\xa9" + std::string(100, 'y');
    const auto long_doc = doc(("{\"" + long_name + "\":1}").c_str());
    const auto cut = params(&long_doc).only({"key"});
    REQUIRE(cut);
    CHECK(cut->message == "Invalid params: unknown parameter '" + std::string(63, 'x') + "...'");
    CHECK(mps3::json::is_valid_utf8(cut->message));
}
