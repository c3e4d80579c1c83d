// Issue 9, "poll cost proportional to what changed": the CPU a daemon spends on one poll that
// sees one new entry, by store size, step by step, without a server (the network part is
// figure d of mps3_bench_sync). The format makes every entry carry the whole key map, so the
// parse and the resolve grow with the store whatever the client does; the diff against the
// replica is ours: today's in-memory mirror (applied_files) next to the read of every kv row
// it replaced (replica::confirmed_files).
//
//   build/tests/bench/mps3_bench_poll_cost [--sizes 1000,10000,100000] [--runs 5]
//
// Entries are stored gzip-compressed by default (docs/bucket-format.md): a second line per size
// gives the compressed size, the writer's cost to compress the entry (once per write) and a
// reader's cost to decode it (once per new entry per poll).
//
// Each step is timed over --runs runs; the median is printed (CLOCK_MONOTONIC wall time).
#include "replica_builder.hpp"
#include "test_server.hpp"

#include "engine/applied_files.hpp"
#include "protocol/content_ref.hpp"
#include "protocol/entry_body.hpp"
#include "protocol/gzip.hpp"
#include "protocol/resolver.hpp"
#include "replica/replica.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace mps3;
using steady = std::chrono::steady_clock;

constexpr const char* bucket = "poll-cost-bench";

double median_ms(int runs, const std::function<void()>& step) {
    std::vector<double> times;
    for (int i = 0; i < runs; ++i) {
        const auto t0 = steady::now();
        step();
        times.push_back(std::chrono::duration<double, std::milli>(steady::now() - t0).count());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

// The entry a writer uploads after one put into a store of n keys: the whole state in files,
// the one key in update.
std::string entry_after_one_put(std::size_t n) {
    protocol::manifest_state files;
    for (std::size_t i = 0; i < n; ++i) {
        files.emplace(protocol::format_content_ref(bucket, test::replica_key(i)),
                      protocol::file_state{test::replica_version(i), ""});
    }
    protocol::manifest_update update;
    update.emplace(protocol::format_content_ref(bucket, test::replica_key(7)),
                   protocol::file_state{"00000000-0000-4000-8000-000000000007", ""});
    auto body = protocol::serialize_entry_body(files, update);
    if (!body) {
        throw std::runtime_error("serialize_entry_body: " + body.err().describe());
    }
    return std::move(*body);
}

void measure(std::size_t n, int runs, const std::filesystem::path& dir) {
    const std::string text = entry_after_one_put(n);

    protocol::entry_body body;
    const double parse = median_ms(runs, [&] {
        auto parsed = protocol::parse_entry_body(text);
        if (!parsed) {
            throw std::runtime_error("parse_entry_body: " + parsed.err().describe());
        }
        body = std::move(*parsed);
    });

    protocol::manifest_state state;
    const protocol::entry_body* replay[] = {&body};
    const double resolve = median_ms(runs, [&] { state = protocol::resolve(&body, replay); });

    const auto path = dir / ("replica-" + std::to_string(n) + ".sqlite");
    test::build_replica({.path = path, .keys = n, .bucket = bucket});
    auto db = replica::replica::open(path);
    if (!db) {
        throw std::runtime_error("open replica: " + db.err().describe());
    }
    std::vector<replica::confirmed_file> rows;
    const double read_all = median_ms(runs, [&] {
        auto confirmed = db->confirmed_files();
        if (!confirmed) {
            throw std::runtime_error("confirmed_files: " + confirmed.err().describe());
        }
        rows = std::move(*confirmed);
    });
    // What kv held before this poll: every key at its seeded version (the builder's rows carry
    // no replication field, MPS3's entries carry ""; the mirror is built as the engine would).
    std::vector<replica::confirmed_file> before;
    before.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        before.push_back({test::replica_key(i), bucket, test::replica_version(i), ""});
    }
    engine::applied_files mirror;
    mirror.load(before);
    engine::apply_plan plan;
    const double diff = median_ms(runs, [&] { plan = mirror.diff(state, bucket); });
    if (plan.to_fetch.size() != 1 || !plan.deleted.empty()) {
        throw std::runtime_error("the diff should name exactly the one put key");
    }

    std::string compressed;
    const double encode = median_ms(runs, [&] {
        auto gz = protocol::gzip_encode(text);  // the level the engine uses
        if (!gz) {
            throw std::runtime_error("gzip_encode: " + gz.err().describe());
        }
        compressed = std::move(*gz);
    });
    std::size_t default_level_size = 0;
    const double encode_default_level = median_ms(runs, [&] {
        auto gz = protocol::gzip_encode(text, 6);
        if (!gz) {
            throw std::runtime_error("gzip_encode: " + gz.err().describe());
        }
        default_level_size = gz->size();
    });
    const double decode = median_ms(runs, [&] {
        auto plain = protocol::gzip_decode(compressed);
        if (!plain || *plain != text) {
            throw std::runtime_error("gzip_decode did not give the entry back");
        }
    });

    std::printf(
        "%8zu keys  entry %6.2f MB  parse %7.1f ms  resolve %6.1f ms  diff %6.1f ms  "
        "(a read of every kv row, which the diff replaced: %7.1f ms)\n",
        n, static_cast<double>(text.size()) / 1e6, parse, resolve, diff, read_all);
    std::printf(
        "%8s       gzip %6.2f MB (%.2fx smaller)  compress %6.1f ms  decompress %6.1f ms  "
        "(zlib's default level 6: %.2f MB, %.1f ms)\n",
        "", static_cast<double>(compressed.size()) / 1e6,
        static_cast<double>(text.size()) / static_cast<double>(compressed.size()), encode, decode,
        static_cast<double>(default_level_size) / 1e6, encode_default_level);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app("CPU cost of one poll that sees one new entry, by store size");
    std::vector<std::size_t> sizes = {1000, 10000, 100000};
    int runs = 5;
    app.add_option("--sizes", sizes, "store sizes")->delimiter(',');
    app.add_option("--runs", runs, "runs per step (the median is printed)")
        ->check(CLI::Range(1, 1000));
    CLI11_PARSE(app, argc, argv);
    const auto dir = test::make_temp_dir("poll-cost");
    try {
        for (const auto n : sizes) {
            measure(n, runs, dir);
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mps3_bench_poll_cost: %s\n", e.what());
        std::filesystem::remove_all(dir);
        return 1;
    }
    std::filesystem::remove_all(dir);
    return 0;
}
