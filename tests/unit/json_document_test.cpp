// Parsing bytes from a shared bucket: garbage must be an error with a message, never a crash.
#include "json/document.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <ostream>  // doctest prints std::error_code with it
#include <string>
#include <vector>

using mps3::json::parse;
using mps3::json::serialize;

TEST_CASE("json parse: accepts any JSON value, pretty or compact") {
    CHECK(parse("1").has_value());
    CHECK(parse("\"\"").has_value());
    CHECK(parse("null").has_value());
    CHECK(parse(" \n{\n  \"a\": [\n    1,\n    2\n  ]\n}\n ").has_value());
    CHECK(serialize(parse(" { \"a\" : [ 1 , 2 ] } ").value()).value() == R"({"a":[1,2]})");
}

TEST_CASE("json parse: rejects garbage with a message") {
    for (const std::string& bad : std::vector<std::string>{
             "", " ", "{", "}", "{\"a\":}", "[1,]", "{\"a\":1}x", "nul", "NaN", "Infinity", "'a'",
             "{a:1}", "1 2", "\"\xff\"", "\"\xc3\x28\"", std::string("1\0", 2),
             std::string("{\"a\":\"\0\"}", 9), "\"\x01\""}) {
        const auto parsed = parse(bad);
        CHECK_MESSAGE(!parsed.has_value(), bad);
        if (!parsed.has_value()) {
            CHECK(parsed.err().code == mps3::errc::invalid_argument);
            CHECK(!parsed.err().message.empty());
        }
    }
}

TEST_CASE("json parse: nesting is bounded") {
    const auto nested = [](std::size_t n) { return std::string(n, '[') + std::string(n, ']'); };
    CHECK(parse(nested(100)).has_value());
    CHECK(parse(nested(mps3::json::default_max_depth)).has_value());
    const auto deep = parse(nested(mps3::json::default_max_depth + 1));
    REQUIRE_FALSE(deep.has_value());
    CHECK(deep.err().message.find("deeper") != std::string::npos);
    // A million levels: the iterative parser and the limiter keep the stack flat.
    CHECK_FALSE(parse(nested(1000000)).has_value());
    CHECK(parse(nested(3), 3).has_value());
    CHECK_FALSE(parse(nested(4), 3).has_value());
    CHECK_FALSE(parse(R"({"a":{"b":{"c":{}}}})", 3).has_value());
}

TEST_CASE("json parse: numbers keep their precision") {
    CHECK(serialize(parse("0.1").value()).value() == "0.1");
    CHECK(serialize(parse("1e300").value()).value() == "1e300");
    CHECK(serialize(parse("9007199254740993").value()).value() == "9007199254740993");
    // RapidJSON's Grisu2 output is not always the shortest text, but it always reads back as the
    // same double.
    for (const char* number : {"-0.30000000000000004", "5e-324", "1.7976931348623157e308",
                               "2.2250738585072014e-308", "123456.789e-3"}) {
        const auto once = parse(number);
        REQUIRE(once.has_value());
        const auto again = parse(serialize(*once).value());
        REQUIRE(again.has_value());
        CHECK_MESSAGE(once->GetDouble() == again->GetDouble(), number);
    }
}

// Found by tests/fuzz (issue 11): RapidJSON 1.1.0's full-precision conversion read "0e50" as
// -1.55e-266, "1.8e308" as NaN and a 309-digit integer with ".0" as 1.8e305.
TEST_CASE("json parse: numbers are read exactly, or refused when beyond a double") {
    for (const char* zero :
         {"0e50", "0E+23", "0.0e-400", "0.00000000000000000000000e300", "0.0", "0e0", "[0e99]"}) {
        const auto parsed = parse(zero);
        REQUIRE_MESSAGE(parsed.has_value(), zero);
        const auto& v = parsed->IsArray() ? (*parsed)[0] : *parsed;
        CHECK_MESSAGE((v.IsDouble() && v.GetDouble() == 0.0 && !std::signbit(v.GetDouble())), zero);
    }
    const auto negative = parse("-0e50");
    REQUIRE(negative.has_value());
    CHECK((negative->IsDouble() && negative->GetDouble() == 0.0 &&
           std::signbit(negative->GetDouble())));
    // Integers stay integers; other numbers are read as before.
    CHECK(parse("0").value().IsInt());
    CHECK(parse("-0").value().IsInt());
    CHECK(parse("-9223372036854775808").value().IsInt64());
    CHECK(parse("18446744073709551615").value().IsUint64());
    CHECK(parse("18446744073709551616").value().IsDouble());
    CHECK(parse("1e-400").value().GetDouble() == 0.0);
    CHECK(parse("0.5e1").value().GetDouble() == 5.0);
    CHECK(parse("-1e-400").value().GetDouble() == 0.0);
    CHECK(parse("2.4703282292062328e-324").value().GetDouble() == 5e-324);
    CHECK(parse("1.7976931348623158e308").value().GetDouble() == 1.7976931348623157e308);
    const std::string big = "17976931348623157" + std::string(292, '0');
    CHECK(parse(big + ".0").value().GetDouble() == 1.7976931348623157e308);
    for (const std::string& beyond :
         {std::string("1e400"), std::string("-1e400"), std::string("1.8e308"),
          std::string("1.7976931348623159e308"), "18" + std::string(308, '0') + ".0"}) {
        const auto parsed = parse(beyond);
        CHECK_MESSAGE(!parsed.has_value(), beyond);
    }
}

// Found by tests/fuzz (issue 11): RapidJSON 1.1.0 accepted a lone low surrogate escape and
// stored bytes that are not UTF-8, so the parsed value could not be serialised again.
TEST_CASE("json parse: lone surrogate escapes are refused, pairs are read") {
    for (const char* bad :
         {R"("\ude00")", R"(["a\udfff"])", R"({"\udc00":1})", R"("\ud800")", R"("\ud800x")"}) {
        CHECK_MESSAGE(!parse(bad).has_value(), bad);
    }
    const auto pair = parse(R"("\ud83d\ude00")");
    REQUIRE(pair.has_value());
    CHECK(std::string(pair->GetString()) == "\xf0\x9f\x98\x80");
}

TEST_CASE("json serialize: UTF-8 in, UTF-8 out; invalid UTF-8 refused") {
    const auto text = parse("\"\xc3\xa9t\xc3\xa9 \\u00e9 \\ud83d\\ude00\"");
    REQUIRE(text.has_value());
    CHECK(serialize(*text).value() == "\"\xc3\xa9t\xc3\xa9 \xc3\xa9 \xf0\x9f\x98\x80\"");
    rapidjson::Document bad;
    bad.SetString("\xff\xfe", bad.GetAllocator());
    CHECK_FALSE(serialize(bad).has_value());
    CHECK_FALSE(mps3::json::serialize_pretty(bad).has_value());
}

TEST_CASE("json serialize_pretty: two-space indentation like MPS3") {
    CHECK(mps3::json::serialize_pretty(parse(R"({"a":[1]})").value()).value() ==
          "{\n  \"a\": [\n    1\n  ]\n}");
}

TEST_CASE("is_valid_utf8: RFC 3629") {
    using mps3::json::is_valid_utf8;
    CHECK(is_valid_utf8(""));
    CHECK(is_valid_utf8("plain ascii/key.json"));
    CHECK(is_valid_utf8("\xc3\xa9"));              // U+00E9
    CHECK(is_valid_utf8("\xe2\x82\xac"));          // U+20AC
    CHECK(is_valid_utf8("\xf0\x9f\x98\x80"));      // U+1F600
    CHECK(is_valid_utf8("\xf4\x8f\xbf\xbf"));      // U+10FFFF
    CHECK(is_valid_utf8(std::string("a\0b", 3)));  // NUL is a character
    CHECK_FALSE(is_valid_utf8("\xff"));
    CHECK_FALSE(is_valid_utf8("\x80"));              // lone continuation
    CHECK_FALSE(is_valid_utf8("\xc3"));              // truncated
    CHECK_FALSE(is_valid_utf8("\xe2\x82"));          // truncated
    CHECK_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
    CHECK_FALSE(is_valid_utf8("\xe0\x80\xaf"));      // overlong '/'
    CHECK_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate U+D800
    CHECK_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // above U+10FFFF
    CHECK_FALSE(is_valid_utf8("\xf5\x80\x80\x80"));
    CHECK_FALSE(is_valid_utf8("\xc3\x28"));  // bad continuation
}
