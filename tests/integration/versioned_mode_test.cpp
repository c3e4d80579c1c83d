// Versioned mode (store setting `versioning = true`, MPS3's useVersioning; BUCKET_FORMAT.md
// section 10, docs/bucket-format.md "Versioned mode") with real daemons:
//   - a bucket whose versioning is not Enabled is refused at start, exit 2, with the reason
//     (both servers: s3rver has no versioning at all, RGW's bucket is not enabled or suspended);
//   - on RGW: two daemons converge through puts, putAlls and deletes, the independent reader
//     resolves the bucket through `GET <key>?versionId=` to the same state, content is never
//     written as `<key>@<version>`, and garbage collection of entries leaves every version the
//     manifest names readable;
//   - on RGW: a kill -9 crash loop (bounded by MPS3_VERSIONED_CRASH_CYCLES, default 8) loses no
//     acknowledged write. Seeded: MPS3_CRASH_SEED=<n> replays a run's choices.
#include "async_test.hpp"
#include "bucket_tools.hpp"
#include "daemon_process.hpp"
#include "rpc_calls.hpp"
#include "spec_reader.hpp"

#include "ctl/socket_client.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace mps3::test;
using namespace std::chrono_literals;
using mps3::ctl::socket_client;
namespace asio = boost::asio;

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
}

void set_versioning_now(const std::string& bucket, bool enabled) {
    using made_type = std::optional<mps3::result<mps3::s3::response_meta>>;
    const auto made = run_async([&](asio::any_io_executor ex) -> asio::awaitable<made_type> {
        mps3::s3::client client(ex, shared_server().client_config());
        made_type out = co_await client.async_put_bucket_versioning(bucket, enabled);
        co_return out;
    });
    REQUIRE_MESSAGE(made->has_value(), (*made ? "" : (*made).err().describe()));
}

std::string versioning_status_now(const std::string& bucket) {
    using answer_type = std::optional<mps3::result<mps3::s3::bucket_versioning>>;
    const auto got = run_async([&](asio::any_io_executor ex) -> asio::awaitable<answer_type> {
        mps3::s3::client client(ex, shared_server().client_config());
        answer_type out = co_await client.async_get_bucket_versioning(bucket);
        co_return out;
    });
    if (!*got) {
        return "error: " + got->err().describe();
    }
    return (*got)->status;
}

// The bucket as the independent reader resolves it, content read by mode.
spec::bucket_state read_state_now(const std::string& bucket, bool versioned) {
    using state_type = std::optional<mps3::result<spec::bucket_state>>;
    auto state = run_async([&](asio::any_io_executor ex) -> asio::awaitable<state_type> {
        mps3::s3::client client(ex, shared_server().client_config());
        spec::read_options options;
        options.versioned = versioned;
        state_type out = co_await spec::read_bucket(client, bucket, "manifest.json", options);
        co_return out;
    });
    REQUIRE_MESSAGE(state->has_value(), (*state ? "" : (*state).err().describe()));
    return std::move(**state);
}

spec::check_report check_now(const std::string& bucket) {
    using report_type = std::optional<mps3::result<spec::check_report>>;
    auto report = run_async([&](asio::any_io_executor ex) -> asio::awaitable<report_type> {
        mps3::s3::client client(ex, shared_server().client_config());
        spec::check_options options;
        options.versioned = true;
        report_type out = co_await spec::check_entries(client, bucket, "manifest.json", options);
        co_return out;
    });
    REQUIRE_MESSAGE(report->has_value(), (*report ? "" : (*report).err().describe()));
    return std::move(**report);
}

// Every key of the store, as one daemon serves it: key -> compact JSON.
std::map<std::string, std::string> served(daemon_process& d) {
    auto c = connect_to(d);
    std::map<std::string, std::string> out;
    std::string params = R"({"limit":1000})";
    while (true) {
        auto page = call(c, "list", params);
        for (const auto& e : page["entries"].GetArray()) {
            out.emplace(e["key"].GetString(), compact_json(e["value"]));
        }
        if (!page.HasMember("cursor")) {
            return out;
        }
        params = R"({"limit":1000,"cursor":)" + compact_json(page["cursor"]) + "}";
    }
}

daemon_options versioned_daemon(const std::string& bucket, const std::filesystem::path& dir) {
    daemon_options o{bucket, "manifest.json", dir};
    o.store_config = {"versioning = true"};
    return o;
}

struct versioned_bucket {
    std::string bucket;
    std::filesystem::path dir;
    explicit versioned_bucket(std::string_view hint)
        : bucket(unique_bucket(hint)), dir(make_temp_dir(hint)) {
        create_bucket_now(shared_server(), bucket);
        set_versioning_now(bucket, true);
    }
    ~versioned_bucket() { std::filesystem::remove_all(dir); }
};

}  // namespace

TEST_CASE("versioned mode: mps3d refuses to start on a bucket without versioning Enabled") {
    const auto bucket = unique_bucket("vnone");
    const auto dir = make_temp_dir("vnone");
    create_bucket_now(shared_server(), bucket);
    {
        daemon_process d(shared_server(), versioned_daemon(bucket, dir / "a"));
        const auto code = d.run_to_exit(60s);
        REQUIRE_MESSAGE(code.has_value(), "mps3d kept running:\n" << d.log());
        CHECK(*code == 2);
        const auto log = d.log();
        MESSAGE("refused: " << log.substr(0, 600));
        if (shared_server().is_rgw()) {
            CHECK(log.find("bucket " + bucket + " has never had S3 versioning enabled") !=
                  std::string::npos);
        } else {
            // s3rver 3.7.1 ignores ?versioning and answers GET /<bucket>?versioning with a
            // bucket listing (measured; not the NotImplemented TEST_SERVERS.md expected).
            CHECK(log.find("the server does not support bucket versioning") != std::string::npos);
            CHECK(log.find("got <ListBucketResult>") != std::string::npos);
        }
        CHECK(log.find("versioning = false") != std::string::npos);
    }
    if (shared_server().is_rgw()) {
        // Enabled, then suspended: refused again, saying so.
        set_versioning_now(bucket, true);
        set_versioning_now(bucket, false);
        CHECK(versioning_status_now(bucket) == "Suspended");
        daemon_process d(shared_server(), versioned_daemon(bucket, dir / "b"));
        const auto code = d.run_to_exit(60s);
        REQUIRE(code.has_value());
        CHECK(*code == 2);
        CHECK(d.log().find("has S3 versioning Suspended, not Enabled") != std::string::npos);
    }
    // The same daemon in the default mode starts on that bucket.
    daemon_process plain(shared_server(), daemon_options{bucket, "manifest.json", dir / "c"});
    plain.start();
    auto c = connect_to(plain);
    auto status = call(c, "status", "{}");
    CHECK_FALSE(status["versioning"].GetBool());
    CHECK(plain.stop(60s) == 0);
    std::filesystem::remove_all(dir);
}

TEST_CASE("versioned mode: two daemons converge; the independent reader resolves by versionId") {
    if (!shared_server().is_rgw()) {
        MESSAGE("s3rver has no versioning: covered by the refused start above");
        return;
    }
    versioned_bucket t("vconv");
    REQUIRE(versioning_status_now(t.bucket) == "Enabled");
    daemon_process a(shared_server(), versioned_daemon(t.bucket, t.dir / "a"));
    daemon_process b(shared_server(), versioned_daemon(t.bucket, t.dir / "b"));
    a.start();
    b.start();
    auto ca = connect_to(a);
    auto cb = connect_to(b);
    CHECK(call(ca, "status", "{}")["versioning"].GetBool());

    // Both write, some keys from both sides; deletes and atomic putAlls.
    for (int i = 0; i < 20; ++i) {
        call(ca, "put",
             R"({"key":"a/)" + std::to_string(i) + R"(","value":{"n":)" + std::to_string(i) + "}}");
        call(cb, "put",
             R"({"key":"shared/)" + std::to_string(i % 5) + R"(","value":)" + std::to_string(i) +
                 "}");
    }
    // A's writes are in the bucket before B deletes one of them: B's entry then sorts after
    // A's (last writer in entry order wins), whatever the two upload loops' timing.
    call(ca, "flush", R"({"timeoutMs":60000})");
    call(
        cb, "putAll",
        R"({"ops":[{"key":"b/x","value":"x"},{"key":"b/y","value":[1,2]},{"key":"a/3","delete":true}]})");
    call(ca, "delete", R"({"key":"a/4"})");
    call(ca, "putAll", R"({"ops":[{"key":"a/5","value":null},{"key":"b/z","value":true}]})");
    call(ca, "flush", R"({"timeoutMs":60000})");
    call(cb, "flush", R"({"timeoutMs":60000})");

    // Converged: both daemons and the independent reader (versionId GETs) hold the same state.
    std::map<std::string, std::string> in_bucket;
    const bool converged = wait_until(
        [&] {
            in_bucket = read_state_now(t.bucket, true).values;
            return served(a) == in_bucket && served(b) == in_bucket;
        },
        60s);
    REQUIRE_MESSAGE(converged, "A:\n" << a.log() << "\nB:\n" << b.log());
    CHECK(in_bucket.size() == 20 - 2 + 5 + 3);
    CHECK(in_bucket.at("a/0") == R"({"n":0})");
    CHECK(in_bucket.at("a/5") == "null");
    CHECK(in_bucket.at("b/y") == "[1,2]");
    CHECK(in_bucket.at("b/z") == "true");
    CHECK_FALSE(in_bucket.contains("a/3"));
    CHECK_FALSE(in_bucket.contains("a/4"));

    const auto state = read_state_now(t.bucket, true);
    CHECK(state.bad_content.empty());
    // The versions the manifest names are RGW's version ids, not UUIDs the writer chose.
    for (const auto& [ref, version] : state.versions) {
        CHECK_MESSAGE(version.size() != 36, ref << " names " << version);
    }
    // A reader in the default mode finds none of it: content is never at "<key>@<version>".
    const auto as_default = read_state_now(t.bucket, false);
    CHECK(as_default.values.empty());
    CHECK(as_default.bad_content.size() == state.versions.size());
    for (const auto& key : list_keys_now(shared_server(), t.bucket, "")) {
        const bool entry = key.rfind("manifest.json@", 0) == 0;
        CHECK_MESSAGE((entry || key.find('@') == std::string::npos), key);
    }
    // Every entry mps3d wrote passes the checker, content read by versionId.
    const auto report = check_now(t.bucket);
    CHECK(report.entries_checked > 0);
    CHECK(report.content_checked > 0);
    for (const auto& v : report.violations) {
        FAIL_CHECK(v);
    }

    // Garbage collection: entries older than the replay window before the newest go (as a
    // delete marker each on a versioned bucket); the content versions they named must not.
    // Writes at least 5 s (the window, by the server's clock) after the ones above make
    // everything before them collectable.
    const auto before = list_keys_now(shared_server(), t.bucket, "manifest.json@").size();
    const auto first_done = spec::now_ms();
    REQUIRE(wait_until([&] { return spec::now_ms() > first_done + 6000; }, 10s));
    call(ca, "put", R"({"key":"late/a","value":1})");
    call(ca, "flush", R"({"timeoutMs":60000})");
    call(cb, "put", R"({"key":"late/b","value":2})");
    call(cb, "flush", R"({"timeoutMs":60000})");
    std::size_t after = before;
    const bool collected = wait_until(
        [&] {
            after = list_keys_now(shared_server(), t.bucket, "manifest.json@").size();
            return after <= 2;
        },
        60s);
    CHECK_MESSAGE(collected, before << " entries before, " << after << " listed after");
    MESSAGE("entries listed: " << before << " before collection, " << after << " after");
    const auto final_state = read_state_now(t.bucket, true);
    CHECK(final_state.bad_content.empty());
    auto expected = in_bucket;
    expected["late/a"] = "1";
    expected["late/b"] = "2";
    CHECK(final_state.values == expected);
    const bool both =
        wait_until([&] { return served(a) == expected && served(b) == expected; }, 60s);
    CHECK(both);
    CHECK(a.stop(60s) == 0);
    CHECK(b.stop(60s) == 0);
}

TEST_CASE("versioned mode: SIGKILL in a loop never loses an acknowledged write") {
    if (!shared_server().is_rgw()) {
        MESSAGE("s3rver has no versioning: covered by the refused start above");
        return;
    }
    const auto seed = env_number("MPS3_CRASH_SEED", static_cast<std::uint64_t>(std::time(nullptr)));
    const auto cycles = env_number("MPS3_VERSIONED_CRASH_CYCLES", 8);
    std::cout << "versioned crash loop: seed " << seed << ", " << cycles
              << " cycles (replay with MPS3_CRASH_SEED=" << seed << ")" << std::endl;
    MESSAGE("seed " << seed);
    std::mt19937_64 rng(seed);
    auto pick = [&](std::uint64_t lo, std::uint64_t hi) {
        return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
    };

    versioned_bucket t("vcrash");
    daemon_process d(shared_server(), versioned_daemon(t.bucket, t.dir / "d"));
    // A second daemon reading (and collecting) all along.
    daemon_process reader(shared_server(), versioned_daemon(t.bucket, t.dir / "r"));
    reader.start();

    constexpr int key_count = 20;
    // Per key: (n, acknowledged seq or 0) of every write sent, in order; value {"n":n}, or a
    // delete when n is odd and the op was a delete.
    struct sent_op {
        std::uint64_t n;
        bool del;
    };
    std::map<std::string, std::vector<sent_op>> sent;
    std::map<std::string, std::uint64_t> acked_floor;  // per key: the latest acknowledged seq
    std::map<std::uint64_t, std::uint64_t> seq_of;     // n -> seq, for acknowledged writes
    std::uint64_t next_n = 1;
    std::uint64_t acknowledged = 0;

    for (std::uint64_t cycle = 0; cycle < cycles; ++cycle) {
        d.start();
        auto conn = socket_client::connect(d.socket());
        REQUIRE(conn.has_value());
        const auto until = socket_client::clock::now() + 60s;
        std::map<std::string, std::vector<std::pair<std::string, sent_op>>> in_flight;
        const auto burst = pick(5, 60);
        for (std::uint64_t r = 0; r < burst; ++r) {
            const auto kind = pick(0, 9);
            const auto group = kind < 2 ? pick(2, 4) : 1;
            std::vector<std::pair<std::string, sent_op>> ops;
            std::string params;
            std::string method;
            for (std::uint64_t g = 0; g < group; ++g) {
                const std::string key = "v/" + std::to_string(pick(0, key_count - 1));
                ops.emplace_back(key, sent_op{next_n++, kind == 9});
                sent[key].push_back(ops.back().second);
            }
            const auto json_of = [](const std::pair<std::string, sent_op>& o) {
                return o.second.del ? R"({"key":")" + o.first + R"(","delete":true})"
                                    : R"({"key":")" + o.first + R"(","value":{"n":)" +
                                          std::to_string(o.second.n) + "}}";
            };
            if (group > 1) {
                method = "putAll";
                params = R"({"ops":[)";
                for (std::size_t i = 0; i < ops.size(); ++i) {
                    params += (i ? "," : "") + json_of(ops[i]);
                }
                params += "]}";
            } else if (ops.front().second.del) {
                method = "delete";
                params = R"({"key":")" + ops.front().first + "\"}";
            } else {
                method = "put";
                params = json_of(ops.front());
            }
            auto id = conn->send(method, params, until);
            REQUIRE(id.has_value());
            in_flight[id->to_json()] = std::move(ops);
        }
        const auto kill_after = pick(0, burst);
        for (std::uint64_t read = 0; read < kill_after; ++read) {
            auto in = conn->receive(until);
            REQUIRE_MESSAGE(in.has_value(), (in ? "" : in.err().describe()) << "\n" << d.log());
            auto& resp = std::get<mps3::ipc::rpc_response>(*in);
            REQUIRE_MESSAGE(resp.ok(), resp.error->message);
            auto it = in_flight.find(resp.id.to_json());
            REQUIRE(it != in_flight.end());
            const auto seq = resp.result["seq"].GetUint64();
            for (const auto& [key, o] : it->second) {
                acked_floor[key] = std::max(acked_floor[key], seq);
                seq_of[o.n] = seq;
            }
            acknowledged += it->second.size();
            in_flight.erase(it);
        }
        // Sometimes a little later, so that kills land inside uploads: between a content PUT
        // and the recording of its version id, between that and the entry.
        const timespec pause{0, static_cast<long>(pick(0, 150)) * 1'000'000};
        nanosleep(&pause, nullptr);
        d.kill9();
    }

    d.start();
    auto flushed = d.ctl({"flush", "--timeout", "120"});
    REQUIRE_MESSAGE(flushed.exit_code == 0, flushed.err << "\n" << d.log());
    const auto state = read_state_now(t.bucket, true);
    CHECK(state.bad_content.empty());

    std::uint64_t lost = 0;
    for (const auto& [key, ops] : sent) {
        const auto floor = acked_floor.count(key) ? acked_floor.at(key) : 0;
        const auto it = state.values.find(key);
        const std::string actual = it == state.values.end() ? "<absent>" : it->second;
        bool allowed = floor == 0 && actual == "<absent>";
        for (const auto& o : ops) {
            const auto acked = seq_of.find(o.n);
            const bool not_before_floor = acked == seq_of.end() || acked->second >= floor;
            const std::string outcome =
                o.del ? std::string("<absent>") : R"({"n":)" + std::to_string(o.n) + "}";
            allowed = allowed || (not_before_floor && outcome == actual);
        }
        if (!allowed) {
            ++lost;
            FAIL_CHECK("key " << key << ": bucket has " << actual
                              << ", but the latest acknowledged write has seq " << floor);
        }
    }
    // The reading daemon ends where the bucket is.
    const bool reader_caught_up = wait_until([&] { return served(reader) == state.values; }, 60s);
    CHECK_MESSAGE(reader_caught_up, reader.log());
    const auto report = check_now(t.bucket);
    for (const auto& v : report.violations) {
        FAIL_CHECK(v);
    }
    std::cout << "versioned crash loop: " << cycles << " SIGKILLs, " << acknowledged
              << " writes acknowledged, " << lost << " lost, " << state.values.size()
              << " keys in the bucket, " << report.entries_checked << " entries checked"
              << std::endl;
    CHECK(lost == 0);
    CHECK(d.stop(60s) == 0);
    CHECK(reader.stop(60s) == 0);
}
