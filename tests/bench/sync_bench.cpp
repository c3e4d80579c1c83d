// Sync speed figures: how fast mps3d moves writes into the bucket and other writers' state out
// of it, on loopback and through a latency proxy (a WAN on loopback), against the real s3rver
// and real mps3d processes. The baseline for making transfers parallel; docs/benchmarks.md
// holds the figures and says what each one measures.
//
//   build/tests/bench/mps3_bench_sync [--delay-ms 25] [--quick] [--json FILE] [--server rgw]
//                                     [--puts 1000] [--join-keys 10000] [--big-keys 100000]
//                                     [--only abcdef]
//
//   a. N puts pipelined on one connection, first put sent -> flush returned (loopback and WAN);
//   b. a fresh daemon joining a store of N keys: spawn -> it holds them all (loopback and WAN);
//   c. the same on loopback for the big store (100,000 keys);
//   d. one put on daemon A of the big store -> `changed` on daemon B, and what B downloaded;
//   e. requests per idle poll (daemon in sync, poll 100 ms);
//   f. the size of the manifest entry one put writes, by store size, plain and gzip
//      (compress_entries), and the bytes the put moved on the wire.
//
// Stores are seeded straight into the bucket (content objects, then one manifest entry and the
// marker, as ../shared/BUCKET_FORMAT.md sections 3-7 say), not through a daemon: seeding is
// setup, not a figure. Every daemon talks to the server through its own tcp_proxy, which
// counts its requests by kind and its bytes. Times are wall time (steady clock).
//
// --quick runs a seconds-long version (CI): it fails when a figure could not be produced, never
// because of a time.
#include "bench_report.hpp"
#include "bucket_tools.hpp"
#include "daemon_process.hpp"
#include "process_stats.hpp"
#include "replica_builder.hpp"
#include "tcp_proxy.hpp"
#include "test_server.hpp"

#include "ctl/socket_client.hpp"
#include "protocol/clock.hpp"
#include "protocol/content_ref.hpp"
#include "protocol/entry_body.hpp"
#include "protocol/entry_key.hpp"

#include <rapidjson/document.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace {

using namespace mps3::test;
using namespace std::chrono_literals;
using mps3::ctl::socket_client;
namespace asio = boost::asio;
namespace protocol = mps3::protocol;
namespace s3 = mps3::s3;
using steady = std::chrono::steady_clock;

constexpr const char* manifest = "manifest.json";
// Requests in flight while seeding: s3rver is one Node process, this keeps it busy.
constexpr std::size_t seed_parallelism = 64;
constexpr auto poll_interval = 100ms;
// How often a wait re-reads the daemon's status: the resolution of the join figures.
constexpr auto status_period = 10ms;

double seconds_since(steady::time_point t0) {
    return std::chrono::duration<double>(steady::now() - t0).count();
}

struct bench_options {
    int delay_ms = 25;
    bool quick = false;
    std::string json_file;
    std::size_t puts = 1000;
    std::size_t join_keys = 10000;
    std::size_t big_keys = 100000;
    std::size_t small_keys = 1000;  // the smallest store of figure f
    std::chrono::milliseconds idle = 3000ms;
    std::chrono::seconds patience = 1800s;  // bound of every wait on a daemon or the server
    std::uint64_t seed = 0;
    std::string server = "s3rver";
    std::string only;  // figure ids to produce; empty: all

    [[nodiscard]] bool wants(char id) const { return only.empty() || only.find(id) != only.npos; }
};

// ---- Figures ------------------------------------------------------------------------------

struct figure {
    std::string id;       // "a" .. "f"
    std::string title;    // what was done
    std::string network;  // "loopback" or "WAN +25 ms"
    std::vector<std::pair<std::string, double>> values;
    std::string detail;  // requests by kind, notes
};

std::string network_name(int delay_ms) {
    return delay_ms == 0 ? "loopback" : "WAN +" + std::to_string(delay_ms) + " ms";
}

std::string fmt(double v, int decimals = 1) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

// "LIST 2, GET 3, ..." per unit (1: totals), kinds that occurred only.
std::string requests_text(const proxy_traffic& t, double per = 1) {
    const std::vector<std::pair<const char*, std::uint64_t>> kinds{{"LIST", t.list},
                                                                   {"GET", t.get},
                                                                   {"HEAD", t.head},
                                                                   {"PUT", t.put},
                                                                   {"DELETE", t.del},
                                                                   {"other", t.other},
                                                                   {"unparsed conn", t.unparsed}};
    std::string out;
    for (const auto& [name, n] : kinds) {
        if (n == 0) {
            continue;
        }
        out += (out.empty() ? "" : ", ") + std::string(name) + " " +
               (per == 1 ? std::to_string(n) : fmt(static_cast<double>(n) / per, 3));
    }
    return out.empty() ? "no requests" : out;
}

void add_traffic(figure& f, const proxy_traffic& t) {
    f.values.emplace_back("requests", static_cast<double>(t.requests()));
    f.values.emplace_back("list", static_cast<double>(t.list));
    f.values.emplace_back("get", static_cast<double>(t.get));
    f.values.emplace_back("head", static_cast<double>(t.head));
    f.values.emplace_back("put", static_cast<double>(t.put));
    f.values.emplace_back("delete", static_cast<double>(t.del));
    f.values.emplace_back("other", static_cast<double>(t.other));
    f.values.emplace_back("bytesToServer", static_cast<double>(t.bytes_to_server));
    f.values.emplace_back("bytesFromServer", static_cast<double>(t.bytes_from_server));
}

// ---- Talking to a daemon (exceptions, not doctest) ------------------------------------------

socket_client connect(const daemon_process& d) {
    auto c = socket_client::connect(d.socket());
    if (!c) {
        throw std::runtime_error(c.err().describe());
    }
    return std::move(*c);
}

rapidjson::Document call(socket_client& c, const std::string& method, const std::string& params,
                         std::chrono::milliseconds timeout = 60s) {
    auto r = c.call(method, params, steady::now() + timeout);
    if (!r) {
        throw std::runtime_error(method + ": " + r.err().describe());
    }
    if (!r->ok()) {
        throw std::runtime_error(method + " failed: " + r->error->message);
    }
    rapidjson::Document out;
    out.CopyFrom(r->result, out.GetAllocator());
    return out;
}

struct daemon_status {
    std::uint64_t last_seq = 0;
    std::uint64_t queued = 0;
    std::uint64_t entries_written = 0;
    std::string last_sync;  // "" until the first sync
    std::string last_error;
};

daemon_status status(socket_client& c) {
    const auto s = call(c, "status", "{}");
    daemon_status out;
    out.last_seq = s["lastSeq"].GetUint64();
    out.queued = s["queuedWrites"].GetUint64();
    out.entries_written = s["entriesWritten"].GetUint64();
    out.last_sync = s["lastSync"].IsString() ? s["lastSync"].GetString() : "";
    out.last_error = s["lastError"].GetString();
    return out;
}

// Re-reads the status every status_period until ready(status); throws at the deadline.
daemon_status wait_status(socket_client& c, const std::function<bool(const daemon_status&)>& ready,
                          std::chrono::milliseconds timeout, const std::string& what) {
    const auto until = steady::now() + timeout;
    for (;;) {
        auto s = status(c);
        if (ready(s)) {
            return s;
        }
        if (steady::now() >= until) {
            throw std::runtime_error(
                "timed out waiting for " + what + " (lastSeq " + std::to_string(s.last_seq) +
                ", queued " + std::to_string(s.queued) + ", lastError '" + s.last_error + "')");
        }
        std::this_thread::sleep_for(status_period);
    }
}

// Synced once: the first sync with the bucket finished and nothing is queued.
void wait_synced(socket_client& c, std::chrono::milliseconds timeout) {
    (void)wait_status(
        c, [](const daemon_status& s) { return !s.last_sync.empty() && s.queued == 0; }, timeout,
        "the first sync");
}

// Every key the daemon holds, walked with `list` pages.
std::size_t count_keys(socket_client& c) {
    std::size_t n = 0;
    std::string cursor;
    for (;;) {
        std::string params = R"({"limit":1000)";
        if (!cursor.empty()) {
            params += R"(,"cursor":")" + cursor + "\"";
        }
        const auto page = call(c, "list", params + "}");
        n += page["entries"].Size();
        if (!page.HasMember("cursor")) {
            return n;
        }
        cursor = page["cursor"].GetString();
    }
}

// ---- CPU: who is busy ---------------------------------------------------------------------

// The CPU the daemon and the S3 server spent during a figure: where the time went.
struct cpu_meter {
    pid_t daemon = 0;
    std::vector<pid_t> server;
    std::string server_name;
    double daemon_start = 0;
    double server_start = 0;
    cpu_meter(pid_t daemon_pid, const test_server& s)
        : daemon(daemon_pid),
          server(server_pids(s)),
          server_name(s.kind()),
          daemon_start(cpu_seconds(daemon_pid)),
          server_start(cpu_seconds(server)) {}
    void add_to(figure& f, double wall) const {
        const double d = cpu_seconds(daemon) - daemon_start;
        f.values.emplace_back("daemonCpuSeconds", d);
        std::string text = "; CPU: mps3d " + fmt(d, 2) + " s";
        if (!server.empty()) {
            const double s = cpu_seconds(server) - server_start;
            f.values.emplace_back("serverCpuSeconds", s);
            text += ", " + server_name + " " + fmt(s, 2) + " s (" + fmt(100 * s / wall, 0) +
                    "% of a core)";
        }
        f.detail += text;
    }
};

struct bench_env {
    const bench_options& options;
    const test_server& server;
    std::filesystem::path dir;
    std::mt19937_64 rng;
    int daemons = 0;

    daemon_options daemon(const std::string& bucket, const tcp_proxy* proxy) {
        daemon_options o{bucket, manifest, dir / ("d" + std::to_string(daemons++))};
        o.poll_interval_ms = static_cast<int>(poll_interval.count());
        if (proxy != nullptr) {
            o.endpoint = proxy->url();
        }
        return o;
    }
    std::string bucket(const std::string& hint) { return unique_bucket("bench-" + hint); }
};

// ---- Seeding a store straight into the bucket ------------------------------------------------

struct seed_state {
    s3::client& client;
    const std::string& bucket;
    std::size_t keys;
    std::size_t next = 0;
    std::string failure;
    protocol::clock_estimator clock{protocol::clock_options()};
};

void observe(protocol::clock_estimator& clock, const s3::response_meta& meta) {
    if (meta.server_date) {
        (void)clock.add({.local_sent = protocol::to_timestamp(meta.sent_at),
                         .local_received = protocol::to_timestamp(meta.received_at),
                         .server_date = protocol::to_timestamp(*meta.server_date)});
    }
}

asio::awaitable<void> put_contents(seed_state& st) {
    s3::put_options json;
    json.content_type = "application/json";
    while (st.next < st.keys && st.failure.empty()) {
        const std::size_t i = st.next++;
        auto put = co_await st.client.async_put_object(
            st.bucket, protocol::content_object_key(replica_key(i), replica_version(i)),
            replica_value(i), json);
        if (!put) {
            st.failure = "content PUT: " + put.err().describe();
            co_return;
        }
        observe(st.clock, put->meta);
    }
}

// One entry naming every key (its update; files empty), stamped with the server's clock as
// estimated from the content PUTs' Date headers, then the marker.
asio::awaitable<void> put_entry(seed_state& st, std::string session) {
    protocol::manifest_update update;
    for (std::size_t i = 0; i < st.keys; ++i) {
        // No replication member: what build_replica records, so a built replica is in sync.
        update.emplace(protocol::format_content_ref(st.bucket, replica_key(i)),
                       protocol::file_state{replica_version(i), std::nullopt});
    }
    auto body = protocol::serialize_entry_body({}, update);
    if (!body) {
        st.failure = "entry body: " + body.err().describe();
        co_return;
    }
    s3::put_options json;
    json.content_type = "application/json";
    const auto t = st.clock.server_now(protocol::to_timestamp(std::chrono::system_clock::now()));
    const auto key = protocol::format_entry_key(manifest, t, session, 0);
    auto put = co_await st.client.async_put_object(st.bucket, key, std::move(*body), json);
    if (!put) {
        st.failure = "entry PUT: " + put.err().describe();
        co_return;
    }
    // Readers take it iff |t - LastModified| < 5 s; Date is within a second of LastModified.
    if (!put->meta.server_date ||
        std::chrono::abs(protocol::to_timestamp(*put->meta.server_date) - t) > 3s) {
        st.failure = "the seeded entry's stamp is not within 3 s of the server's Date";
        co_return;
    }
    auto marker = co_await st.client.async_put_object(st.bucket, manifest, "\"\"", json);
    if (!marker) {
        st.failure = "marker PUT: " + marker.err().describe();
    }
}

// Runs coroutines on io until they finish or the deadline passes.
void run_io(asio::io_context& io, std::chrono::seconds deadline, const std::string& what) {
    io.restart();
    io.run_for(deadline);
    if (!io.stopped()) {
        throw std::runtime_error(what + " did not finish within " +
                                 std::to_string(deadline.count()) + " s");
    }
}

/// Creates the bucket and writes a store of n keys (replica_key/value/version) into it.
double seed_store(bench_env& env, const std::string& bucket, std::size_t n) {
    const auto t0 = steady::now();
    create_bucket_now(env.server, bucket);
    asio::io_context io;
    auto config = env.server.client_config();
    config.max_connections = seed_parallelism;
    s3::client client(io.get_executor(), config);
    seed_state st{client, bucket, n};
    std::exception_ptr thrown;
    const auto on_done = [&](std::exception_ptr e) {
        if (e) {
            thrown = e;
        }
    };
    for (std::size_t w = 0; w < seed_parallelism; ++w) {
        asio::co_spawn(io, put_contents(st), on_done);
    }
    run_io(io, env.options.patience, "seeding " + bucket);
    if (!thrown && st.failure.empty()) {
        asio::co_spawn(io, put_entry(st, protocol::make_session_id(env.rng())), on_done);
        run_io(io, env.options.patience, "the seed entry of " + bucket);
    }
    if (thrown) {
        std::rethrow_exception(thrown);
    }
    if (!st.failure.empty()) {
        throw std::runtime_error("seeding " + bucket + ": " + st.failure);
    }
    const double s = seconds_since(t0);
    std::printf("  (seeded %zu keys into %s in %.1f s, %.0f keys/s)\n", n, bucket.c_str(), s,
                static_cast<double>(n) / s);
    std::fflush(stdout);
    return s;
}

// ---- a. pipelined puts ------------------------------------------------------------------------

figure puts_figure(bench_env& env, int delay_ms) {
    const auto& o = env.options;
    const auto bucket = env.bucket("puts");
    create_bucket_now(env.server, bucket);
    tcp_proxy proxy(env.server.endpoint_url());
    proxy.set_delay(std::chrono::milliseconds(delay_ms));
    daemon_process d(env.server, env.daemon(bucket, &proxy));
    d.start();
    auto c = connect(d);
    wait_synced(c, o.patience);

    const auto before = proxy.traffic();
    const cpu_meter cpu(d.pid(), env.server);
    const auto until = steady::now() + o.patience;
    const auto t0 = steady::now();
    for (std::size_t i = 0; i < o.puts; ++i) {
        const auto sent =
            c.send("put", R"({"key":")" + replica_key(i) + R"(","value":)" + replica_value(i) + "}",
                   until);
        if (!sent) {
            throw std::runtime_error("put: " + sent.err().describe());
        }
    }
    for (std::size_t acked = 0; acked < o.puts;) {
        auto in = c.receive(until);
        if (!in) {
            throw std::runtime_error("put answers: " + in.err().describe());
        }
        if (const auto* r = std::get_if<mps3::ipc::rpc_response>(&*in)) {
            if (!r->ok()) {
                throw std::runtime_error("put failed: " + r->error->message);
            }
            ++acked;
        }
    }
    const double acked_s = seconds_since(t0);
    const auto timeout_ms = std::chrono::duration_cast<std::chrono::milliseconds>(o.patience);
    (void)call(c, "flush", R"({"timeoutMs":)" + std::to_string(timeout_ms.count()) + "}",
               timeout_ms + 10s);
    const double s = seconds_since(t0);
    const auto traffic = proxy.traffic() - before;
    const auto st = status(c);
    if (st.queued != 0) {
        throw std::runtime_error("flush returned with writes still queued");
    }
    // The independent reader must see every put in the bucket.
    const auto stored = read_bucket_now(env.server, bucket, manifest);
    if (stored.size() != o.puts) {
        throw std::runtime_error("the bucket holds " + std::to_string(stored.size()) +
                                 " keys after the flush, not " + std::to_string(o.puts));
    }

    figure f{
        "a", std::to_string(o.puts) + " pipelined puts -> flush", network_name(delay_ms), {}, {}};
    const auto puts = static_cast<double>(o.puts);
    f.values = {{"seconds", s},
                {"putsPerSecond", puts / s},
                {"ackedSeconds", acked_s},
                {"entriesWritten", static_cast<double>(st.entries_written)}};
    add_traffic(f, traffic);
    f.detail = fmt(s, 2) + " s, " + fmt(puts / s, 1) + " puts/s (all acked locally after " +
               fmt(acked_s, 2) + " s); " + std::to_string(st.entries_written) +
               " manifest entries; per write: " + requests_text(traffic, puts);
    cpu.add_to(f, s);
    return f;
}

// ---- b, c. a fresh daemon joining a store ---------------------------------------------------

struct joined {
    figure fig;
    std::unique_ptr<tcp_proxy> proxy;
    std::unique_ptr<daemon_process> daemon;
};

// A fresh replica applies the bucket's state with one change per key (in 2,048-key
// transactions since the join became incremental; in one before): lastSeq reaches n exactly
// when it holds all n keys (libmps3/src/engine/remote_state.cpp, replica::apply_remote); a list
// walk confirms the count afterwards.
joined join_figure(bench_env& env, const std::string& id, const std::string& bucket, std::size_t n,
                   int delay_ms) {
    joined out;
    out.proxy = std::make_unique<tcp_proxy>(env.server.endpoint_url());
    out.proxy->set_delay(std::chrono::milliseconds(delay_ms));
    const auto before = out.proxy->traffic();
    const auto t0 = steady::now();
    out.daemon = std::make_unique<daemon_process>(env.server, env.daemon(bucket, out.proxy.get()));
    out.daemon->start(env.options.patience);
    const cpu_meter cpu(out.daemon->pid(), env.server);
    auto c = connect(*out.daemon);
    (void)wait_status(
        c, [n](const daemon_status& s) { return s.last_seq >= n; },
        std::chrono::duration_cast<std::chrono::milliseconds>(env.options.patience -
                                                              (steady::now() - t0)),
        "the join of " + std::to_string(n) + " keys");
    const double s = seconds_since(t0);
    const auto traffic = out.proxy->traffic() - before;
    if (const auto held = count_keys(c); held != n) {
        throw std::runtime_error("the joined daemon lists " + std::to_string(held) + " keys, not " +
                                 std::to_string(n));
    }
    out.fig = {
        id, "fresh daemon joins " + std::to_string(n) + " keys", network_name(delay_ms), {}, {}};
    out.fig.values = {{"keys", static_cast<double>(n)},
                      {"seconds", s},
                      {"keysPerSecond", static_cast<double>(n) / s}};
    add_traffic(out.fig, traffic);
    out.fig.detail = fmt(s, 2) + " s, " + fmt(static_cast<double>(n) / s, 0) + " keys/s; " +
                     requests_text(traffic) + "; " +
                     fmt(static_cast<double>(traffic.bytes_from_server) / 1e6, 2) +
                     " MB from the server";
    cpu.add_to(out.fig, s);
    return out;
}

// ---- d. one put, seen by another daemon ------------------------------------------------------

// A daemon in sync with a seeded store from the start: its replica is built to hold exactly
// what was seeded (build_replica), so it fetches nothing.
std::unique_ptr<daemon_process> synced_daemon(bench_env& env, const std::string& bucket,
                                              std::size_t n, const tcp_proxy* proxy,
                                              std::vector<std::string> store_config = {}) {
    auto options = env.daemon(bucket, proxy);
    options.store_config = std::move(store_config);
    std::filesystem::create_directories(options.dir / "state");
    build_replica({.path = options.dir / "state" / "default.sqlite",
                   .keys = n,
                   .bucket = bucket,
                   .manifest = manifest,
                   .store_identity = std::nullopt});
    auto d = std::make_unique<daemon_process>(env.server, std::move(options));
    d->start(env.options.patience);
    auto c = connect(*d);
    wait_synced(c, env.options.patience);
    return d;
}

figure visibility_figure(bench_env& env, const std::string& bucket, std::size_t n, joined& b) {
    auto a = synced_daemon(env, bucket, n, nullptr);
    auto ca = connect(*a);
    auto cb = connect(*b.daemon);
    const std::string key = "bench/probe-" + std::to_string(env.rng() % 1000000);
    (void)call(cb, "subscribe", R"({"key":")" + key + R"("})");

    const auto before = b.proxy->traffic();
    (void)call(ca, "put", R"({"key":")" + key + R"(","value":{"probe":true}})");
    const auto acked = steady::now();
    const auto until = acked + env.options.patience;
    for (;;) {
        auto in = cb.receive(until);
        if (!in) {
            throw std::runtime_error("waiting for the change on B: " + in.err().describe());
        }
        const auto* note = std::get_if<mps3::ipc::rpc_notification>(&*in);
        if (note != nullptr && note->method == "changed" &&
            std::string(note->params["key"].GetString()) == key) {
            break;
        }
    }
    const double s = seconds_since(acked);
    const auto traffic = b.proxy->traffic() - before;
    figure f{"d",
             "1 put on A -> changed on B (" + std::to_string(n) + "-key store)",
             network_name(0),
             {},
             {}};
    f.values = {{"seconds", s}};
    add_traffic(f, traffic);
    f.detail = fmt(s * 1000, 0) + " ms from A's ack to B's notification; B downloaded " +
               fmt(static_cast<double>(traffic.bytes_from_server) / 1e6, 2) + " MB (" +
               requests_text(traffic) + ")";
    return f;
}

// ---- e. idle polls ---------------------------------------------------------------------------

// Each completed sync sets a new lastSync (milliseconds): sampling the status every 10 ms
// counts the polls (100 ms apart) without relying on the request counts being measured.

// Waits for a poll that only read the marker. Right after a change the daemon still LISTs on
// every poll for a second or so (the marker's Last-Modified has 1 s resolution, see async_poll):
// that tail belongs to the change, not to idling.
void wait_idle_poll(socket_client& c, const tcp_proxy& proxy, std::chrono::seconds timeout) {
    const auto until = steady::now() + timeout;
    std::string seen = status(c).last_sync;
    auto before = proxy.traffic();
    while (steady::now() < until) {
        std::this_thread::sleep_for(status_period);
        const auto now = status(c).last_sync;
        if (now == seen) {
            continue;
        }
        const auto polled = proxy.traffic() - before;
        if (polled.head > 0 && polled.list == 0 && polled.get == 0) {
            return;
        }
        seen = now;
        before = proxy.traffic();
    }
    throw std::runtime_error("no poll without a LIST within " + std::to_string(timeout.count()) +
                             " s");
}

figure idle_figure(bench_env& env, joined& b) {
    auto c = connect(*b.daemon);
    wait_idle_poll(c, *b.proxy, 30s);
    std::string seen = status(c).last_sync;
    std::size_t polls = 0;
    const auto before = b.proxy->traffic();
    const auto t0 = steady::now();
    while (steady::now() - t0 < env.options.idle) {
        const auto now = status(c).last_sync;
        if (now != seen) {
            ++polls;
            seen = now;
        }
        std::this_thread::sleep_for(status_period);
    }
    const double s = seconds_since(t0);
    const auto traffic = b.proxy->traffic() - before;
    if (polls == 0) {
        throw std::runtime_error("the daemon did not poll in " + fmt(s, 1) + " s");
    }
    const auto per = static_cast<double>(polls);
    figure f{"e", "idle, poll 100 ms, " + fmt(s, 1) + " s", network_name(0), {}, {}};
    f.values = {{"seconds", s},
                {"polls", per},
                {"requestsPerPoll", static_cast<double>(traffic.requests()) / per},
                {"headPerPoll", static_cast<double>(traffic.head) / per},
                {"listPerPoll", static_cast<double>(traffic.list) / per},
                {"getPerPoll", static_cast<double>(traffic.get) / per},
                {"bytesFromServerPerPoll", static_cast<double>(traffic.bytes_from_server) / per}};
    add_traffic(f, traffic);
    f.detail = std::to_string(polls) + " polls; per poll: " + requests_text(traffic, per) + ", " +
               fmt(static_cast<double>(traffic.bytes_from_server) / per, 0) +
               " bytes from the server";
    return f;
}

// ---- f. entry size by store size -------------------------------------------------------------

// The manifest entries listed now, newest first (their keys sort that way).
std::vector<s3::object_summary> list_entries(const test_server& server, const std::string& bucket) {
    asio::io_context io;
    s3::client client(io.get_executor(), server.client_config());
    std::optional<mps3::result<s3::list_all_result>> listed;
    s3::list_options options;
    options.prefix = protocol::entry_prefix(manifest);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            listed.emplace(co_await client.async_list_all(bucket, options));
        },
        [](std::exception_ptr e) {
            if (e) {
                std::rethrow_exception(e);
            }
        });
    run_io(io, 120s, "listing " + bucket);
    if (!listed || !*listed) {
        throw std::runtime_error("listing " + bucket + ": " +
                                 (listed ? listed->err().describe() : "no answer"));
    }
    return std::move((*listed)->objects);
}

figure entry_size_figure(bench_env& env, const std::string& bucket, std::size_t n, bool compress) {
    std::set<std::string> old;
    for (const auto& e : list_entries(env.server, bucket)) {
        old.insert(e.key);
    }
    tcp_proxy proxy(env.server.endpoint_url());
    auto d = synced_daemon(env, bucket, n, &proxy,
                           {compress ? "compress_entries = true" : "compress_entries = false"});
    auto c = connect(*d);
    const auto before = proxy.traffic();
    (void)call(c, "put",
               R"({"key":"bench/entry-size","value":1,"await":"remote","timeoutMs":)" +
                   std::to_string(env.options.patience.count() * 1000) + "}",
               env.options.patience + 10s);
    // The put's round trips (content, LIST, entry, marker) and whatever polls ran meanwhile.
    const auto traffic = proxy.traffic() - before;
    std::optional<s3::object_summary> entry;
    for (const auto& e : list_entries(env.server, bucket)) {
        if (!old.contains(e.key)) {
            entry = e;  // the newest new one: what the put wrote (last, if clock trouble)
            break;
        }
    }
    if (!entry) {
        throw std::runtime_error("no new manifest entry after a put with await remote");
    }
    const auto size = static_cast<double>(entry->size);
    const auto sent = static_cast<double>(traffic.bytes_to_server);
    figure f{
        "f",
        "entry of 1 put, " + std::to_string(n) + "-key store, " + (compress ? "gzip" : "plain"),
        network_name(0),
        {},
        {}};
    f.values = {{"keys", static_cast<double>(n)},
                {"compressed", compress ? 1.0 : 0.0},
                {"entryBytes", size},
                {"bytesPerKey", size / static_cast<double>(n)},
                {"bytesToServer", sent},
                {"bytesFromServer", static_cast<double>(traffic.bytes_from_server)}};
    f.detail = fmt(size / 1e3, 1) + " kB stored (" + fmt(size / static_cast<double>(n), 1) +
               " bytes per key); the put sent " + fmt(sent / 1e3, 1) + " kB, received " +
               fmt(static_cast<double>(traffic.bytes_from_server) / 1e3, 1) + " kB (" +
               requests_text(traffic) + ")";
    return f;
}

// ---- Output ------------------------------------------------------------------------------------

void print_figure(const figure& f) {
    std::printf("%-2s %-48s %-12s %s\n", f.id.c_str(), f.title.c_str(), f.network.c_str(),
                f.detail.c_str());
    std::fflush(stdout);
}

void write_json(const bench_options& o, const std::vector<figure>& figures,
                const std::vector<std::string>& failures) {
    rapidjson::StringBuffer out;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(out);
    w.StartObject();
    w.Key("machine");
    w.String(machine_text().c_str());
    w.Key("quick");
    w.Bool(o.quick);
    w.Key("server");
    w.String(o.server.c_str());
    w.Key("delayMs");
    w.Int(o.delay_ms);
    w.Key("seed");
    w.Uint64(o.seed);
    w.Key("figures");
    w.StartArray();
    for (const auto& f : figures) {
        w.StartObject();
        w.Key("id");
        w.String(f.id.c_str());
        w.Key("title");
        w.String(f.title.c_str());
        w.Key("network");
        w.String(f.network.c_str());
        for (const auto& [name, value] : f.values) {
            w.Key(name.c_str());
            w.Double(value);
        }
        w.Key("detail");
        w.String(f.detail.c_str());
        w.EndObject();
    }
    w.EndArray();
    mps3::test::finish_json_report(w, out, failures, o.json_file);
}

// Runs one step; a failure is recorded (and the figures it would give are missing).
template <class Step>
void attempt(const std::string& what, std::vector<std::string>& failures, Step&& step) {
    try {
        step();
    } catch (const std::exception& e) {
        failures.push_back(what + ": " + e.what());
        std::printf("!! %s failed: %s\n", what.c_str(), e.what());
        std::fflush(stdout);
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app("mps3d sync speed: puts, joins, change latency, idle polls, entry sizes", argv[0]);
    bench_options o;
    o.seed = std::random_device{}();
    app.add_option("--delay-ms", o.delay_ms, "one-way delay of the WAN rows (client -> server)")
        ->capture_default_str()
        ->check(CLI::Range(1, 10000));
    app.add_flag("--quick", o.quick, "a seconds-long run (CI): small counts, 1 s idle window");
    app.add_option("--json", o.json_file, "also write the figures to this file as JSON");
    auto* puts = app.add_option("--puts", o.puts, "puts of figure a")->capture_default_str();
    auto* join =
        app.add_option("--join-keys", o.join_keys, "store size of figure b")->capture_default_str();
    auto* big = app.add_option("--big-keys", o.big_keys, "store size of figures c and d")
                    ->capture_default_str();
    app.add_option("--server", o.server, "the S3 server: s3rver (default) or rgw")
        ->check(CLI::IsMember({"s3rver", "rgw"}));
    app.add_option("--seed", o.seed, "random seed (bucket names, probe keys, sessions)");
    app.add_option("--only", o.only, "produce only these figures, e.g. f (stores seeded as needed)")
        ->check(CLI::Validator(
            [](std::string& s) {
                return s.find_first_not_of("abcdef") == std::string::npos
                           ? std::string()
                           : std::string("figure ids are a to f");
            },
            "[a-f]+"));
    CLI11_PARSE(app, argc, argv);
    if (o.quick) {
        // Explicit sizes still win.
        o.puts = puts->count() > 0 ? o.puts : 100;
        o.join_keys = join->count() > 0 ? o.join_keys : 500;
        o.big_keys = big->count() > 0 ? o.big_keys : 2000;
        o.small_keys = 100;
        o.idle = 1000ms;
        o.patience = 300s;
    }

    const auto started = steady::now();
    std::vector<figure> figures;
    std::vector<std::string> failures;
    try {
        std::printf("mps3d sync bench (%s): %s, server %s, WAN delay %d ms one way, seed %llu\n",
                    o.quick ? "quick" : "full", machine_text().c_str(), o.server.c_str(),
                    o.delay_ms, static_cast<unsigned long long>(o.seed));
        std::fflush(stdout);
        test_server server(o.server);
        bench_env env{o, server, make_temp_dir("bench-sync"), std::mt19937_64(o.seed)};
        const auto keep = [&](figure f) {
            print_figure(f);
            figures.push_back(std::move(f));
        };

        for (const int delay : {0, o.delay_ms}) {
            if (o.wants('a')) {
                attempt("a (" + network_name(delay) + ")", failures,
                        [&] { keep(puts_figure(env, delay)); });
            }
        }

        std::printf("  seeding stores...\n");
        const auto join_bucket = env.bucket("join");
        const auto big_bucket = env.bucket("big");
        const auto small_bucket = env.bucket("small");
        bool join_seeded = false;
        bool big_seeded = false;
        bool small_seeded = false;
        if (o.wants('b') || o.wants('f')) {
            attempt("seeding the join store", failures, [&] {
                seed_store(env, join_bucket, o.join_keys);
                join_seeded = true;
            });
        }
        if (o.wants('c') || o.wants('d') || o.wants('e') || o.wants('f')) {
            attempt("seeding the big store", failures, [&] {
                seed_store(env, big_bucket, o.big_keys);
                big_seeded = true;
            });
        }
        if (o.wants('f')) {
            attempt("seeding the small store", failures, [&] {
                seed_store(env, small_bucket, o.small_keys);
                small_seeded = true;
            });
        }

        if (join_seeded && o.wants('b')) {
            for (const int delay : {0, o.delay_ms}) {
                attempt("b (" + network_name(delay) + ")", failures,
                        [&] { keep(join_figure(env, "b", join_bucket, o.join_keys, delay).fig); });
            }
        }
        if (big_seeded && (o.wants('c') || o.wants('d') || o.wants('e'))) {
            std::optional<joined> b;
            attempt("c", failures, [&] {
                b = join_figure(env, "c", big_bucket, o.big_keys, 0);
                keep(b->fig);
            });
            if (b && o.wants('d')) {
                attempt("d", failures,
                        [&] { keep(visibility_figure(env, big_bucket, o.big_keys, *b)); });
            }
            if (b && o.wants('e')) {
                attempt("e", failures, [&] { keep(idle_figure(env, *b)); });
            }
        }
        const std::vector<std::tuple<bool, std::string, std::size_t>> sizes{
            {small_seeded, small_bucket, o.small_keys},
            {join_seeded, join_bucket, o.join_keys},
            {big_seeded, big_bucket, o.big_keys}};
        for (const auto& [seeded, bucket, n] : sizes) {
            for (const bool compress : {false, true}) {
                if (seeded && o.wants('f')) {
                    attempt(
                        "f (" + std::to_string(n) + " keys, " + (compress ? "gzip" : "plain") + ")",
                        failures, [&] { keep(entry_size_figure(env, bucket, n, compress)); });
                }
            }
        }
        std::error_code ignored;
        std::filesystem::remove_all(env.dir, ignored);
    } catch (const std::exception& e) {
        failures.push_back(e.what());
        std::printf("!! %s\n", e.what());
    }

    // a x2, b x2, c, d, e, f x3 x (plain, gzip).
    constexpr std::size_t expected_figures = 13;
    if (o.only.empty() && figures.size() < expected_figures && failures.empty()) {
        failures.push_back("only " + std::to_string(figures.size()) + " figures produced");
    }
    if (!o.json_file.empty()) {
        try {
            write_json(o, figures, failures);
        } catch (const std::exception& e) {
            failures.push_back(e.what());
        }
    }
    std::printf("\n%zu figures in %.0f s; %s\n", figures.size(), seconds_since(started),
                failures.empty() ? "all produced" : "SOME MISSING (see !! lines)");
    return failures.empty() ? 0 : 1;
}
