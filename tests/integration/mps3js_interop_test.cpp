// A JavaScript MPS3 client and a real mps3d on one bucket of the test server: each sees the
// other's puts, multi-key writes and deletes, with mps3d's entries gzip-compressed (the default)
// and plain. The JS side is tests/servers/mps3js-driver.mjs: MPS3 0.0.81's HTTP stack (aws4fetch
// + Node's fetch + text()/JSON.parse), the real npm package being out of reach (see that file).
// What it proves for compression (docs/bucket-format.md, "Compressed entries"): a reader on
// fetch gets mps3d's gzip entries decoded without knowing about them, and writes the complete
// state back from them.
#include "bucket_tools.hpp"
#include "daemon_process.hpp"
#include "rpc_calls.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace mps3::test;
using namespace std::chrono_literals;

// How long one side may take to see the other's write (poll 100 ms on both sides; generous for
// a loaded machine, it only bounds a failure).
constexpr auto visible_within = 30s;

std::string node_path() {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        const auto candidate = std::filesystem::path(dir.empty() ? "." : dir) / "node";
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate.string();
        }
    }
    FAIL("node is not on PATH (./setup.sh --test installs it)");
    return {};
}

// The JS client on the test's bucket: each run() is one `node` process that carries out the
// request lines in order and exits; its answers are returned, each REQUIREd to be ok.
struct js_client {
    std::string bucket;
    std::string manifest = "manifest.json";

    std::vector<rapidjson::Document> run(const std::vector<std::string>& requests,
                                         std::chrono::milliseconds timeout = 90s) const {
        const auto& server = shared_server();
        const std::string driver = MPS3_SOURCE_DIR "/tests/servers/mps3js-driver.mjs";
        REQUIRE_MESSAGE(std::filesystem::exists(MPS3_SOURCE_DIR "/tests/servers/node_modules/"
                                                                "aws4fetch"),
                        "aws4fetch is not installed: run ./setup.sh --test");
        std::string input;
        for (const auto& r : requests) {
            input += r + "\n";
        }
        child_options options{
            .argv = {node_path(), driver, server.endpoint_url(), bucket, manifest},
            .env = {{"AWS_ACCESS_KEY_ID", server.access_key()},
                    {"AWS_SECRET_ACCESS_KEY", server.secret_key()},
                    {"AWS_REGION", server.region()}},
            .stdin_text = input};
        const auto done = run_command(std::move(options), timeout);
        REQUIRE_MESSAGE(done.exit_code == 0, "the JS client failed: " << done.err);
        std::vector<rapidjson::Document> answers;
        std::stringstream lines(done.out);
        std::string line;
        while (std::getline(lines, line)) {
            auto answer = parse_json(line);
            REQUIRE_MESSAGE(answer["ok"].GetBool(), line);
            answers.push_back(std::move(answer));
        }
        REQUIRE_MESSAGE(answers.size() == requests.size(), done.out << done.err);
        return answers;
    }

    rapidjson::Document one(const std::string& request) const {
        auto answers = run({request});
        return std::move(answers.front());
    }

    // Waits in the JS client until `key` holds `value_json` ("null": absent).
    void wait_for(const std::string& key, const std::string& value_json) const {
        const auto ms = std::chrono::milliseconds(visible_within).count();
        auto got = one(R"({"op":"waitFor","key":")" + key + R"(","value":)" + value_json +
                       R"(,"timeoutMs":)" + std::to_string(ms) + "}");
        const std::string seen =
            got["found"].GetBool() ? compact_json(got["value"]) : std::string("<absent>");
        CHECK_MESSAGE(got["matched"].GetBool(),
                      "JS sees " << key << " = " << seen << ", expected " << value_json);
    }
};

// mps3d's value of `key` as compact JSON, "<absent>" when it has none.
std::string daemon_value(mps3::ctl::socket_client& c, const std::string& key) {
    auto got = call(c, "get", R"({"key":")" + key + R"("})");
    return got["found"].GetBool() ? compact_json(got["value"]) : std::string("<absent>");
}

void wait_daemon_value(mps3::ctl::socket_client& c, const daemon_process& d, const std::string& key,
                       const std::string& expected) {
    std::string seen;
    const bool ok = wait_until(
        [&] {
            seen = daemon_value(c, key);
            return seen == expected;
        },
        visible_within);
    CHECK_MESSAGE(ok, "mps3d sees " << key << " = " << seen << ", expected " << expected
                                    << "; its log:\n"
                                    << d.log());
}

struct shared_bucket {
    std::string bucket = unique_bucket("js");
    std::filesystem::path dir = make_temp_dir("js");
    daemon_process daemon;
    js_client js{bucket};

    explicit shared_bucket(std::vector<std::string> store_config)
        : daemon(shared_server(),
                 daemon_options{
                     .bucket = bucket, .dir = dir / "d", .store_config = std::move(store_config)}) {
        create_bucket_now(shared_server(), bucket);
        daemon.start();
    }
    ~shared_bucket() {
        (void)daemon.stop();
        std::filesystem::remove_all(dir);
    }
};

// The entries the JS client read, newest first: {key, contentEncoding}.
std::vector<std::pair<std::string, std::string>> entries_seen(const rapidjson::Document& snap) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& e : snap["entries"].GetArray()) {
        if (e["valid"].GetBool() && e["contentEncoding"].IsString()) {
            out.emplace_back(e["key"].GetString(), e["contentEncoding"].GetString());
        }
    }
    return out;
}

}  // namespace

TEST_CASE(
    "mps3js interop: a JS client on fetch and mps3d (gzip entries) see each other's puts, "
    "putAlls and deletes") {
    shared_bucket t({});  // compress_entries: the default (on)
    auto c = connect_to(t.daemon);

    // JS writes first: a multi-key write, then one that deletes and adds (plain entries).
    t.js.run({R"({"op":"putAll","values":{"js/a":{"from":"js"},"js/b":1}})",
              R"({"op":"putAll","values":{"js/b":null,"js/c":[1,2]}})"});
    wait_daemon_value(c, t.daemon, "js/c", "[1,2]");
    CHECK(daemon_value(c, "js/a") == R"({"from":"js"})");
    CHECK(daemon_value(c, "js/b") == "<absent>");

    // mps3d writes: a put, a putAll, a delete of a JS key, each in the bucket before the answer.
    (void)call(c, "put", R"({"key":"d/x","value":{"from":"mps3d"},"await":"remote"})");
    (void)call(c, "putAll",
               R"({"ops":[{"key":"d/y","value":"y"},{"key":"d/z","value":null}],)"
               R"("await":"remote"})");
    (void)call(c, "delete", R"({"key":"js/a","await":"remote"})");

    t.js.wait_for("js/a", "null");
    auto snap = t.js.one(R"({"op":"snapshot"})");
    CHECK(compact_json(snap["values"]) ==
          R"({"d/x":{"from":"mps3d"},"d/y":"y","d/z":null,"js/c":[1,2]})");
    // The newest entry is mps3d's, stored gzip, and fetch handed the JS client its JSON.
    const auto seen = entries_seen(snap);
    REQUIRE_FALSE(seen.empty());
    CHECK(seen.front().second == "gzip");

    // JS writes on top of mps3d's gzip entry: its `files` (the whole state, read through fetch)
    // keeps every key mps3d wrote.
    t.js.run({R"({"op":"putAll","values":{"js/after":true,"d/y":null}})"});
    wait_daemon_value(c, t.daemon, "js/after", "true");
    CHECK(daemon_value(c, "d/y") == "<absent>");
    CHECK(daemon_value(c, "d/x") == R"({"from":"mps3d"})");
    CHECK(daemon_value(c, "d/z") == "null");
    CHECK(daemon_value(c, "js/c") == "[1,2]");

    // And mps3d reads that plain JS entry and writes over it again.
    (void)call(c, "put", R"({"key":"d/last","value":2,"await":"remote"})");
    t.js.wait_for("d/last", "2");
    snap = t.js.one(R"({"op":"snapshot"})");
    CHECK(compact_json(snap["values"]) ==
          R"({"d/last":2,"d/x":{"from":"mps3d"},"d/z":null,"js/after":true,"js/c":[1,2]})");
}

TEST_CASE("mps3js interop: with compress_entries = false mps3d writes plain entries JS reads") {
    shared_bucket t({"compress_entries = false"});
    auto c = connect_to(t.daemon);
    (void)call(c, "put", R"({"key":"k","value":{"plain":true},"await":"remote"})");
    t.js.wait_for("k", R"({"plain":true})");
    const auto snap = t.js.one(R"({"op":"snapshot"})");
    const auto seen = entries_seen(snap);
    REQUIRE_FALSE(seen.empty());
    CHECK(seen.front().second.empty());

    t.js.run({R"({"op":"putAll","values":{"j":1}})"});
    wait_daemon_value(c, t.daemon, "j", "1");
    CHECK(daemon_value(c, "k") == R"({"plain":true})");
}
