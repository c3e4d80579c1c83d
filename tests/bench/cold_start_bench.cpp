// Issue 5, figures: how long mps3d takes from spawn to the first answered `get`, and its peak
// RSS, on replicas of 1,000 / 10,000 / 100,000 keys, offline and with an unreachable bucket.
// The requirement is that the time does not depend on the replica's size: the ratio
// median(largest) / median(smallest) is printed per mode. Needs no S3 server.
//
//   build/tests/bench/mps3_bench_cold_start [--runs 5] [--sizes 1000,10000,100000] [--each]
//
// Times are wall time (CLOCK_MONOTONIC) from just before fork to the answer's arrival, with the
// replica in the page cache (it was just built; dropping caches needs root and would disturb
// everything else on the machine).
#include "child_process.hpp"
#include "daemon_process.hpp"
#include "replica_builder.hpp"
#include "test_server.hpp"

#include "ctl/socket_client.hpp"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <CLI/CLI.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace mps3::test;
using namespace std::chrono_literals;
using mps3::ctl::socket_client;

constexpr const char* bucket = "cold-start-bench";
constexpr const char* manifest = "manifest.json";

double monotonic_ms() {
    timespec t{};
    ::clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

// A loopback port nothing listens on: bound, read back, closed. Connecting is refused at once.
std::uint16_t dead_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw std::runtime_error("socket() failed");
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    const bool bound =
        ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 &&  // NOLINT
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;          // NOLINT
    ::close(fd);
    if (!bound) {
        throw std::runtime_error("cannot bind a loopback port");
    }
    return ntohs(addr.sin_port);
}

// The peak resident set size (VmHWM) of a live process, in MiB.
double peak_rss_mib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("VmHWM:")) {
            std::istringstream fields(line.substr(6));
            double kib = 0;
            fields >> kib;
            return kib / 1024.0;
        }
    }
    throw std::runtime_error("no VmHWM in /proc/" + std::to_string(pid) + "/status");
}

// The CPU time a live process has used so far and the time it waited for a CPU, in ms
// (/proc/PID/schedstat, nanoseconds). Unlike wall time, the CPU time hardly moves when other
// work loads the machine; the wait shows how much it did.
std::pair<double, double> cpu_and_wait_ms(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/schedstat");
    double on_cpu_ns = 0;
    double waited_ns = 0;
    if (!(in >> on_cpu_ns >> waited_ns)) {
        throw std::runtime_error("cannot read /proc/" + std::to_string(pid) + "/schedstat");
    }
    return {on_cpu_ns / 1e6, waited_ns / 1e6};
}

std::string compact(const rapidjson::Value& v) {
    rapidjson::StringBuffer out;
    rapidjson::Writer<rapidjson::StringBuffer> w(out);
    v.Accept(w);
    return {out.GetString(), out.GetSize()};
}

enum class mode { offline, unreachable };

const char* mode_name(mode m) {
    return m == mode::offline ? "offline" : "bucket unreachable";
}

// One replica of n keys and everything one mps3d run needs around it.
struct bench_store {
    std::filesystem::path dir;
    std::filesystem::path state;
    std::filesystem::path socket;
    std::filesystem::path config;

    bench_store(std::size_t n, std::uint16_t port)
        : dir(make_temp_dir("bench-cold-" + std::to_string(n))),
          state(dir / "state"),
          socket(dir / "run" / "mps3d.sock"),
          config(dir / "mps3d.conf") {
        std::filesystem::create_directories(state);
        std::filesystem::permissions(state, std::filesystem::perms::owner_all);
        std::ofstream(config) << "[daemon]\n\n[store \"default\"]\nendpoint = http://127.0.0.1:"
                              << port << "\nregion = us-east-1\nbucket = " << bucket
                              << "\nmanifest = " << manifest << "\n";
        const double started = monotonic_ms();
        build_replica(
            {.path = state / "default.sqlite",
             .keys = n,
             .bucket = bucket,
             .manifest = manifest,
             .store_identity = replica_store_identity("127.0.0.1", port, bucket, manifest)});
        build_ms = monotonic_ms() - started;
    }
    ~bench_store() {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
    bench_store(const bench_store&) = delete;
    bench_store& operator=(const bench_store&) = delete;

    double build_ms = 0;
};

struct sample {
    double first_get_ms = 0;  // wall time, spawn to answer
    double cpu_ms = 0;        // mps3d's CPU time until then
    double wait_ms = 0;       // how long mps3d waited for a CPU meanwhile
    double rss_mib = 0;
};

// Spawns mps3d, connects as soon as the socket accepts, asks for the first key; stops it.
sample run_once(const bench_store& store, const std::string& mps3d, mode m, int run) {
    std::error_code ignored;
    std::filesystem::remove(store.socket, ignored);
    child_options o;
    o.argv = {mps3d,
              "--config",
              store.config.string(),
              "--socket",
              store.socket.string(),
              "--state-dir",
              store.state.string()};
    if (m == mode::offline) {
        o.argv.emplace_back("--offline");
    }
    // make_store_config needs credentials even though no request will succeed.
    o.env = {{"AWS_ACCESS_KEY_ID", "cold-start-bench"}, {"AWS_SECRET_ACCESS_KEY", "not-a-secret"}};
    o.unset_env = {"AWS_PROFILE",   "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
                   "NOTIFY_SOCKET", "LISTEN_FDS",        "LISTEN_PID",       "JOURNAL_STREAM"};
    o.stderr_file = store.dir / ("mps3d-" + std::to_string(static_cast<int>(m)) + "-" +
                                 std::to_string(run) + ".log");

    const double started = monotonic_ms();
    child_process daemon(std::move(o));
    const auto fail = [&](const std::string& what) -> std::runtime_error {
        return std::runtime_error(what + "; mps3d's log:\n" + daemon.stderr_text());
    };
    const auto deadline = socket_client::clock::now() + 60s;
    std::optional<socket_client> client;
    while (!client) {
        auto c = socket_client::connect(store.socket);
        if (c) {
            client.emplace(std::move(*c));
            break;
        }
        if (!daemon.running() || socket_client::clock::now() > deadline) {
            throw fail("mps3d never accepted a connection");
        }
        timespec pause{0, 200'000};  // 0.2 ms: the figure's resolution
        ::nanosleep(&pause, nullptr);
    }
    auto answer = client->call("get", R"({"key":")" + replica_key(0) + R"("})", deadline);
    const double answered = monotonic_ms();
    if (!answer || !answer->ok()) {
        throw fail("get failed: " + (answer ? answer->error->message : answer.err().describe()));
    }
    const auto& r = answer->result;
    if (!r["found"].GetBool() || compact(r["value"]) != replica_value(0)) {
        throw fail("get answered the wrong value: " + compact(r));
    }
    const auto [cpu_ms, wait_ms] = cpu_and_wait_ms(daemon.pid());
    const sample s{answered - started, cpu_ms, wait_ms, peak_rss_mib(daemon.pid())};

    daemon.signal(SIGTERM);
    const auto exit = daemon.wait(30s);
    if (exit != 0) {
        throw fail("mps3d did not stop cleanly (exit " +
                   (exit ? std::to_string(*exit) : std::string("none: still running")) + ")");
    }
    return s;
}

struct summary {
    double median = 0, min = 0, max = 0, cpu_median = 0, wait_median = 0, rss_mib = 0;
};

template <class Field>
double median_of(const std::vector<sample>& samples, Field field) {
    std::vector<double> values;
    for (const auto& s : samples) {
        values.push_back(s.*field);
    }
    std::sort(values.begin(), values.end());
    const auto mid = values.size() / 2;
    return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

summary summarize(const std::vector<sample>& samples) {
    summary out;
    out.median = median_of(samples, &sample::first_get_ms);
    out.cpu_median = median_of(samples, &sample::cpu_ms);
    out.wait_median = median_of(samples, &sample::wait_ms);
    out.min = samples.front().first_get_ms;
    out.max = out.min;
    for (const auto& s : samples) {
        out.min = std::min(out.min, s.first_get_ms);
        out.max = std::max(out.max, s.first_get_ms);
        out.rss_mib = std::max(out.rss_mib, s.rss_mib);
    }
    return out;
}

std::vector<std::size_t> parse_sizes(const std::string& text) {
    std::vector<std::size_t> out;
    std::istringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        out.push_back(std::stoul(item));
    }
    if (out.empty()) {
        throw std::runtime_error("--sizes needs at least one number");
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app("mps3d cold start: spawn to first answered get, by replica size", argv[0]);
    int runs = 5;
    std::string sizes_text = "1000,10000,100000";
    std::string mps3d = mps3d_path();
    app.add_option("--runs", runs, "runs per size and mode")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));
    app.add_option("--sizes", sizes_text, "replica sizes in keys, comma separated")
        ->capture_default_str();
    app.add_option("--mps3d", mps3d, "the mps3d to start")->capture_default_str();
    bool each = false;
    app.add_flag("--each", each, "also print every run's figures (to stderr)");
    CLI11_PARSE(app, argc, argv);

    try {
        const auto sizes = parse_sizes(sizes_text);
        const auto port = dead_loopback_port();
        const std::vector<mode> modes{mode::offline, mode::unreachable};
        std::vector<std::vector<summary>> results(modes.size());  // [mode][size]

        std::printf("mps3d cold start, %d runs per cell (endpoint: dead port 127.0.0.1:%u)\n\n",
                    runs, static_cast<unsigned>(port));
        std::printf("%9s  %-20s %9s %9s %9s %9s %9s %10s\n", "keys", "mode", "median ms", "min ms",
                    "max ms", "CPU ms", "wait ms", "peak RSS");
        for (const auto n : sizes) {
            const bench_store store(n, port);
            for (std::size_t mi = 0; mi < modes.size(); ++mi) {
                std::vector<sample> samples;
                for (int run = 0; run < runs; ++run) {
                    samples.push_back(run_once(store, mps3d, modes[mi], run));
                    if (each) {
                        const auto& last = samples.back();
                        std::fprintf(
                            stderr, "%9zu  %-20s run %d: %.1f ms (CPU %.1f, wait %.1f), %.1f MiB\n",
                            n, mode_name(modes[mi]), run, last.first_get_ms, last.cpu_ms,
                            last.wait_ms, last.rss_mib);
                    }
                }
                const auto s = summarize(samples);
                results[mi].push_back(s);
                std::printf("%9zu  %-20s %9.1f %9.1f %9.1f %9.1f %9.1f %6.1f MiB\n", n,
                            mode_name(modes[mi]), s.median, s.min, s.max, s.cpu_median,
                            s.wait_median, s.rss_mib);
                std::fflush(stdout);
            }
            std::printf(
                "%9s  (replica built in %.0f ms, %.1f MiB)\n", "", store.build_ms,
                static_cast<double>(std::filesystem::file_size(store.state / "default.sqlite")) /
                    (1024.0 * 1024.0));
        }
        std::printf("\n");
        for (std::size_t mi = 0; mi < modes.size(); ++mi) {
            const auto& first = results[mi].front();
            const auto& last = results[mi].back();
            // CPU time too: on a loaded machine wall times wander, the work done does not.
            std::printf("%-20s median(%zu keys) / median(%zu keys) = %.2f   CPU time: %.2f\n",
                        mode_name(modes[mi]), sizes.back(), sizes.front(),
                        last.median / first.median, last.cpu_median / first.cpu_median);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mps3_bench_cold_start: %s\n", e.what());
        return 1;
    }
    return 0;
}
