// mps3ctl export / import and the `move` method, end to end on real daemons: an export is one
// snapshot, an import writes it back exactly (large numbers, unicode keys, every JSON type),
// bad input stops before anything is written, and a move is one atomic rename.
#include "bucket_tools.hpp"
#include "daemon_process.hpp"
#include "rpc_calls.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <string>
#include <vector>

namespace {

using namespace mps3::test;
using namespace std::chrono_literals;

struct daemon_pair {
    std::filesystem::path dir = make_temp_dir("export");
    std::string source_bucket = unique_bucket("export-src");
    std::string target_bucket = unique_bucket("export-dst");
    daemon_process source{shared_server(),
                          daemon_options{source_bucket, "manifest.json", dir / "source"}};
    daemon_process target{shared_server(),
                          daemon_options{target_bucket, "manifest.json", dir / "target"}};

    daemon_pair() {
        create_bucket_now(shared_server(), source_bucket);
        create_bucket_now(shared_server(), target_bucket);
        source.start();
        target.start();
    }
    ~daemon_pair() { std::filesystem::remove_all(dir); }
};

// Values that a careless round trip would change.
const std::string tricky_ops = R"({"ops":[
  {"key":"big/u64","value":18446744073709551615},
  {"key":"big/i64","value":-9223372036854775808},
  {"key":"float/tiny","value":5e-324},
  {"key":"float/huge","value":1.7976931348623157e308},
  {"key":"float/tenth","value":0.1},
  {"key":"float/one","value":1.0},
  {"key":"null","value":null},
  {"key":"text/escapes","value":"tab\there\nnew \"quoted\" \\ \u0001"},
  {"key":"текст/ключ 🙂","value":{"ü":[1,2,{"deep":[true,false,null]}]}},
  {"key":"empty/object","value":{}},
  {"key":"empty/array","value":[]},
  {"key":"empty/string","value":""}
]})";

}  // namespace

TEST_CASE("mps3ctl export then import: the target holds exactly the source's keys and values") {
    daemon_pair p;
    auto c = connect_to(p.source);
    call(c, "putAll", tricky_ops);

    const auto exported = p.source.ctl({"export"});
    REQUIRE_MESSAGE(exported.exit_code == 0, exported.err);
    const auto listed = p.source.ctl({"list"});
    REQUIRE(listed.exit_code == 0);
    CHECK(exported.out == listed.out);  // the same lines as list, in key order
    CHECK(std::count(exported.out.begin(), exported.out.end(), '\n') == 12);

    SUBCASE("import, then export the target: the same text") {
        const auto imported = p.target.ctl_with_input({"import"}, exported.out);
        REQUIRE_MESSAGE(imported.exit_code == 0, imported.err);
        CHECK(imported.out == "{\"imported\":12,\"batches\":1}\n");
        const auto again = p.target.ctl({"export"});
        REQUIRE(again.exit_code == 0);
        CHECK(again.out == exported.out);
        // Each value as get answers it, too.
        auto t = connect_to(p.target);
        const auto big = call(t, "get", R"({"key":"big/u64"})");
        CHECK(compact_json(big) == R"({"found":true,"value":18446744073709551615})");
    }
    SUBCASE("a prefix exports only its keys") {
        const auto floats = p.source.ctl({"export", "float/"});
        REQUIRE(floats.exit_code == 0);
        CHECK(std::count(floats.out.begin(), floats.out.end(), '\n') == 4);
    }
    SUBCASE("--dry-run checks and writes nothing") {
        const auto dry = p.target.ctl_with_input({"import", "--dry-run"}, exported.out);
        REQUIRE_MESSAGE(dry.exit_code == 0, dry.err);
        CHECK(dry.out == "{\"checked\":12,\"batches\":1}\n");
        CHECK(p.target.ctl({"export"}).out.empty());
    }
    SUBCASE("a bad line stops the import before its batch is written, naming the line") {
        const std::string input = exported.out + "{\"key\":\"k\"}\n";
        const auto bad = p.target.ctl_with_input({"import"}, input);
        CHECK(bad.exit_code == 2);
        CHECK(bad.err.find("line 13") != std::string::npos);
        CHECK(bad.err.find("no \"value\"") != std::string::npos);
        CHECK(p.target.ctl({"export"}).out.empty());
    }
}

TEST_CASE("list with a snapshot: pages from one point in time while others write") {
    daemon_pair p;
    auto c = connect_to(p.source);
    call(c, "putAll",
         R"({"ops":[{"key":"a","value":1},{"key":"b","value":2},{"key":"c","value":3},)"
         R"({"key":"d","value":4}]})");
    const auto first = call(c, "list", R"({"limit":2,"snapshot":true})");
    REQUIRE(first.HasMember("snapshot"));
    const std::string id = first["snapshot"].GetString();
    CHECK(compact_json(first["entries"]) == R"([{"key":"a","value":1},{"key":"b","value":2}])");
    // Written after the first page: not in the snapshot's later pages.
    call(c, "putAll",
         R"({"ops":[{"key":"c","value":30},{"key":"d","delete":true},)"
         R"({"key":"e","value":5}]})");
    const auto second = call(c, "list", R"({"limit":10,"cursor":"b","snapshot":")" + id + R"("})");
    CHECK(compact_json(second["entries"]) == R"([{"key":"c","value":3},{"key":"d","value":4}])");
    CHECK_FALSE(second.HasMember("cursor"));
    CHECK_FALSE(second.HasMember("snapshot"));
    // The last page ended it.
    CHECK(error_code(c, "list", R"({"cursor":"b","snapshot":")" + id + R"("})") == -32007);
    // A plain list sees the writes.
    const auto now = call(c, "list", R"({"limit":10})");
    CHECK(compact_json(now["entries"]) ==
          R"([{"key":"a","value":1},{"key":"b","value":2},{"key":"c","value":30},)"
          R"({"key":"e","value":5}])");
    CHECK(error_code(c, "list", R"({"snapshot":false})") == -32602);
}

TEST_CASE("move: a key renamed atomically; a missing key or the same key is refused") {
    daemon_pair p;
    auto c = connect_to(p.source);
    call(c, "put", R"({"key":"old","value":{"n":1}})");
    const auto moved = p.source.ctl({"move", "old", "new", "--await", "remote"});
    REQUIRE_MESSAGE(moved.exit_code == 0, moved.err);
    CHECK(compact_json(call(c, "get", R"({"key":"new"})")) == R"({"found":true,"value":{"n":1}})");
    CHECK(compact_json(call(c, "get", R"({"key":"old"})")) == R"({"found":false})");
    // One manifest entry carried both: the bucket holds the moved state.
    const auto state = read_bucket_now(shared_server(), p.source_bucket);
    CHECK(state.count("old") == 0);
    REQUIRE(state.count("new") == 1);
    CHECK(state.at("new") == R"({"n":1})");

    CHECK(error_code(c, "move", R"({"from":"old","to":"other"})") == -32007);
    CHECK(error_code(c, "move", R"({"from":"new","to":"new"})") == -32602);
    const auto missing = p.source.ctl({"move", "nothing", "x"});
    CHECK(missing.exit_code == 1);
    CHECK(missing.err.find("-32007") != std::string::npos);
}
