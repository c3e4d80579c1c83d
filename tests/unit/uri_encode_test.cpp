// URI encoding for SigV4 paths and query strings. The keys below are the ones that break naive
// encoders (form encoding's '+', XML-hostile characters, '%' itself, non-ASCII); the signature
// and the request line both come from these functions, so one mistake fails every such key.
#include "s3/uri_encode.hpp"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

using namespace mps3::s3::detail;
using params = std::vector<std::pair<std::string, std::string>>;

TEST_CASE("uri_encode keeps exactly the unreserved characters") {
    // The path of AWS's get-unreserved / get-vanilla-query-unreserved vectors.
    const std::string unreserved =
        "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    CHECK(uri_encode(unreserved, true) == unreserved);
    CHECK(uri_encode(unreserved, false) == unreserved);
    CHECK(uri_encode("", true) == "");
    // Reserved in RFC 3986 but not unreserved: SigV4 encodes them.
    CHECK(uri_encode("!*()'", true) == "%21%2A%28%29%27");
}

TEST_CASE("uri_encode: space is %20 and '+' is %2B, never form encoding") {
    CHECK(uri_encode("a b", true) == "a%20b");
    CHECK(uri_encode("a+b", true) == "a%2Bb");
    CHECK(uri_encode("a b+c@d%e", false) == "a%20b%2Bc%40d%25e");
}

TEST_CASE("uri_encode: '%' is encoded, so an already-encoded string is encoded again") {
    CHECK(uri_encode("%", true) == "%25");
    CHECK(uri_encode("a%20b", true) == "a%2520b");
}

TEST_CASE("uri_encode: UTF-8 byte by byte with upper-case hex") {
    CHECK(uri_encode("\xC3\xA9", true) == "%C3%A9");         // é
    CHECK(uri_encode("\xE1\x88\xB4", true) == "%E1%88%B4");  // ሴ, as in AWS get-utf8
    CHECK(uri_encode(std::string("\x00\xff", 2), true) == "%00%FF");
}

TEST_CASE("uri_encode: XML and HTML special characters") {
    CHECK(uri_encode(R"(&<>"')", true) == "%26%3C%3E%22%27");
}

TEST_CASE("uri_encode: '/' kept in paths, encoded in query values") {
    CHECK(uri_encode("a/b/c.json", false) == "a/b/c.json");
    CHECK(uri_encode("a/b/c.json", true) == "a%2Fb%2Fc.json");
    CHECK(uri_encode("~", true) == "~");
}

TEST_CASE("uri_encode: the keys of the issue") {
    CHECK(uri_encode("&$@=;  :+,?", false) == "%26%24%40%3D%3B%20%20%3A%2B%2C%3F");
    CHECK(uri_encode("&lt", false) == "%26lt");
    CHECK(uri_encode("<![CDATA[...]]>", false) == "%3C%21%5BCDATA%5B...%5D%5D%3E");
    CHECK(uri_encode(R"(\{^}%\]">[~#|)", false) == "%5C%7B%5E%7D%25%5C%5D%22%3E%5B~%23%7C");
    CHECK(uri_encode("foo<Contents>", false) == "foo%3CContents%3E");
    CHECK(uri_encode("a/b/c.json", false) == "a/b/c.json");
}

TEST_CASE("object_path is path-style with the key's '/' kept") {
    CHECK(object_path("bucket", "a/b/c.json") == "/bucket/a/b/c.json");
    CHECK(object_path("bucket", "a b") == "/bucket/a%20b");
    CHECK(object_path("bucket", "&$@=;  :+,?") == "/bucket/%26%24%40%3D%3B%20%20%3A%2B%2C%3F");
    CHECK(object_path("bucket", "\xC3\xA9t\xC3\xA9") == "/bucket/%C3%A9t%C3%A9");
    // Leading, doubled and trailing slashes are part of the key: S3 does not normalise paths.
    CHECK(object_path("bucket", "/a//b/") == "/bucket//a//b/");
    CHECK(object_path("bucket", "") == "/bucket/");
}

TEST_CASE("canonical_query: empty, single, and empty value") {
    CHECK(canonical_query({}) == "");
    CHECK(canonical_query(params{{"list-type", "2"}}) == "list-type=2");
    CHECK(canonical_query(params{{"versioning", ""}}) == "versioning=");
}

TEST_CASE("canonical_query sorts by name then by value") {
    // AWS get-vanilla-query-order-key-case and get-vanilla-query-order-value inputs.
    CHECK(canonical_query(params{{"Param2", "value2"}, {"Param1", "value1"}}) ==
          "Param1=value1&Param2=value2");
    CHECK(canonical_query(params{{"Param1", "value2"}, {"Param1", "value1"}}) ==
          "Param1=value1&Param1=value2");
    // Upper case sorts before lower case (byte order, not case-insensitive).
    CHECK(canonical_query(params{{"b", "1"}, {"B", "2"}, {"a", "3"}}) == "B=2&a=3&b=1");
}

TEST_CASE("canonical_query encodes names and values, '/' included") {
    CHECK(canonical_query(params{{"prefix", "a/b/c.json"}}) == "prefix=a%2Fb%2Fc.json");
    CHECK(canonical_query(params{{"prefix", "a b+c"}}) == "prefix=a%20b%2Bc");
    CHECK(canonical_query(params{{"start-after", "foo<Contents>"}, {"list-type", "2"}}) ==
          "list-type=2&start-after=foo%3CContents%3E");
    CHECK(canonical_query(params{{"prefix", R"(\{^}%\]">[~#|)"}}) ==
          "prefix=%5C%7B%5E%7D%25%5C%5D%22%3E%5B~%23%7C");
}

TEST_CASE("canonical_query sorts after encoding (AWS post-vanilla-query-nonunreserved)") {
    // The suite's decoded names "@#$%^" and "+" with every reserved character in the value;
    // the expected string is the third line of post-vanilla-query-nonunreserved.creq.
    const params query{{"@#$%^", ""}, {"+", R"(/,?><`";:\|][{})"}};
    CHECK(canonical_query(query) ==
          "%2B=%2F%2C%3F%3E%3C%60%22%3B%3A%5C%7C%5D%5B%7B%7D&%40%23%24%25%5E=");
}

TEST_CASE("canonical_query: spaces in names and values (AWS post-vanilla-query-space)") {
    CHECK(canonical_query(params{{"p aram1", "val ue1"}}) == "p%20aram1=val%20ue1");
}

TEST_CASE("canonical_query: UTF-8 names (AWS get-vanilla-utf8-query)") {
    CHECK(canonical_query(params{{"\xE1\x88\xB4", "bar"}}) == "%E1%88%B4=bar");
}
