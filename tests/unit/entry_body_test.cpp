// Entry bodies come from any client sharing the bucket: MPS3's pretty output must read, garbage
// must be a clear error, and a bad member must cost only itself.
#include "protocol/entry_body.hpp"

#include "json/document.hpp"

#include <doctest/doctest.h>

#include <ostream>  // doctest prints std::error_code with it
#include <string>
#include <vector>

using namespace mps3::protocol;

namespace {

// What MPS3 0.0.81 writes: JSON.stringify(state, null, 2).
constexpr const char* mps3_body = R"({
  "files": {
    "b1/k2": {
      "version": "6f1c9a0e-1b2c-4d5e-8f90-a1b2c3d4e5f6",
      "replication": ""
    },
    "b1/k3": {
      "version": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
      "replication": ""
    }
  },
  "update": {
    "files": {
      "b1/k1": null,
      "b1/k4": {
        "version": "9a0e1b2c-3d4e-4f5a-9b6c-7d8e9f0a1b2c",
        "replication": ""
      }
    }
  }
})";

}  // namespace

TEST_CASE("entry_body: reads MPS3's pretty-printed body") {
    const auto body = parse_entry_body(mps3_body);
    REQUIRE(body.has_value());
    CHECK(body->files == manifest_state{{"b1/k2", {"6f1c9a0e-1b2c-4d5e-8f90-a1b2c3d4e5f6", ""}},
                                        {"b1/k3", {"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", ""}}});
    CHECK(body->update ==
          manifest_update{{"b1/k1", std::nullopt},
                          {"b1/k4", file_state{"9a0e1b2c-3d4e-4f5a-9b6c-7d8e9f0a1b2c", ""}}});
    CHECK(body->skipped == 0);
    CHECK(body->warnings.empty());
}

TEST_CASE("entry_body: serialize is compact and reads back equal") {
    const manifest_state files = {{"b/a", {"1", ""}}, {"b/dir/k", {"2", std::nullopt}}};
    const manifest_update update = {{"b/x", std::nullopt}, {"b/y", file_state{"3", ""}}};
    const auto text = serialize_entry_body(files, update);
    REQUIRE(text.has_value());
    CHECK(*text == R"({"files":{"b/a":{"version":"1","replication":""},"b/dir/k":{"version":"2"}},)"
                   R"("update":{"files":{"b/x":null,"b/y":{"version":"3","replication":""}}}})");
    const auto back = parse_entry_body(*text);
    REQUIRE(back.has_value());
    CHECK(back->files == files);
    CHECK(back->update == update);
    CHECK(serialize_entry_body({}, {}).value() == R"({"files":{},"update":{"files":{}}})");
}

TEST_CASE("entry_body: keys and versions with any UTF-8 and JSON-special characters") {
    const manifest_state files = {{"b/\"quoted\" \\ key\n\xc3\xa9", {"v\"1", "r\t"}}};
    const auto text = serialize_entry_body(files, {});
    REQUIRE(text.has_value());
    CHECK(parse_entry_body(*text).value().files == files);
    // Invalid UTF-8 is refused rather than written where no one could read it.
    CHECK_FALSE(serialize_entry_body({{"b/\xff", {"1", ""}}}, {}).has_value());
    CHECK_FALSE(serialize_entry_body({}, {{"b/k", file_state{"\xc3", ""}}}).has_value());
}

TEST_CASE("entry_body: unknown members are ignored, replication kept as found") {
    const auto body = parse_entry_body(R"({"files":{"b/k":{"version":"1","replication":"r",
        "extra":[1,2]},"b/j":{"version":"2"}},"update":{"files":{},"other":1},"future":{"x":1}})");
    REQUIRE(body.has_value());
    CHECK(body->files == manifest_state{{"b/k", {"1", "r"}}, {"b/j", {"2", std::nullopt}}});
    CHECK(body->skipped == 0);
}

TEST_CASE("entry_body: missing or empty update is an empty update") {
    for (const char* text :
         {R"({"files":{}})", R"({"files":{},"update":{}})", R"({"files":{},"update":null})",
          R"({"files":{},"update":{"files":null}})"}) {
        const auto body = parse_entry_body(text);
        REQUIRE_MESSAGE(body.has_value(), text);
        CHECK(body->update.empty());
        CHECK(body->skipped == 0);
    }
}

TEST_CASE("entry_body: garbage is a clear error, never a crash") {
    const std::vector<std::string> garbage = {
        "",
        "null",
        "\"\"",
        "[]",
        "1",
        "true",
        "{",
        "{\"files\":",
        "not json",
        R"({"update":{"files":{}}})",  // no files
        R"({"files":null})",
        R"({"files":[]})",
        R"({"files":"x"})",
        R"({"files":1})",
        std::string(100000, '['),
        "\xef\xbb\xbf{\"files\":{}}",                    // deep nesting; a BOM
        "{\"files\":{\"b/\xff\":{\"version\":\"1\"}}}",  // invalid UTF-8
    };
    for (const auto& text : garbage) {
        const auto body = parse_entry_body(text);
        CHECK_MESSAGE(!body.has_value(), text.substr(0, 40));
        if (!body.has_value()) {
            CHECK(body.err().code == mps3::errc::invalid_argument);
            CHECK(body.err().message.find("manifest entry") == 0);
        }
    }
}

TEST_CASE("entry_body: a bad member costs only itself") {
    const auto body = parse_entry_body(R"({
        "files": {"b/ok": {"version": "1"}, "b/num": {"version": 2}, "b/none": {},
                  "b/str": "v", "b/null": null, "b/arr": [], "b/rep": {"version": "3", "replication": 5}},
        "update": {"files": {"b/del": null, "b/put": {"version": "4", "replication": ""},
                             "b/bad": {"replication": ""}, "b/junk": 7}}})");
    REQUIRE(body.has_value());
    CHECK(body->files ==
          manifest_state{{"b/ok", {"1", std::nullopt}}, {"b/rep", {"3", std::nullopt}}});
    CHECK(body->update == manifest_update{{"b/del", std::nullopt}, {"b/put", file_state{"4", ""}}});
    CHECK(body->skipped == 7);
    CHECK(body->warnings.size() == max_entry_warnings);  // 7 skipped + 1 dropped replication
    CHECK(body->warnings.front().find("\"b/") != std::string::npos);
}

TEST_CASE("entry_body: non-object update parts are skipped with a warning") {
    for (const char* text :
         {R"({"files":{},"update":[]})", R"({"files":{},"update":"x"})",
          R"({"files":{},"update":{"files":[]}})", R"({"files":{},"update":{"files":true}})"}) {
        const auto body = parse_entry_body(text);
        REQUIRE_MESSAGE(body.has_value(), text);
        CHECK(body->update.empty());
        CHECK(body->skipped == 1);
        CHECK(body->warnings.size() == 1);
    }
}

TEST_CASE("entry_body: duplicate names, the last one wins like JSON.parse") {
    const auto body = parse_entry_body(
        R"({"files":{"b/k":{"version":"1"},"b/k":{"version":"2"},"b/j":{"version":"1"},"b/j":7},
            "update":{"files":{"b/x":null,"b/x":{"version":"9"}}}})");
    REQUIRE(body.has_value());
    CHECK(body->files == manifest_state{{"b/k", {"2", std::nullopt}}});
    CHECK(body->update == manifest_update{{"b/x", file_state{"9", std::nullopt}}});
}

// Found by tests/fuzz/fuzz_entry_body (issue 11): the members the reader looks up by name took
// the first of two, where JSON.parse (MPS3) takes the last.
TEST_CASE("entry_body: a looked-up member given twice, the last one wins like JSON.parse") {
    const auto body = parse_entry_body(
        R"({"files":{"b/a":{"version":"1"}},"files":{"b/k":{"version":"1","version":"2",)"
        R"("replication":"r","replication":"s"}},"update":{"files":{"b/x":null}},)"
        R"("update":{"files":{},"files":{"b/y":{"version":"3"}}}})");
    REQUIRE(body.has_value());
    CHECK(body->files == manifest_state{{"b/k", {"2", "s"}}});
    CHECK(body->update == manifest_update{{"b/y", file_state{"3", std::nullopt}}});
    CHECK(body->skipped == 0);
}

TEST_CASE("entry_body: many members") {
    manifest_state files;
    manifest_update update;
    for (int i = 0; i < 5000; ++i) {
        files.emplace("bucket/key-" + std::to_string(i), file_state{std::to_string(i), ""});
        if (i % 7 == 0) {
            update.emplace("bucket/key-" + std::to_string(i), std::nullopt);
        }
    }
    const auto back = parse_entry_body(serialize_entry_body(files, update).value());
    REQUIRE(back.has_value());
    CHECK(back->files == files);
    CHECK(back->update == update);
}

TEST_CASE("entry_body: more refs than max_refs is refused before any is copied out") {
    const std::string body =
        R"({"files":{"a":{"version":"1"},"b":{"version":"1"}},"update":{"files":{"c":null}}})";
    CHECK(parse_entry_body(body, 3).has_value());
    const auto refused = parse_entry_body(body, 2);
    REQUIRE_FALSE(refused.has_value());
    CHECK(refused.err().code == mps3::make_error_code(mps3::errc::too_large));
    CHECK(refused.err().message == "manifest entry: names 3 files, more than the limit of 2");
    // An update that is not an object counts for nothing (it is skipped anyway).
    CHECK(parse_entry_body(R"({"files":{"a":{"version":"1"}},"update":7})", 1).has_value());
}
