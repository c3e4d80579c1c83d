// Content refs split at the first '/', like MPS3's parseUrl; content objects are key@version.
#include "protocol/content_ref.hpp"

#include <doctest/doctest.h>

using namespace mps3::protocol;

TEST_CASE("content_ref: format and parse") {
    CHECK(format_content_ref("b1", "k2") == "b1/k2");
    CHECK(format_content_ref("b1", "dir/sub/k") == "b1/dir/sub/k");
    CHECK(parse_content_ref("b1/k2") == content_ref{"b1", "k2"});
    CHECK(parse_content_ref("b1/dir/sub/k") == content_ref{"b1", "dir/sub/k"});
    CHECK(parse_content_ref("b1//k") == content_ref{"b1", "/k"});
    CHECK(parse_content_ref("b1/k@v") == content_ref{"b1", "k@v"});
    CHECK(parse_content_ref("b/\xc3\xa9t\xc3\xa9 k") == content_ref{"b", "\xc3\xa9t\xc3\xa9 k"});
    for (const auto& ref : {format_content_ref("b", "k"), format_content_ref("b", "a/b/c")}) {
        const auto parsed = parse_content_ref(ref);
        REQUIRE(parsed.has_value());
        CHECK(format_content_ref(parsed->bucket, parsed->key) == ref);
    }
}

TEST_CASE("content_ref: refs that name nothing fetchable") {
    CHECK_FALSE(parse_content_ref("").has_value());
    CHECK_FALSE(parse_content_ref("bucket").has_value());
    CHECK_FALSE(parse_content_ref("/key").has_value());
    CHECK_FALSE(parse_content_ref("bucket/").has_value());
}

TEST_CASE("content_ref: content object key") {
    CHECK(content_object_key("k2", "6f1c9a0e-1b2c-4d5e-8f90-a1b2c3d4e5f6") ==
          "k2@6f1c9a0e-1b2c-4d5e-8f90-a1b2c3d4e5f6");
    CHECK(content_object_key("dir/k", "v") == "dir/k@v");
}
