// Local socket speed, issue 10: mps3d's JSON-RPC socket against Redis on the same machine, both
// on Unix sockets, driven by one load generator in the same way, back to back in one run. Each
// figure is measured on mps3d, then at once on Redis, and printed with the ratio mps3d/Redis.
//
//   build/tests/bench/mps3_bench_local [--quick] [--json FILE] [--seconds 5] [--warmup 1]
//                                      [--keys 1000] [--seed N] [--offline] [--only IDS]
//                                      [--flood-mib 1024] [--idle-connections 1000]
//
//   get, 1 / 8 / 64 connections, one request in flight per connection (closed loop);
//   get, 8 connections pipelined 16 deep;
//   durable put, 1 and 8 connections: mps3d with `sync = full` (fsync per acknowledged write)
//     against SET on a Redis with `appendonly yes`, `appendfsync always`;
//   get at 8 connections while 8 other connections do durable puts: the gets' p99;
//   memory (issue 11): peak RSS while a client writes 1 GiB of pipelined writes and never reads
//     an answer (rss-flood), and RSS per idle connection over 1,000 (rss-idle); on a fresh
//     offline mps3d and on the plain Redis (memory_figures.hpp). Quick: 64 MiB, 200.
//
// The servers: a real s3rver (tests/servers, as every end-to-end test) and a real mps3d with one
// store in it (sync = full, the default, written out; poll 1 s, the default); two redis-server
// processes (Debian's, found on PATH) started here with their own configuration, each in a
// temporary directory, on a Unix socket only (`port 0`), no snapshots (`save ""`): one without
// persistence for the get figures, one with an fsynced append-only file for the put figures.
// The Debian package's own service (TCP 6379, /etc/redis) is neither used nor in the way.
// Both servers hold the same keys (`bench:0000`..., values {"n":i}) before the first figure.
//
// The load generator is single-threaded: one io_context runs one coroutine per connection. On
// this 2-core machine the server under test takes one core and the generator the other; more
// generator threads would only take CPU from the server. The CPU each process used is printed
// with every figure (% of one core), so a figure bounded by the generator (at 100%) shows as
// such. Requests are pre-serialised per key (RESP: GET/SET commands; JSON-RPC: the line up to
// its id); a connection writes everything its answers released in one write. Latency is per
// request, from the write that carried it to the read that returned its answer (pipelined:
// queueing behind the requests ahead of it included). Keys come from a seeded RNG per
// connection (printed; the same sequence for both servers). Every answer is checked: a get must
// find its key, a put or SET must succeed; any other answer fails the bench.
//
// --quick runs a seconds-long version (CI): it fails when a figure could not be produced or an
// answer was not a success, never because of a speed.
#include "bench_report.hpp"
#include "bucket_tools.hpp"
#include "child_process.hpp"
#include "daemon_process.hpp"
#include "memory_figures.hpp"
#include "process_stats.hpp"
#include "raw_socket.hpp"
#include "test_server.hpp"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>
#include <CLI/CLI.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using namespace mps3::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using unix_socket = asio::local::stream_protocol::socket;
using steady = std::chrono::steady_clock;

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t pipeline_depth = 16;
constexpr std::size_t writers = 8;  // the writing connections of the mixed figure

struct bench_options {
    bool quick = false;
    std::string json_file;
    double seconds = 5;  // measured, per figure and server
    double warmup = 1;   // run before the measured window, not counted
    std::size_t keys = 1000;
    std::uint64_t seed = 0;
    bool offline = false;  // mps3d --offline: no uploads to s3rver during the run
    std::uint64_t flood_bytes = std::uint64_t{1} << 30;  // rss-flood: offered, never read
    std::size_t idle_connections = 1000;                 // rss-idle
};

std::string fmt(double v, int decimals = 1) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return buf;
}

// 12.3k/s, 1.03M/s
std::string rate_text(double per_second) {
    if (per_second >= 1e6) {
        return fmt(per_second / 1e6, 2) + "M/s";
    }
    if (per_second >= 1e3) {
        return fmt(per_second / 1e3, per_second >= 1e5 ? 0 : 1) + "k/s";
    }
    return fmt(per_second, 0) + "/s";
}

// 17 µs, 1.8 ms
std::string micros_text(double us) {
    return us >= 1000 ? fmt(us / 1000, us >= 10000 ? 0 : 1) + " ms" : fmt(us, 0) + " µs";
}

std::string key_name(std::size_t i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "bench:%04zu", i);
    return buf;
}

std::string value_text(std::size_t i) {
    return R"({"n":)" + std::to_string(i) + "}";
}

// ---- The two wires --------------------------------------------------------------------------

enum class op_kind { get, put };

const char* kind_name(op_kind k) {
    return k == op_kind::get ? "get" : "put";
}

struct answer {
    bool complete = false;   // false: more bytes are needed
    std::size_t length = 0;  // bytes of this answer
    bool ok = false;         // a success of the kind asked for
    std::uint64_t id = 0;    // JSON-RPC only
};

// How the generator speaks to one server: pre-serialised requests and a parser of answers.
class wire {
  public:
    virtual ~wire() = default;
    /// Appends the request for `key` (with `id` where the protocol carries one).
    virtual void append(std::string& out, op_kind kind, std::size_t key,
                        std::uint64_t id) const = 0;
    /// The answer at the front of `in`. Throws when the bytes cannot be framed.
    [[nodiscard]] virtual answer parse(std::string_view in, op_kind kind) const = 0;
    /// True: answers come in request order (RESP); false: matched by id (JSON-RPC).
    [[nodiscard]] virtual bool ordered() const = 0;
};

class resp_wire final : public wire {
  public:
    explicit resp_wire(std::size_t keys) {
        for (std::size_t i = 0; i < keys; ++i) {
            const auto k = key_name(i);
            const auto v = value_text(i);
            gets_.push_back("*2\r\n$3\r\nGET\r\n$" + std::to_string(k.size()) + "\r\n" + k +
                            "\r\n");
            sets_.push_back("*3\r\n$3\r\nSET\r\n$" + std::to_string(k.size()) + "\r\n" + k +
                            "\r\n$" + std::to_string(v.size()) + "\r\n" + v + "\r\n");
        }
    }
    void append(std::string& out, op_kind kind, std::size_t key, std::uint64_t) const override {
        out += kind == op_kind::get ? gets_[key] : sets_[key];
    }
    [[nodiscard]] answer parse(std::string_view in, op_kind kind) const override {
        const auto eol = in.find("\r\n");
        if (eol == std::string_view::npos) {
            return {};
        }
        const auto line = in.substr(0, eol);
        switch (line.empty() ? '\0' : line[0]) {
            case '+':
                return {true, eol + 2, kind == op_kind::put && line == "+OK", 0};
            case '-':
                return {true, eol + 2, false, 0};
            case '$': {
                long len = 0;
                (void)std::from_chars(line.data() + 1, line.data() + line.size(), len);
                if (len < 0) {
                    return {true, eol + 2, false, 0};  // nil: the key is missing
                }
                const auto total = eol + 2 + static_cast<std::size_t>(len) + 2;
                if (in.size() < total) {
                    return {};
                }
                return {true, total, kind == op_kind::get, 0};
            }
            default:
                throw std::runtime_error("unexpected RESP answer: " + std::string(line));
        }
    }
    [[nodiscard]] bool ordered() const override { return true; }

  private:
    std::vector<std::string> gets_, sets_;
};

class jsonrpc_wire final : public wire {
  public:
    explicit jsonrpc_wire(std::size_t keys) {
        for (std::size_t i = 0; i < keys; ++i) {
            const auto k = key_name(i);
            gets_.push_back(R"({"jsonrpc":"2.0","method":"get","params":{"key":")" + k +
                            R"("},"id":)");
            puts_.push_back(R"({"jsonrpc":"2.0","method":"put","params":{"key":")" + k +
                            R"(","value":)" + value_text(i) + R"(},"id":)");
        }
    }
    void append(std::string& out, op_kind kind, std::size_t key, std::uint64_t id) const override {
        out += kind == op_kind::get ? gets_[key] : puts_[key];
        char digits[24];
        const int n =
            std::snprintf(digits, sizeof digits, "%llu}\n", static_cast<unsigned long long>(id));
        out.append(digits, static_cast<std::size_t>(n));
    }
    // {"jsonrpc":"2.0","id":7,"result":{"found":true,"value":{"n":7}}} / "result":{"seq":n}
    [[nodiscard]] answer parse(std::string_view in, op_kind kind) const override {
        const auto eol = in.find('\n');
        if (eol == std::string_view::npos) {
            return {};
        }
        const auto line = in.substr(0, eol);
        const auto id_at = line.find(R"("id":)");
        if (id_at == std::string_view::npos) {
            throw std::runtime_error("a JSON-RPC answer without an id: " + std::string(line));
        }
        std::uint64_t id = 0;
        (void)std::from_chars(line.data() + id_at + 5, line.data() + line.size(), id);
        const bool ok =
            line.find(R"("error":)") == std::string_view::npos &&
            line.find(kind == op_kind::get ? R"("result":{"found":true)" : R"("result":{"seq":)") !=
                std::string_view::npos;
        return {true, eol + 1, ok, id};
    }
    [[nodiscard]] bool ordered() const override { return false; }

  private:
    std::vector<std::string> gets_, puts_;
};

// ---- The load generator ---------------------------------------------------------------------

struct group_spec {
    op_kind kind = op_kind::get;
    std::size_t connections = 1;
    std::size_t depth = 1;  // requests in flight per connection
};

struct group_stats {
    group_spec spec;
    std::uint64_t ops = 0;  // answered inside the measured window
    std::uint64_t errors = 0;
    std::string first_error;
    std::vector<std::uint32_t> latencies_ns;  // of the ops counted
    double seconds = 0;                       // the measured window
    double ops_per_second = 0;
    double p50_us = 0;
    double p99_us = 0;
};

struct run_window {
    steady::time_point from;   // answers from here on count
    steady::time_point until;  // no request is sent after this; the rest drains
};

struct connection {
    unix_socket socket;
    group_stats& group;
    std::mt19937_64 rng;
    std::vector<steady::time_point> sent;  // per slot: when the request in it was written
    std::vector<std::size_t> released;     // slots of the requests queued in `out`
    std::string out;
    std::vector<char> in = std::vector<char>(1 << 16);
    std::size_t in_used = 0;
    std::uint64_t answered = 0;
};

// One connection: keeps group.spec.depth requests in flight until the window ends, then waits
// for the last answers. A slot is a place for one request in flight: JSON-RPC ids are
// slot + depth * n (the answer names its slot); RESP answers come in order, slot by slot.
asio::awaitable<void> drive(connection& c, const wire& w, std::size_t keys, run_window window) {
    const auto depth = c.group.spec.depth;
    const auto kind = c.group.spec.kind;
    c.sent.assign(depth, steady::time_point{});
    for (std::size_t slot = 0; slot < depth; ++slot) {
        w.append(c.out, kind, c.rng() % keys, slot);
        c.released.push_back(slot);
    }
    std::size_t in_flight = depth;
    while (in_flight > 0 || !c.out.empty()) {
        if (!c.out.empty()) {
            const auto stamp = steady::now();
            for (const auto slot : c.released) {
                c.sent[slot] = stamp;
            }
            c.released.clear();
            const auto outgoing = asio::buffer(c.out);
            auto [wec, written] = co_await asio::async_write(c.socket, outgoing, use_tuple);
            if (wec) {
                throw std::runtime_error("write: " + wec.message());
            }
            c.out.clear();
        }
        if (c.in_used == c.in.size()) {
            c.in.resize(c.in.size() * 2);
        }
        const auto incoming = asio::buffer(c.in.data() + c.in_used, c.in.size() - c.in_used);
        auto [ec, n] = co_await c.socket.async_read_some(incoming, use_tuple);
        if (ec) {
            throw std::runtime_error("read: " + ec.message() + " (" + std::to_string(in_flight) +
                                     " requests unanswered)");
        }
        c.in_used += n;
        const auto now = steady::now();
        const bool counting = now >= window.from && now < window.until;
        const bool more = now < window.until;
        std::size_t pos = 0;
        for (;;) {
            const std::string_view rest(c.in.data() + pos, c.in_used - pos);
            const auto a = w.parse(rest, kind);
            if (!a.complete) {
                break;
            }
            const std::size_t slot = w.ordered() ? c.answered % depth : a.id % depth;
            ++c.answered;
            --in_flight;
            if (!a.ok) {
                if (c.group.errors++ == 0) {
                    c.group.first_error =
                        std::string(rest.substr(0, std::min(a.length, std::size_t{300})));
                }
            } else if (counting) {
                ++c.group.ops;
                const auto ns =
                    std::chrono::duration_cast<std::chrono::nanoseconds>(now - c.sent[slot])
                        .count();
                c.group.latencies_ns.push_back(
                    static_cast<std::uint32_t>(std::min<long long>(ns, UINT32_MAX)));
            }
            pos += a.length;
            if (more) {
                w.append(c.out, kind, c.rng() % keys, w.ordered() ? 0 : a.id + depth);
                c.released.push_back(slot);
                ++in_flight;
            }
        }
        std::memmove(c.in.data(), c.in.data() + pos, c.in_used - pos);
        c.in_used -= pos;
    }
}

// The p-th percentile (nearest rank) in microseconds; reorders v.
double percentile_us(std::vector<std::uint32_t>& v, double p) {
    if (v.empty()) {
        return 0;
    }
    auto rank = static_cast<std::size_t>(p * static_cast<double>(v.size()));
    rank = std::min(rank, v.size() - 1);
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(rank), v.end());
    return static_cast<double>(v[rank]) / 1000.0;
}

double own_cpu_seconds() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    const auto s = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return s(u.ru_utime) + s(u.ru_stime);
}

struct run_result {
    std::vector<group_stats> groups;
    double wall = 0;           // warm-up, window and drain
    double server_cpu = 0;     // the server under test, % of one core over `wall`
    double s3_cpu = 0;         // s3rver (mps3d runs only)
    double generator_cpu = 0;  // this process
    double other_cpu = 0;      // the rest of the machine: other work competing for the 2 cores
};

struct target {
    std::string name;
    std::filesystem::path socket;
    const wire& w;
    pid_t pid;
    std::vector<pid_t> s3_pids;
};

// Runs the groups at once against one server: connects everything first, then warm-up, the
// measured window and the drain on one io_context in this thread.
run_result run_load(const target& t, const std::vector<group_spec>& specs, const bench_options& o) {
    run_result r;
    r.groups.reserve(specs.size());
    asio::io_context io;
    std::vector<std::unique_ptr<connection>> conns;
    for (std::size_t g = 0; g < specs.size(); ++g) {
        r.groups.push_back(group_stats{specs[g]});
        r.groups.back().latencies_ns.reserve(1 << 20);
        for (std::size_t i = 0; i < specs[g].connections; ++i) {
            unix_socket s(io);
            s.connect(asio::local::stream_protocol::endpoint(t.socket.string()));
            // The same key sequence on each server: seeded by figure seed, group, connection.
            std::seed_seq seq{o.seed, static_cast<std::uint64_t>(g), static_cast<std::uint64_t>(i)};
            conns.push_back(std::make_unique<connection>(
                connection{std::move(s), r.groups.back(), std::mt19937_64(seq)}));
        }
    }
    const auto cpu0 = cpu_seconds(t.pid);
    const auto s3_cpu0 = cpu_seconds(t.s3_pids);
    const auto own0 = own_cpu_seconds();
    const auto busy0 = machine_busy_seconds();
    const auto t0 = steady::now();
    const auto warmup =
        std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(o.warmup));
    const auto measured =
        std::chrono::duration_cast<steady::duration>(std::chrono::duration<double>(o.seconds));
    const run_window window{t0 + warmup, t0 + warmup + measured};
    std::exception_ptr failed;
    for (auto& c : conns) {
        asio::co_spawn(io, drive(*c, t.w, o.keys, window), [&](const std::exception_ptr& e) {
            if (e && !failed) {
                failed = e;
                io.stop();
            }
        });
    }
    io.run_for(warmup + measured + 60s);
    if (failed) {
        std::rethrow_exception(failed);
    }
    if (!io.stopped()) {
        throw std::runtime_error(t.name + " left requests unanswered 60 s after the window");
    }
    r.wall = std::chrono::duration<double>(steady::now() - t0).count();
    r.server_cpu = 100 * (cpu_seconds(t.pid) - cpu0) / r.wall;
    r.s3_cpu = 100 * (cpu_seconds(t.s3_pids) - s3_cpu0) / r.wall;
    r.generator_cpu = 100 * (own_cpu_seconds() - own0) / r.wall;
    r.other_cpu = std::max(0.0, 100 * (machine_busy_seconds() - busy0) / r.wall - r.server_cpu -
                                    r.s3_cpu - r.generator_cpu);
    for (auto& g : r.groups) {
        g.seconds = o.seconds;
        g.ops_per_second = static_cast<double>(g.ops) / g.seconds;
        g.p50_us = percentile_us(g.latencies_ns, 0.50);
        g.p99_us = percentile_us(g.latencies_ns, 0.99);
        g.latencies_ns = {};
    }
    return r;
}

// ---- Redis ------------------------------------------------------------------------------------

std::string find_program(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::istringstream dirs(std::string(path != nullptr ? path : "") + ":/usr/sbin:/usr/bin");
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
        const auto candidate = std::filesystem::path(dir.empty() ? "." : dir) / name;
        if (::access(candidate.c_str(), X_OK) == 0) {
            return candidate.string();
        }
    }
    throw std::runtime_error(name + " not found on PATH (./setup.sh --test installs Debian's " +
                             name + ")");
}

// "7.0.15" from `redis-server --version` ("Redis server v=7.0.15 sha=...").
std::string redis_version(const std::string& program) {
    child_options o;
    o.argv = {program, "--version"};
    const auto r = run_command(std::move(o), 10s);
    const auto at = r.out.find("v=");
    if (r.exit_code != 0 || at == std::string::npos) {
        throw std::runtime_error(program + " --version failed: " + r.out + r.err);
    }
    return r.out.substr(at + 2, r.out.find(' ', at) - at - 2);
}

std::string resp_command(const std::vector<std::string>& args) {
    std::string out = "*" + std::to_string(args.size()) + "\r\n";
    for (const auto& a : args) {
        out += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    }
    return out;
}

// A redis-server of its own: a Unix socket in `dir`, no TCP port, no snapshots; with
// `durable`, an append-only file fsynced before every answer to a write (appendfsync always).
class redis_process {
  public:
    redis_process(const std::string& program, std::filesystem::path dir, bool durable)
        : dir_(std::move(dir)), socket_(dir_ / "redis.sock") {
        std::filesystem::create_directories(dir_);
        const auto conf = dir_ / "redis.conf";
        std::ofstream(conf) << "port 0\n"
                            << "unixsocket " << socket_.string() << "\n"
                            << "unixsocketperm 700\n"
                            << "dir " << dir_.string() << "\n"
                            << "logfile " << (dir_ / "redis.log").string() << "\n"
                            << "daemonize no\n"
                            << "supervised no\n"
                            << "save \"\"\n"
                            << "databases 1\n"
                            << (durable ? "appendonly yes\nappendfsync always\n"
                                        : "appendonly no\n");
        child_options o;
        o.argv = {program, conf.string()};
        o.stderr_file = dir_ / "redis.stderr";
        child_ = std::make_unique<child_process>(std::move(o));
        const bool up = wait_until(
            [&] {
                if (!child_->running()) {
                    return true;
                }
                if (!std::filesystem::exists(socket_)) {
                    return false;
                }
                try {
                    return call(resp_command({"PING"})) == "+PONG";
                } catch (const std::exception&) {
                    return false;
                }
            },
            30s);
        if (!up || !child_->running()) {
            throw std::runtime_error("redis-server did not start; its log:\n" + log());
        }
    }
    ~redis_process() {
        if (child_->running()) {
            child_->signal(SIGTERM);
            if (!child_->wait(10s)) {
                child_->kill_now();
            }
        }
    }
    redis_process(const redis_process&) = delete;
    redis_process& operator=(const redis_process&) = delete;

    [[nodiscard]] const std::filesystem::path& socket() const { return socket_; }
    [[nodiscard]] pid_t pid() const { return child_->pid(); }

    /// One command, its one-line answer (a status, an error or an integer) without "\r".
    std::string call(const std::string& command) const {
        raw_socket s(socket_);
        if (!s.send(command)) {
            throw std::runtime_error("redis: cannot send");
        }
        auto line = s.read_line(30s);
        if (!line) {
            throw std::runtime_error("redis: no answer");
        }
        if (!line->empty() && line->back() == '\r') {
            line->pop_back();
        }
        return *line;
    }

    [[nodiscard]] std::string log() const {
        std::ifstream in(dir_ / "redis.log");
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

  private:
    std::filesystem::path dir_;
    std::filesystem::path socket_;
    std::unique_ptr<child_process> child_;
};

void populate(const redis_process& r, std::size_t keys) {
    std::vector<std::string> args{"MSET"};
    for (std::size_t i = 0; i < keys; ++i) {
        args.push_back(key_name(i));
        args.push_back(value_text(i));
    }
    if (const auto ok = r.call(resp_command(args)); ok != "+OK") {
        throw std::runtime_error("redis MSET: " + ok);
    }
    if (const auto n = r.call(resp_command({"DBSIZE"})); n != ":" + std::to_string(keys)) {
        throw std::runtime_error("redis DBSIZE after MSET: " + n);
    }
}

// ---- mps3d ------------------------------------------------------------------------------------

// One request line to the daemon, its answer line; throws unless it is a success.
std::string daemon_call(const daemon_process& d, const std::string& method,
                        const std::string& params, std::chrono::seconds timeout = 120s) {
    raw_socket s(d.socket());
    const auto line =
        R"({"jsonrpc":"2.0","id":1,"method":")" + method + R"(","params":)" + params + "}\n";
    if (!s.send(line)) {
        throw std::runtime_error("mps3d " + method + ": cannot send");
    }
    const auto answer = s.read_line(timeout);
    if (!answer || answer->find(R"("result":)") == std::string::npos) {
        throw std::runtime_error("mps3d " + method + ": " + answer.value_or("no answer"));
    }
    return *answer;
}

void populate(const daemon_process& d, std::size_t keys) {
    std::string ops;
    for (std::size_t i = 0; i < keys; ++i) {
        ops += std::string(ops.empty() ? "" : ",") + R"({"key":")" + key_name(i) + R"(","value":)" +
               value_text(i) + "}";
    }
    (void)daemon_call(d, "putAll", R"({"ops":[)" + ops + "]}");
    const auto last = daemon_call(d, "get", R"({"key":")" + key_name(keys - 1) + R"("})");
    if (last.find(value_text(keys - 1)) == std::string::npos) {
        throw std::runtime_error("mps3d get after putAll: " + last);
    }
}

// Waits until the daemon's queued writes are in the bucket (none left from the last figure);
// offline, they stay queued and there is nothing to wait for.
void settle(const daemon_process& d, const bench_options& o) {
    if (!o.offline) {
        (void)daemon_call(d, "flush", R"({"timeoutMs":110000})");
    }
}

// ---- Figures ------------------------------------------------------------------------------------

enum class headline { throughput, p99 };

struct figure_spec {
    std::string id;
    std::string title;
    std::vector<group_spec> groups;  // the first is the one the headline reads
    bool durable = false;            // Redis with appendfsync always
    headline head = headline::throughput;
};

struct figure {
    figure_spec spec;
    run_result mps3d;
    run_result redis;
    double ratio = 0;  // mps3d / Redis of the headline
};

double headline_value(const figure_spec& f, const run_result& r) {
    return f.head == headline::throughput ? r.groups[0].ops_per_second : r.groups[0].p99_us;
}

std::vector<figure_spec> figure_specs() {
    using k = op_kind;
    return {
        {"get1", "get, 1 connection", {{k::get, 1, 1}}},
        {"get8", "get, 8 connections", {{k::get, 8, 1}}},
        {"get64", "get, 64 connections", {{k::get, 64, 1}}},
        {"get8p16", "get, 8 connections pipelined 16 deep", {{k::get, 8, pipeline_depth}}},
        {"put1", "durable put, 1 connection (SET, appendfsync always)", {{k::put, 1, 1}}, true},
        {"put8", "durable put, 8 connections (SET, appendfsync always)", {{k::put, 8, 1}}, true},
        {"mixed",
         "get p99, 8 connections, while 8 others do durable puts",
         {{k::get, 8, 1}, {k::put, writers, 1}},
         true,
         headline::p99},
    };
}

std::string group_text(const group_stats& g) {
    return rate_text(g.ops_per_second) + " (p50 " + micros_text(g.p50_us) + ", p99 " +
           micros_text(g.p99_us) + ")";
}

std::string cell_text(const figure& f, const run_result& r) {
    if (f.spec.head == headline::p99) {
        return "p99 " + micros_text(r.groups[0].p99_us) + " (gets " +
               rate_text(r.groups[0].ops_per_second) + ", p50 " + micros_text(r.groups[0].p50_us) +
               "; puts " + rate_text(r.groups[1].ops_per_second) + ")";
    }
    return group_text(r.groups[0]);
}

// "CPU % of a core: mps3d 61, s3rver 4, generator 34, other 12"
std::string cpu_text(const char* server, const run_result& r, bool s3) {
    return std::string("CPU % of a core: ") + server + " " + fmt(r.server_cpu, 0) +
           (s3 ? ", s3rver " + fmt(r.s3_cpu, 0) : "") + ", generator " + fmt(r.generator_cpu, 0) +
           ", other " + fmt(r.other_cpu, 0);
}

void print_figure(const figure& f) {
    std::printf("%-8s %s\n  mps3d: %s; %s\n  Redis: %s; %s\n  ratio %.2f%s\n", f.spec.id.c_str(),
                f.spec.title.c_str(), cell_text(f, f.mps3d).c_str(),
                cpu_text("mps3d", f.mps3d, true).c_str(), cell_text(f, f.redis).c_str(),
                cpu_text("redis", f.redis, false).c_str(), f.ratio,
                f.spec.head == headline::p99 ? " (p99 mps3d / Redis: lower is better)"
                                             : " (ops/s mps3d / Redis)");
    std::fflush(stdout);
}

void print_table(const std::vector<figure>& figures, const std::string& redis_v) {
    std::printf("\n| figure | mps3d | Redis %s | ratio |\n|---|---|---|---|\n", redis_v.c_str());
    for (const auto& f : figures) {
        std::printf("| %s | %s | %s | %.2f |\n", f.spec.title.c_str(),
                    cell_text(f, f.mps3d).c_str(), cell_text(f, f.redis).c_str(), f.ratio);
    }
    std::fflush(stdout);
}

// ---- Memory figures (issue 11) ------------------------------------------------------------------

// rss-flood: a client writes flood_bytes of pipelined writes (64 KiB values over 1,000 keys)
// and never reads an answer; rss-idle: idle_connections connections, each served once, then
// idle. On mps3d a fresh daemon of its own, offline (writes queue in the replica: the figure is
// the socket's memory, not s3rver's upload speed), with the default limits; on the plain Redis
// (no persistence), which holds its values in memory and reads whatever a client sends.
const std::vector<std::string> memory_ids = {"rss-flood", "rss-idle"};
constexpr std::size_t flood_value_bytes = 64 * 1024;
constexpr std::size_t flood_keys = 1000;

struct memory_figure {
    std::string id;
    std::string title;
    std::optional<flood_result> mps3d_flood, redis_flood;
    std::optional<idle_result> mps3d_idle, redis_idle;
};

std::string mib_text(std::uint64_t bytes) {
    return fmt(static_cast<double>(bytes) / (1024.0 * 1024.0)) + " MiB";
}

std::string flood_text(const flood_result& r) {
    return "peak " + mib_text(r.rss_peak) + (r.exact_peak ? "" : " (sampled)") + " from " +
           mib_text(r.rss_before) + "; took " + mib_text(r.accepted) + " of " +
           mib_text(r.offered) + " in " + fmt(r.seconds) + " s" +
           (r.stalled ? ", then stopped reading" : "") + "; " + mib_text(r.rss_after) + " after";
}

std::string idle_text(const idle_result& r) {
    return fmt(r.bytes_per_connection() / 1024.0) + " KiB per connection (" +
           mib_text(r.rss_before) + " -> " + mib_text(r.rss_open) + "; " + mib_text(r.rss_closed) +
           " after closing)";
}

std::string memory_cell(const memory_figure& f, bool mps3d) {
    const auto& fl = mps3d ? f.mps3d_flood : f.redis_flood;
    const auto& id = mps3d ? f.mps3d_idle : f.redis_idle;
    return fl ? flood_text(*fl) : id ? idle_text(*id) : std::string("-");
}

void print_memory_table(const std::vector<memory_figure>& figures, const std::string& redis_v) {
    if (figures.empty()) {
        return;
    }
    std::printf("\n| memory | mps3d | Redis %s |\n|---|---|---|\n", redis_v.c_str());
    for (const auto& f : figures) {
        std::printf("| %s | %s | %s |\n", f.title.c_str(), memory_cell(f, true).c_str(),
                    memory_cell(f, false).c_str());
    }
    std::fflush(stdout);
}

void write_flood(json_report_writer& w, const flood_result& r) {
    w.StartObject();
    w.Key("offeredBytes");
    w.Uint64(r.offered);
    w.Key("acceptedBytes");
    w.Uint64(r.accepted);
    w.Key("stalled");
    w.Bool(r.stalled);
    w.Key("seconds");
    w.Double(r.seconds);
    w.Key("rssBeforeBytes");
    w.Uint64(r.rss_before);
    w.Key("rssPeakBytes");
    w.Uint64(r.rss_peak);
    w.Key("rssPeakExact");
    w.Bool(r.exact_peak);
    w.Key("rssAfterBytes");
    w.Uint64(r.rss_after);
    w.EndObject();
}

void write_idle(json_report_writer& w, const idle_result& r) {
    w.StartObject();
    w.Key("connections");
    w.Uint64(r.connections);
    w.Key("rssBeforeBytes");
    w.Uint64(r.rss_before);
    w.Key("rssOpenBytes");
    w.Uint64(r.rss_open);
    w.Key("rssClosedBytes");
    w.Uint64(r.rss_closed);
    w.Key("bytesPerConnection");
    w.Double(r.bytes_per_connection());
    w.EndObject();
}

void write_memory(json_report_writer& w, const std::vector<memory_figure>& figures) {
    w.Key("memory");
    w.StartArray();
    for (const auto& f : figures) {
        w.StartObject();
        w.Key("id");
        w.String(f.id.c_str());
        w.Key("title");
        w.String(f.title.c_str());
        for (const bool mps3d : {true, false}) {
            w.Key(mps3d ? "mps3d" : "redis");
            const auto& fl = mps3d ? f.mps3d_flood : f.redis_flood;
            const auto& id = mps3d ? f.mps3d_idle : f.redis_idle;
            if (fl) {
                write_flood(w, *fl);
            } else if (id) {
                write_idle(w, *id);
            } else {
                w.Null();
            }
        }
        w.EndObject();
    }
    w.EndArray();
}

std::string flood_put_line(std::size_t i) {
    static const std::string value = "\"" + std::string(flood_value_bytes, 'm') + "\"";
    return R"({"jsonrpc":"2.0","id":)" + std::to_string(i) +
           R"(,"method":"put","params":{"key":"flood/)" + std::to_string(i % flood_keys) +
           R"(","value":)" + value + "}}\n";
}

std::string flood_set_command(std::size_t i) {
    static const std::string value(flood_value_bytes, 'm');
    return resp_command({"SET", "flood:" + std::to_string(i % flood_keys), value});
}

const std::string mps3d_ping = R"({"jsonrpc":"2.0","id":1,"method":"status"})"
                               "\n";
const std::string redis_ping = resp_command({"PING"});

void run_memory_figures(const bench_options& o, const test_server& server,
                        const std::filesystem::path& dir, const redis_process& redis,
                        const std::vector<std::string>& ids, std::vector<memory_figure>& figures,
                        std::vector<std::string>& failures) {
    if (ids.empty()) {
        return;
    }
    const auto bucket = unique_bucket("bench-memory");
    create_bucket_now(server, bucket);
    daemon_options dopt{bucket, "manifest.json", dir / "mps3d-memory"};
    dopt.store_config = {"sync = full"};
    dopt.offline = true;
    daemon_process daemon(server, dopt);
    daemon.start();
    const auto stall = o.quick ? 1s : 2s;
    for (const auto& id : ids) {
        try {
            memory_figure f{id, "", {}, {}, {}, {}};
            if (id == "rss-flood") {
                f.title = mib_text(o.flood_bytes) + " of pipelined writes, answers never read";
                f.mps3d_flood = flood(daemon.socket(), daemon.pid(), flood_put_line, o.flood_bytes,
                                      stall, mps3d_ping, "\"result\"");
                f.redis_flood = flood(redis.socket(), redis.pid(), flood_set_command, o.flood_bytes,
                                      stall, redis_ping, "+PONG");
                std::printf("%s\n  mps3d: %s\n  redis: %s\n", f.title.c_str(),
                            flood_text(*f.mps3d_flood).c_str(), flood_text(*f.redis_flood).c_str());
            } else {
                f.title = std::to_string(o.idle_connections) + " idle connections";
                f.mps3d_idle = idle_connections(daemon.socket(), daemon.pid(), o.idle_connections,
                                                mps3d_ping, "\"result\"");
                f.redis_idle = idle_connections(redis.socket(), redis.pid(), o.idle_connections,
                                                redis_ping, "+PONG");
                std::printf("%s\n  mps3d: %s\n  redis: %s\n", f.title.c_str(),
                            idle_text(*f.mps3d_idle).c_str(), idle_text(*f.redis_idle).c_str());
            }
            std::fflush(stdout);
            figures.push_back(std::move(f));
        } catch (const std::exception& e) {
            failures.push_back(id + ": " + e.what());
            std::printf("!! %s failed: %s\n", id.c_str(), e.what());
            std::fflush(stdout);
        }
    }
    // Offline, it stops with its writes queued: exit 3 is the clean stop here.
    if (const auto stopped = daemon.stop(); !stopped || (*stopped != 0 && *stopped != 3)) {
        failures.push_back("the memory figures' mps3d did not stop cleanly; its log:\n" +
                           daemon.log());
    }
}

void write_run(rapidjson::PrettyWriter<rapidjson::StringBuffer>& w, const run_result& r) {
    w.StartObject();
    w.Key("groups");
    w.StartArray();
    for (const auto& g : r.groups) {
        w.StartObject();
        w.Key("op");
        w.String(kind_name(g.spec.kind));
        w.Key("connections");
        w.Uint64(g.spec.connections);
        w.Key("depth");
        w.Uint64(g.spec.depth);
        w.Key("ops");
        w.Uint64(g.ops);
        w.Key("errors");
        w.Uint64(g.errors);
        w.Key("seconds");
        w.Double(g.seconds);
        w.Key("opsPerSecond");
        w.Double(g.ops_per_second);
        w.Key("p50Us");
        w.Double(g.p50_us);
        w.Key("p99Us");
        w.Double(g.p99_us);
        w.EndObject();
    }
    w.EndArray();
    w.Key("wallSeconds");
    w.Double(r.wall);
    w.Key("serverCpuPercent");
    w.Double(r.server_cpu);
    w.Key("s3rverCpuPercent");
    w.Double(r.s3_cpu);
    w.Key("generatorCpuPercent");
    w.Double(r.generator_cpu);
    w.Key("otherCpuPercent");
    w.Double(r.other_cpu);
    w.EndObject();
}

void write_json(const bench_options& o, const std::string& redis_v,
                const std::vector<figure>& figures, const std::vector<memory_figure>& memory,
                const std::vector<std::string>& failures) {
    rapidjson::StringBuffer out;
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(out);
    w.StartObject();
    w.Key("machine");
    w.String(machine_text().c_str());
    w.Key("quick");
    w.Bool(o.quick);
    w.Key("seed");
    w.Uint64(o.seed);
    w.Key("seconds");
    w.Double(o.seconds);
    w.Key("warmupSeconds");
    w.Double(o.warmup);
    w.Key("keys");
    w.Uint64(o.keys);
    w.Key("mps3dOffline");
    w.Bool(o.offline);
    w.Key("redisVersion");
    w.String(redis_v.c_str());
    w.Key("figures");
    w.StartArray();
    for (const auto& f : figures) {
        w.StartObject();
        w.Key("id");
        w.String(f.spec.id.c_str());
        w.Key("title");
        w.String(f.spec.title.c_str());
        w.Key("headline");
        w.String(f.spec.head == headline::throughput ? "opsPerSecond" : "p99Us");
        w.Key("ratio");
        w.Double(f.ratio);
        w.Key("mps3d");
        write_run(w, f.mps3d);
        w.Key("redis");
        write_run(w, f.redis);
        w.EndObject();
    }
    w.EndArray();
    write_memory(w, memory);
    mps3::test::finish_json_report(w, out, failures, o.json_file);
}

// Every group answered something in the window and nothing but successes.
void check(const std::string& who, const run_result& r) {
    for (const auto& g : r.groups) {
        if (g.errors > 0) {
            throw std::runtime_error(who + ": " + std::to_string(g.errors) + " " +
                                     kind_name(g.spec.kind) +
                                     " answers were not successes; the first: " + g.first_error);
        }
        if (g.ops == 0) {
            throw std::runtime_error(who + ": no " + std::string(kind_name(g.spec.kind)) +
                                     " answered in the measured window");
        }
    }
}

// Starts the servers in `dir`, fills them, measures every figure on both; the servers stop
// when it returns. A figure that fails is recorded and the next one is tried.
void run_figures(const bench_options& o, const std::string& redis_program,
                 const std::filesystem::path& dir, const std::vector<figure_spec>& specs,
                 const std::vector<std::string>& memory, std::vector<figure>& figures,
                 std::vector<memory_figure>& memory_figures, std::vector<std::string>& failures) {
    test_server server("s3rver");
    const auto bucket = unique_bucket("bench-local");
    create_bucket_now(server, bucket);
    daemon_options dopt{bucket, "manifest.json", dir / "mps3d"};
    dopt.poll_interval_ms = 1000;  // the default of a configured store
    dopt.store_config = {"sync = full"};
    dopt.offline = o.offline;
    daemon_process daemon(server, dopt);
    daemon.start();
    redis_process redis_plain(redis_program, dir / "redis-plain", false);
    redis_process redis_durable(redis_program, dir / "redis-aof", true);
    populate(daemon, o.keys);
    populate(redis_plain, o.keys);
    populate(redis_durable, o.keys);
    settle(daemon, o);

    const jsonrpc_wire rpc(o.keys);
    const resp_wire resp(o.keys);
    const target mps3d_target{"mps3d", daemon.socket(), rpc, daemon.pid(), server_pids(server)};
    const target plain_target{"redis", redis_plain.socket(), resp, redis_plain.pid(), {}};
    const target durable_target{"redis", redis_durable.socket(), resp, redis_durable.pid(), {}};
    for (const auto& spec : specs) {
        try {
            figure f{spec, {}, {}, 0};
            settle(daemon, o);
            f.mps3d = run_load(mps3d_target, spec.groups, o);
            check("mps3d", f.mps3d);
            f.redis = run_load(spec.durable ? durable_target : plain_target, spec.groups, o);
            check("redis", f.redis);
            const auto theirs = headline_value(spec, f.redis);
            f.ratio = theirs > 0 ? headline_value(spec, f.mps3d) / theirs : 0;
            print_figure(f);
            figures.push_back(std::move(f));
        } catch (const std::exception& e) {
            failures.push_back(spec.id + ": " + e.what());
            std::printf("!! %s failed: %s\n", spec.id.c_str(), e.what());
            std::fflush(stdout);
        }
    }
    run_memory_figures(o, server, dir, redis_plain, memory, memory_figures, failures);
    settle(daemon, o);
    // Exit 3: stopped with writes queued, which is what an offline daemon does (clean).
    if (const auto stopped = daemon.stop();
        !stopped || (*stopped != 0 && !(o.offline && *stopped == 3))) {
        const auto why = "mps3d did not stop cleanly (" +
                         (stopped ? "exit " + std::to_string(*stopped) : "still running") +
                         "); its log:\n" + daemon.log();
        failures.push_back(why);
        std::printf("!! %s\n", why.c_str());
    }
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app("mps3d's socket against Redis's, one load generator, same run", argv[0]);
    bench_options o;
    o.seed = std::random_device{}();
    app.add_flag("--quick", o.quick,
                 "a seconds-long run (CI): 1 s per figure and server, 0.2 s warm-up");
    app.add_option("--json", o.json_file, "also write the figures to this file as JSON");
    auto* seconds = app.add_option("--seconds", o.seconds, "measured seconds per figure and server")
                        ->capture_default_str()
                        ->check(CLI::Range(0.1, 3600.0));
    auto* warmup = app.add_option("--warmup", o.warmup, "seconds run before each measured window")
                       ->capture_default_str()
                       ->check(CLI::Range(0.0, 600.0));
    app.add_option("--keys", o.keys, "keys in both servers before the first figure")
        ->capture_default_str()
        ->check(CLI::Range(1, 10000));
    app.add_option("--seed", o.seed, "seed of the key sequences");
    app.add_flag("--offline", o.offline,
                 "start mps3d --offline: writes queue, nothing is uploaded to s3rver");
    std::vector<std::string> only;
    app.add_option("--only", only,
                   "measure only these figures (ids: get1 get8 get64 get8p16 put1 put8 mixed "
                   "rss-flood rss-idle), e.g. to profile one")
        ->delimiter(',');
    auto* flood_mib =
        app.add_option("--flood-mib", o.flood_bytes,
                       "rss-flood: MiB of writes offered without reading (default 1024; quick 64)")
            ->check(CLI::Range(1, 1 << 20));
    auto* idle = app.add_option("--idle-connections", o.idle_connections,
                                "rss-idle: connections (default 1000; quick 200)")
                     ->check(CLI::Range(1, 60000));
    CLI11_PARSE(app, argc, argv);
    if (o.quick) {
        o.seconds = seconds->count() > 0 ? o.seconds : 1;
        o.warmup = warmup->count() > 0 ? o.warmup : 0.2;
    }
    if (flood_mib->count() > 0) {
        o.flood_bytes <<= 20;  // given in MiB
    } else if (o.quick) {
        o.flood_bytes = std::uint64_t{64} << 20;
    }
    if (idle->count() == 0 && o.quick) {
        o.idle_connections = 200;
    }
    // Room for the idle connections' descriptors (and the daemon's: it raises its own).
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
        files.rlim_cur = files.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &files);
    }

    const auto started = steady::now();
    std::vector<figure> figures;
    std::vector<memory_figure> memory_figures;
    std::vector<std::string> failures;
    std::string redis_v = "?";
    auto specs = figure_specs();
    auto memory = memory_ids;
    if (!only.empty()) {
        const auto not_named = [&](const std::string& id) {
            return std::find(only.begin(), only.end(), id) == only.end();
        };
        std::erase_if(specs, [&](const figure_spec& spec) { return not_named(spec.id); });
        std::erase_if(memory, not_named);
        if (specs.empty() && memory.empty()) {
            std::fprintf(stderr, "--only names no figure\n");
            return 2;
        }
    }
    try {
        const auto redis_program = find_program("redis-server");
        redis_v = redis_version(redis_program);
        std::printf(
            "mps3d local socket vs Redis %s (%s): %s; %.1f s per figure and server after %.1f s "
            "warm-up; %zu keys; seed %llu; mps3d %s\n",
            redis_v.c_str(), o.quick ? "quick" : "full", machine_text().c_str(), o.seconds,
            o.warmup, o.keys, static_cast<unsigned long long>(o.seed),
            o.offline ? "offline" : "online (uploads to s3rver)");
        std::fflush(stdout);
        const auto dir = make_temp_dir("bench-local");
        try {
            run_figures(o, redis_program, dir, specs, memory, figures, memory_figures, failures);
        } catch (...) {
            std::error_code ignored;
            std::filesystem::remove_all(dir, ignored);
            throw;
        }
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    } catch (const std::exception& e) {
        failures.push_back(e.what());
        std::printf("!! %s\n", e.what());
    }

    if ((figures.size() < specs.size() || memory_figures.size() < memory.size()) &&
        failures.empty()) {
        failures.push_back("only " + std::to_string(figures.size() + memory_figures.size()) +
                           " figures produced");
    }
    print_table(figures, redis_v);
    print_memory_table(memory_figures, redis_v);
    if (!o.json_file.empty()) {
        try {
            write_json(o, redis_v, figures, memory_figures, failures);
        } catch (const std::exception& e) {
            failures.push_back(e.what());
        }
    }
    std::printf(
        "\n%zu of %zu figures in %.0f s; %s\n", figures.size() + memory_figures.size(),
        specs.size() + memory.size(),
        std::chrono::duration<double>(steady::now() - started).count(),
        failures.empty() ? "all produced, every answer a success" : "FAILED (see !! lines)");
    return failures.empty() ? 0 : 1;
}
