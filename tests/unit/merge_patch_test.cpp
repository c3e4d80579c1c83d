// RFC 7386 merge patch: every example of Appendix A, the section 3 example, and diff as its
// inverse. The manifest "update" member is a merge patch, so these cases are the contract.
#include "json/merge_patch.hpp"
#include "json/document.hpp"

#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code with it
#include <string>

namespace {

rapidjson::Document doc(const std::string& text) {
    auto parsed = mps3::json::parse(text);
    REQUIRE_MESSAGE(parsed.has_value(), text);
    return std::move(parsed).value();
}

// Applies patch to original and checks the result equals expected (order-insensitive equality).
void check_merge(const std::string& original, const std::string& patch,
                 const std::string& expected) {
    auto target = doc(original);
    const auto p = doc(patch);
    mps3::json::merge_patch(target, p, target.GetAllocator());
    const auto want = doc(expected);
    CHECK_MESSAGE(target == want,
                  original << " + " << patch << " gave " << mps3::json::serialize(target).value());
}

}  // namespace

TEST_CASE("merge_patch: RFC 7386 Appendix A examples") {
    // ORIGINAL, PATCH, RESULT, exactly as in the RFC table.
    check_merge(R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})");
    check_merge(R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b", "b":"c"})");
    check_merge(R"({"a":"b"})", R"({"a":null})", R"({})");
    check_merge(R"({"a":"b", "b":"c"})", R"({"a":null})", R"({"b":"c"})");
    check_merge(R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})");
    check_merge(R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})");
    check_merge(R"({"a": {"b": "c"}})", R"({"a": {"b": "d", "c": null}})", R"({"a": {"b": "d"}})");
    check_merge(R"({"a": [{"b":"c"}]})", R"({"a": [1]})", R"({"a": [1]})");
    check_merge(R"(["a","b"])", R"(["c","d"])", R"(["c","d"])");
    check_merge(R"({"a":"b"})", R"(["c"])", R"(["c"])");
    check_merge(R"({"a":"foo"})", R"(null)", R"(null)");
    check_merge(R"({"a":"foo"})", R"("bar")", R"("bar")");
    check_merge(R"({"e":null})", R"({"a":1})", R"({"e":null, "a":1})");
    check_merge(R"([1,2])", R"({"a":"b", "c":null})", R"({"a":"b"})");
    check_merge(R"({})", R"({"a": {"bb": {"ccc": null}}})", R"({"a": {"bb": {}}})");
}

TEST_CASE("merge_patch: RFC 7386 section 3 example") {
    check_merge(R"({
      "title": "Goodbye!",
      "author" : {
        "givenName" : "John",
        "familyName" : "Doe"
      },
      "tags":[ "example", "sample" ],
      "content": "This will be unchanged"
    })",
                R"({
      "title": "Hello!",
      "phoneNumber": "+01-123-456-7890",
      "author": {
        "familyName": null
      },
      "tags": [ "example" ]
    })",
                R"({
      "title": "Hello!",
      "author" : {
        "givenName" : "John"
      },
      "tags": [ "example" ],
      "content": "This will be unchanged",
      "phoneNumber": "+01-123-456-7890"
    })");
}

TEST_CASE("merge_patch: manifest-shaped updates") {
    // The shape every entry carries: a put is an object, a delete is null.
    check_merge(R"({"files":{"b/k1":{"version":"1","replication":""},"b/k2":{"version":"2"}}})",
                R"({"files":{"b/k1":null,"b/k3":{"version":"3","replication":""}}})",
                R"({"files":{"b/k2":{"version":"2"},"b/k3":{"version":"3","replication":""}}})");
    // A partial file object keeps the members it does not mention (RFC semantics).
    check_merge(R"({"files":{"b/k":{"version":"1","replication":"x"}}})",
                R"({"files":{"b/k":{"version":"2"}}})",
                R"({"files":{"b/k":{"version":"2","replication":"x"}}})");
    // Empty patch: no change.
    check_merge(R"({"files":{"b/k":{"version":"1"}}})", R"({})",
                R"({"files":{"b/k":{"version":"1"}}})");
}

TEST_CASE("merge_patch: keeps member order and removes duplicates of a deleted name") {
    auto target = doc(R"({"x":1,"y":2,"z":3,"y":4})");
    mps3::json::merge_patch(target, doc(R"({"y":null,"w":5})"), target.GetAllocator());
    CHECK(mps3::json::serialize(target).value() == R"({"x":1,"z":3,"w":5})");
}

TEST_CASE("merge_patch: patch values are copied, the patch can die first") {
    auto target = doc(R"({"a":1})");
    {
        auto patch = doc(R"({"b":{"c":"a long enough string to be heap allocated"}})");
        mps3::json::merge_patch(target, patch, target.GetAllocator());
    }
    CHECK(mps3::json::serialize(target).value() ==
          R"({"a":1,"b":{"c":"a long enough string to be heap allocated"}})");
}

namespace {

// diff(from, to) must be a patch that takes from to `to`.
void check_diff(const std::string& from, const std::string& to, const std::string& expected) {
    const auto a = doc(from);
    const auto b = doc(to);
    auto patch = mps3::json::diff(a, b);
    REQUIRE_MESSAGE(patch.has_value(), from << " -> " << to);
    CHECK_MESSAGE(*patch == doc(expected),
                  from << " -> " << to << " gave " << mps3::json::serialize(*patch).value());
    rapidjson::Document applied;
    applied.CopyFrom(a, applied.GetAllocator());
    mps3::json::merge_patch(applied, *patch, applied.GetAllocator());
    CHECK(applied == b);
}

}  // namespace

TEST_CASE("diff: minimal patches that merge_patch inverts") {
    check_diff(R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})");
    check_diff(R"({"a":"b"})", R"({"a":"b","b":"c"})", R"({"b":"c"})");
    check_diff(R"({"a":"b","b":"c"})", R"({"b":"c"})", R"({"a":null})");
    check_diff(R"({"a":{"b":"c","d":1}})", R"({"a":{"b":"d","d":1}})", R"({"a":{"b":"d"}})");
    check_diff(R"({"a":[1,2]})", R"({"a":[1]})", R"({"a":[1]})");
    check_diff(R"({"a":"c"})", R"({"a":{"b":1}})", R"({"a":{"b":1}})");
    check_diff(R"({"a":1})", R"({"a":1})", R"({})");
    check_diff(R"({"a":1})", R"({"a":1.0})", R"({})");  // same number
    check_diff(R"([1])", R"({"a":1})", R"({"a":1})");
    check_diff(R"({"a":1})", R"([null])", R"([null])");  // nulls inside arrays travel fine
    check_diff(R"({"a":1})", R"(null)", R"(null)");
    check_diff(R"({"e":null})", R"({"e":null,"a":1})", R"({"a":1})");  // unchanged null is fine
    check_diff(R"({"files":{"b/k1":{"version":"1"},"b/k2":{"version":"2"}}})",
               R"({"files":{"b/k2":{"version":"2"},"b/k3":{"version":"3"}}})",
               R"({"files":{"b/k1":null,"b/k3":{"version":"3"}}})");
}

TEST_CASE("diff: refuses targets a merge patch cannot express") {
    CHECK_FALSE(mps3::json::diff(doc(R"({"a":1})"), doc(R"({"a":null})")).has_value());
    CHECK_FALSE(mps3::json::diff(doc(R"({})"), doc(R"({"a":null})")).has_value());
    CHECK_FALSE(mps3::json::diff(doc(R"({"a":1})"), doc(R"({"a":{"b":null}})")).has_value());
    CHECK_FALSE(mps3::json::diff(doc(R"(1)"), doc(R"({"a":null})")).has_value());
    const auto refused = mps3::json::diff(doc(R"({})"), doc(R"({"a":null})"));
    CHECK(refused.err().code == mps3::errc::invalid_argument);
}
