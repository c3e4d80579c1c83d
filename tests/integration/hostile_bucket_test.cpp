// Hostile or broken objects in a real bucket (issue 11): written straight into the bucket, as
// any client with write access could, beside the traffic of two real daemons (A writes, B
// watches). Each one is skipped or handled with exactly one warning naming it in each daemon's
// log (not one per poll); A's later writes still reach B and its subscribers; status stays
// healthy; neither daemon crashes or stalls, and each stays under a stated peak RSS.
//
// The daemons run with small limits (max_entry_bytes 1 MiB, max_content_bytes 64 KiB,
// max_entry_files 10,000) so the oversized cases cost little in CI; the same objects at the
// default limits (a 100 MB entry, a 1,000,000-member files map) are the skipped case at the
// end, run by hand (docs/bucket-format.md gives its figures).
#include "bucket_tools.hpp"
#include "daemon_process.hpp"
#include "process_stats.hpp"
#include "rpc_calls.hpp"
#include "spec_reader.hpp"

#include "protocol/object_encoding.hpp"

#include <doctest/doctest.h>

#include <rapidjson/document.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace {

using namespace mps3::test;
using namespace std::chrono_literals;

const std::string manifest = "manifest.json";

// Peak RSS each daemon must stay under in the small-limit case (ASan builds included).
constexpr std::uint64_t small_case_rss_bound = std::uint64_t{256} << 20;

std::size_t count_of(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

// Warning lines of a log that mention `what` (and `reason`, later on the line).
std::size_t warnings_naming(const std::string& log, const std::string& what,
                            const std::string& reason = "") {
    std::size_t n = 0;
    std::size_t start = 0;
    while (start < log.size()) {
        auto end = log.find('\n', start);
        if (end == std::string::npos) {
            end = log.size();
        }
        const std::string_view line(log.data() + start, end - start);
        const auto at = line.find(what);
        if (line.find("level=warn") != std::string_view::npos && at != std::string_view::npos &&
            line.find(reason, at) != std::string_view::npos) {
            ++n;
        }
        start = end + 1;
    }
    return n;
}

// A fresh entry key stamped now (the server runs on this machine): valid, and newer than every
// entry the daemons wrote so far. Its session starts with 'h', which no daemon's (3 hexadecimal
// digits) does.
std::string fresh_entry_key(const std::string& session) {
    return spec::entry_key(manifest, spec::now_ms(), session, 0);
}

// The whole state the newest entry in the bucket leaves (its files with its update applied), as
// the members of a JSON object: what a readable hostile entry carries so that it does not wipe
// the store when it becomes the latest (a valid entry's files are the state, by the format).
std::string current_files_members(const std::string& bucket) {
    const auto keys = list_keys_now(shared_server(), bucket, manifest + "@");
    std::string newest;
    for (const auto& k : keys) {
        const auto parsed = spec::parse_entry_key(manifest, k);
        // The test's own entries have sessions "h..", the daemons' are hexadecimal.
        if (parsed && parsed->session[0] != 'h' && (newest.empty() || k < newest)) {
            newest = k;
        }
    }
    REQUIRE_MESSAGE(!newest.empty(), "no entry in the bucket");
    // The daemons store entries gzip-compressed (compress_entries): decoded by its magic bytes.
    auto text =
        mps3::protocol::decoded_object_body(get_object_now(shared_server(), bucket, newest), "");
    REQUIRE_MESSAGE(text.has_value(), (text ? "" : text.err().describe()));
    const auto body = parse_json(*text);
    std::map<std::string, std::string> files;
    for (const auto& m : body["files"].GetObject()) {
        files[m.name.GetString()] = compact_json(m.value);
    }
    for (const auto& m : body["update"]["files"].GetObject()) {
        if (m.value.IsNull()) {
            files.erase(m.name.GetString());
        } else {
            files[m.name.GetString()] = compact_json(m.value);
        }
    }
    std::string out;
    for (const auto& [ref, file] : files) {
        out += (out.empty() ? "" : ",") + spec::quote(ref) + ":" + file;
    }
    return out;
}

// One hostile object and what each daemon must say about it, once. Quotes in log messages are
// escaped (logfmt), so the texts stop short of any.
struct hostile {
    std::string what;     // the case, for messages
    std::string warning;  // a text every warning about it holds (naming the object)
    std::string reason;   // and further on the same line
};

struct two_daemons {
    std::string bucket = unique_bucket("hostile");
    std::filesystem::path dir = make_temp_dir("hostile");
    daemon_options opts(const std::string& name, std::vector<std::string> limits) const {
        daemon_options o{bucket, manifest, dir / name};
        o.store_config = std::move(limits);
        return o;
    }
    daemon_process a, b;

    explicit two_daemons(const std::vector<std::string>& limits)
        : a(shared_server(), opts("a", limits)), b(shared_server(), opts("b", limits)) {
        create_bucket_now(shared_server(), bucket);
        a.start();
        b.start();
    }
    ~two_daemons() { std::filesystem::remove_all(dir); }
    two_daemons(const two_daemons&) = delete;
    two_daemons& operator=(const two_daemons&) = delete;
};

// B holds key with this value (compact JSON), within the deadline.
bool holds(const daemon_process& d, const std::string& key, const std::string& value) {
    auto c = connect_to(d);
    return wait_until(
        [&] {
            const auto got = call(c, "get", R"({"key":")" + key + R"("})");
            return got.HasMember("value") && compact_json(got["value"]) == value;
        },
        60s);
}

// Two sync rounds of d ended after the call (status lastSync moved twice): whatever it was
// going to log about the bucket as it stood, it has.
bool polled_twice(const daemon_process& d) {
    auto c = connect_to(d);
    for (int round = 0; round < 2; ++round) {
        const auto before = compact_json(call(c, "status", "{}")["lastSync"]);
        if (!wait_until([&] { return compact_json(call(c, "status", "{}")["lastSync"]) != before; },
                        30s)) {
            return false;
        }
    }
    return true;
}

}  // namespace

TEST_CASE("hostile bucket: each broken object is skipped with one warning, sync goes on") {
    two_daemons t(
        {"max_entry_bytes = 1048576", "max_content_bytes = 65536", "max_entry_files = 10000"});
    auto ca = connect_to(t.a);
    // B's subscriber: every change under k/ from the start.
    auto watch = t.b.ctl_background({"watch", "--prefix", "k/", "--since", "0"});

    for (int i = 0; i < 3; ++i) {
        call(ca, "put",
             R"({"key":"k/)" + std::to_string(i) + R"(","value":)" + std::to_string(i) +
                 R"(,"await":"remote"})");
    }
    REQUIRE_MESSAGE(holds(t.b, "k/2", "2"), "B's log:\n" << t.b.log());

    const std::string& bucket = t.bucket;
    const std::string ref_prefix = bucket + "/";  // a content ref is "<bucket>/<key>"
    std::vector<hostile> cases;
    // As a writer does after its entry: the daemons LIST at their next poll, not in 30 s.
    const auto touch_marker = [&] { put_object_now(shared_server(), bucket, manifest, "\"\""); };
    const auto entry_case = [&](const std::string& what, const std::string& session,
                                const std::string& body, const std::string& why) {
        const auto key = fresh_entry_key(session);
        put_object_now(shared_server(), bucket, key, body);
        cases.push_back({what, "skipping manifest entry " + key + ": ", why});
    };

    // Entries no reader can use: skipped as if absent, the previous one stays the base.
    entry_case("malformed JSON", "h01", R"({"files": {")" + ref_prefix + R"(k/0": {"version": )",
               "manifest entry: ");
    entry_case("files of the wrong type", "h02", R"({"files": [1, 2, 3], "update": {"files": {}}})",
               "manifest entry: ");  // "files" is an array (quotes are escaped in the log)
    entry_case("no files member", "h03", R"({"update": {"files": {}}})",
               "manifest entry: no ");  // "files" member
    entry_case("a body over max_entry_bytes (2 MiB)", "h04",
               R"({"files": {}, "pad": ")" + std::string(std::size_t{2} << 20, 'x') + "\"}",
               "larger than the limit of 1048576 bytes");
    {
        std::string many = R"({"files": {)";
        for (int i = 0; i < 20'000; ++i) {
            many += (i == 0 ? "\"" : ",\"") + ref_prefix + "m/" + std::to_string(i) +
                    R"(":{"version":"v"})";
        }
        many += "}}";
        entry_case("a files map of 20,000 members (limit 10,000)", "h05", many,
                   "names 20000 files, more than the limit of 10000");
    }

    // Each daemon warns about each, within the deadline. Waited for group by group: an entry
    // is only read while it is within the replay window of the newest readable one.
    std::size_t warned = 0;
    const auto warned_by_both = [&](std::size_t upto) {
        for (auto* d : {&t.a, &t.b}) {
            for (std::size_t i = warned; i < upto; ++i) {
                const auto& c = cases[i];
                const bool said = wait_until(
                    [&] { return warnings_naming(d->log(), c.warning, c.reason) >= 1; }, 60s);
                CHECK_MESSAGE(said, c.what << ": no warning holding '" << c.warning << "' then '"
                                           << c.reason << "'; log:\n"
                                           << d->log());
            }
        }
        warned = upto;
    };
    touch_marker();
    warned_by_both(cases.size());

    // Readable entries with bad parts. They carry the whole state (they become the latest).
    const auto state = current_files_members(bucket);
    {
        const auto key = fresh_entry_key("h06");
        put_object_now(shared_server(), bucket, key,
                       R"({"files": {)" + state + ",\"" + ref_prefix + R"(k/bad1": 5, ")" +
                           ref_prefix + R"(k/bad2": {"version": 7}}, "update": {"files": {")" +
                           ref_prefix + R"(k/bad3": "x"}}})");
        cases.push_back({"members of the wrong type", "manifest entry " + key + ": skipped 3 "});
    }
    put_object_now(shared_server(), bucket, "k/notjson@nj-1", "this is { not JSON");
    put_object_now(shared_server(), bucket, "k/big@big-1",
                   "\"" + std::string(std::size_t{100} << 10, 'y') + "\"");
    put_object_now(shared_server(), bucket, fresh_entry_key("h07"),
                   R"({"files": {)" + state + R"(}, "update": {"files": {")" + ref_prefix +
                       R"(k/ghost": {"version": "ghost-1"}, ")" + ref_prefix +
                       R"(k/notjson": {"version": "nj-1"}, ")" + ref_prefix +
                       R"(k/big": {"version": "big-1"}}}})");
    cases.push_back({"content that does not exist (404)",
                     "content k/ghost@ghost-1 named by the manifest is missing"});
    cases.push_back({"content that is not JSON", "content k/notjson@nj-1 is not JSON"});
    cases.push_back({"content over max_content_bytes (100 KiB)", "content k/big@big-1 refused"});
    touch_marker();
    warned_by_both(cases.size());

    // Objects under the entry prefix that are not entries (never touched, never collected).
    for (const std::string& junk : {manifest + "@zzz-not-an-entry", manifest + "@x/y.json"}) {
        put_object_now(shared_server(), bucket, junk, "{}");
        cases.push_back({"a key under M@ that is not an entry: " + junk,
                         "ignoring " + junk + ": under the manifest's prefix but not an entry"});
    }
    // The marker with a body other than "".
    const std::string marker_body = "\"not the empty string\"";
    put_object_now(shared_server(), bucket, manifest, marker_body);
    cases.push_back(
        {"a marker that is not \"\"",
         "the marker " + manifest + " holds " + std::to_string(marker_body.size()) + " bytes"});

    warned_by_both(cases.size());

    // Valid writes after all of that still reach B and its subscriber.
    for (int i = 3; i < 6; ++i) {
        call(ca, "put",
             R"({"key":"k/)" + std::to_string(i) + R"(","value":)" + std::to_string(i) +
                 R"(,"await":"remote"})");
    }
    CHECK_MESSAGE(holds(t.b, "k/5", "5"), "B's log:\n" << t.b.log());
    std::map<std::string, std::string> seen;
    while (seen.size() < 6 || !seen.contains("k/5")) {
        const auto line = watch->read_line(30s);
        REQUIRE_MESSAGE(line.has_value(), "the watch stopped; B's log:\n" << t.b.log());
        const auto change = parse_json(*line);
        if (change.HasMember("value")) {
            seen[change["key"].GetString()] = compact_json(change["value"]);
        }
    }
    for (int i = 0; i < 6; ++i) {
        CHECK(seen["k/" + std::to_string(i)] == std::to_string(i));
    }
    CHECK_FALSE(seen.contains("k/bad1"));
    CHECK_FALSE(seen.contains("k/ghost"));
    CHECK_FALSE(seen.contains("k/notjson"));
    CHECK_FALSE(seen.contains("k/big"));

    // More polls change nothing: still exactly one warning per object, in each daemon.
    for (auto* d : {&t.a, &t.b}) {
        REQUIRE(polled_twice(*d));
        const auto log = d->log();
        for (const auto& c : cases) {
            CHECK_MESSAGE(warnings_naming(log, c.warning) == 1,
                          c.what << ": " << warnings_naming(log, c.warning) << " warnings holding '"
                                 << c.warning << "'");
        }
        // Healthy (a transient failure of the server may pass by), serving, bounded.
        CHECK_MESSAGE(count_of(log, "level=error") == 0, log);
        auto c = connect_to(*d);
        rapidjson::Document st;
        CHECK_MESSAGE(wait_until(
                          [&] {
                              st = call(c, "status", "{}");
                              return st["lastErrorKind"].IsNull();
                          },
                          30s),
                      compact_json(st));
        CHECK(d->running());
        const auto peak = peak_rss_bytes(d->pid());
        MESSAGE("peak RSS of a daemon: " << peak / 1024 << " KiB");
        CHECK(peak < small_case_rss_bound);
    }
}

// By hand: MPS3_TEST_SERVER=s3rver build/tests/mps3_integration_tests --no-skip
//   -tc='hostile bucket (default limits)*'. A 100 MB entry and a 1,000,000-member files map at
// the default limits: the first is refused from its Content-Length, the second is downloaded
// (about 40 MB, under max_entry_bytes), parsed, and refused by max_entry_files before any
// member is copied out. Prints the PUT times and the daemon's peak RSS.
TEST_CASE("hostile bucket (default limits): a 100 MB entry and 1,000,000 files" *
          doctest::skip(true)) {
    two_daemons t({});
    auto ca = connect_to(t.a);
    call(ca, "put", R"({"key":"k/0","value":0,"await":"remote"})");
    REQUIRE(holds(t.b, "k/0", "0"));
    const std::string ref_prefix = t.bucket + "/";

    const auto timed_put = [&](const std::string& key, const std::string& body) {
        const auto start = std::chrono::steady_clock::now();
        put_object_now(shared_server(), t.bucket, key, body);
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - start);
        MESSAGE("PUT of " << body.size() << " bytes took " << ms.count() << " ms");
    };
    // Stamped 3 s ahead: still valid if the PUT completes (LastModified) within 8 s.
    const auto ahead = [](const std::string& session) {
        return spec::entry_key(manifest, spec::now_ms() + 3000, session, 0);
    };
    const auto big_key = ahead("h11");
    timed_put(big_key, R"({"files": {}, "pad": ")" + std::string(100'000'000, 'x') + "\"}");
    std::string many = R"({"files": {)";
    for (int i = 0; i < 1'000'000; ++i) {
        many += (i == 0 ? "\"" : ",\"") + ref_prefix + "m/" + std::to_string(i) +
                R"(":{"version":"v"})";
    }
    many += "}}";
    const auto many_key = ahead("h12");
    timed_put(many_key, many);

    for (auto* d : {&t.a, &t.b}) {
        CHECK(wait_until(
            [&] {
                const auto log = d->log();
                return warnings_naming(log, "skipping manifest entry " + big_key) == 1 &&
                       warnings_naming(log, "skipping manifest entry " + many_key) == 1;
            },
            120s));
    }
    call(ca, "put", R"({"key":"k/1","value":1,"await":"remote"})");
    CHECK(holds(t.b, "k/1", "1"));
    for (auto* d : {&t.a, &t.b}) {
        REQUIRE(polled_twice(*d));
        CHECK(d->running());
        MESSAGE("peak RSS of a daemon: " << peak_rss_bytes(d->pid()) / 1024 << " KiB");
        auto c = connect_to(*d);
        CHECK(call(c, "status", "{}")["lastErrorKind"].IsNull());
    }
}
