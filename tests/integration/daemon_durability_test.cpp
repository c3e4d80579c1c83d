// No acknowledged write is ever lost (issue 5): clients write bursts through mps3d's socket while
// the test kills the daemon with SIGKILL at random moments and restarts it; at the end the
// bucket, read by the independent reader (not the daemon), must hold every acknowledged write or
// a later write to the same key. "Later" is the daemon's order, not the order the test built the
// requests in: three connections write the same keys concurrently, so the order is the `seq`
// each acknowledgement carries (an unacknowledged write has no known place, so it may be the
// final one). Randomized with a printed seed:
//   MPS3_CRASH_SEED=<n> to replay a run, MPS3_CRASH_CYCLES=<n> for a longer one (default 20).
#include "bucket_tools.hpp"
#include "daemon_process.hpp"

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

struct op {
    std::string key;
    std::uint64_t n = 0;  // a global, increasing write number: the value is {"n":n}
    bool del = false;
};

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
}

std::string outcome(const op& o) {
    return o.del ? std::string("<absent>") : R"({"n":)" + std::to_string(o.n) + "}";
}

std::string op_json(const op& o) {
    return o.del ? R"({"key":")" + o.key + R"(","delete":true})"
                 : R"({"key":")" + o.key + R"(","value":{"n":)" + std::to_string(o.n) + "}}";
}

}  // namespace

TEST_CASE("mps3d durability: SIGKILL at random moments never loses an acknowledged write") {
    const auto seed = env_number("MPS3_CRASH_SEED", static_cast<std::uint64_t>(std::time(nullptr)));
    const auto cycles = env_number("MPS3_CRASH_CYCLES", 20);
    std::cout << "crash loop: seed " << seed << ", " << cycles
              << " cycles (replay with MPS3_CRASH_SEED=" << seed << ")" << std::endl;
    MESSAGE("seed " << seed);
    std::mt19937_64 rng(seed);
    auto pick = [&](std::uint64_t lo, std::uint64_t hi) {
        return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
    };

    const auto bucket = unique_bucket("crash");
    const auto dir = make_temp_dir("crash");
    create_bucket_now(shared_server(), bucket);
    daemon_options options{bucket, "manifest.json", dir / "d", 50};
    daemon_process d(shared_server(), options);

    constexpr int key_count = 40;
    constexpr int clients = 3;
    std::map<std::string, std::vector<op>> sent;       // per key, in the order sent
    std::map<std::string, std::uint64_t> acked_floor;  // per key: the latest acknowledged seq
    std::map<std::uint64_t, std::uint64_t> seq_of;     // n -> seq, for acknowledged writes
    std::uint64_t next_n = 1;
    std::uint64_t acknowledged = 0;
    std::uint64_t kills = 0;

    for (std::uint64_t cycle = 0; cycle < cycles; ++cycle) {
        d.start();
        std::vector<socket_client> conns;
        for (int i = 0; i < clients; ++i) {
            auto c = socket_client::connect(d.socket());
            REQUIRE(c.has_value());
            conns.push_back(std::move(*c));
        }
        // Every client pipelines a burst: puts, deletes, and atomic putAll groups.
        std::vector<std::map<std::string, std::vector<op>>> in_flight(clients);
        std::uint64_t requests = 0;
        const auto until = socket_client::clock::now() + 60s;
        for (int ci = 0; ci < clients; ++ci) {
            const auto burst = pick(5, 80);
            for (std::uint64_t r = 0; r < burst; ++r) {
                std::vector<op> ops;
                const auto kind = pick(0, 9);
                const auto group = kind < 2 ? pick(2, 5) : 1;
                for (std::uint64_t g = 0; g < group; ++g) {
                    ops.push_back(
                        op{"d/" + std::to_string(pick(0, key_count - 1)), next_n++, kind == 9});
                    sent[ops.back().key].push_back(ops.back());
                }
                std::string params;
                std::string method;
                if (group > 1) {
                    method = "putAll";
                    params = R"({"ops":[)";
                    for (std::size_t i = 0; i < ops.size(); ++i) {
                        params += (i ? "," : "") + op_json(ops[i]);
                    }
                    params += "]}";
                } else if (ops.front().del) {
                    method = "delete";
                    params = R"({"key":")" + ops.front().key + "\"}";
                } else {
                    method = "put";
                    params = R"({"key":")" + ops.front().key + R"(","value":{"n":)" +
                             std::to_string(ops.front().n) + "}}";
                }
                auto id = conns[static_cast<std::size_t>(ci)].send(method, params, until);
                REQUIRE(id.has_value());
                in_flight[static_cast<std::size_t>(ci)][id->to_json()] = std::move(ops);
                ++requests;
            }
        }
        // Read acknowledgements until a random point, then kill: the rest stay unknown.
        const auto kill_after = pick(0, requests);
        std::uint64_t read = 0;
        bool reading = true;
        while (reading && read < kill_after) {
            reading = false;
            for (int ci = 0; ci < clients && read < kill_after; ++ci) {
                auto& pending = in_flight[static_cast<std::size_t>(ci)];
                if (pending.empty()) {
                    continue;
                }
                auto in = conns[static_cast<std::size_t>(ci)].receive(until);
                REQUIRE_MESSAGE(in.has_value(), (in ? "" : in.err().describe()) << "\n" << d.log());
                auto& resp = std::get<mps3::ipc::rpc_response>(*in);
                REQUIRE_MESSAGE(resp.ok(), resp.error->message);
                auto it = pending.find(resp.id.to_json());
                REQUIRE(it != pending.end());
                const auto seq = resp.result["seq"].GetUint64();
                for (const auto& o : it->second) {
                    acked_floor[o.key] = std::max(acked_floor[o.key], seq);
                    seq_of[o.n] = seq;
                }
                acknowledged += it->second.size();
                pending.erase(it);
                ++read;
                reading = true;
            }
        }
        // Sometimes a little later, so that kills also land inside uploads.
        const timespec pause{0, static_cast<long>(pick(0, 150)) * 1'000'000};
        nanosleep(&pause, nullptr);
        d.kill9();
        ++kills;
    }

    // Last start: upload everything, stop cleanly.
    d.start();
    auto flushed = d.ctl({"flush", "--timeout", "120"});
    REQUIRE_MESSAGE(flushed.exit_code == 0, flushed.err << "\n" << d.log());
    const auto state = read_bucket_now(shared_server(), bucket);
    REQUIRE(d.stop(60s) == 0);

    // Each key must show its latest acknowledged op or a later one (acknowledged or not).
    std::uint64_t lost = 0;
    for (const auto& [key, ops] : sent) {
        const auto floor = acked_floor.count(key) ? acked_floor.at(key) : 0;
        const auto it = state.find(key);
        const std::string actual = it == state.end() ? "<absent>" : it->second;
        bool allowed = floor == 0 && actual == "<absent>";
        for (const auto& o : ops) {
            const auto acked = seq_of.find(o.n);
            const bool not_before_floor = acked == seq_of.end() || acked->second >= floor;
            allowed = allowed || (not_before_floor && outcome(o) == actual);
        }
        if (!allowed) {
            ++lost;
            FAIL_CHECK("key " << key << ": bucket has " << actual
                              << ", but the latest acknowledged write has seq " << floor);
        }
    }
    std::cout << "crash loop: " << kills << " SIGKILLs, " << acknowledged
              << " writes acknowledged, " << lost << " lost, " << state.size()
              << " keys in the bucket" << std::endl;
    CHECK(lost == 0);
    CHECK(kills == cycles);
    if (lost == 0) {
        std::filesystem::remove_all(dir);
    } else {
        std::cout << "crash loop: kept the daemon's log and replica in " << dir
                  << "\nbucket: " << describe_bucket_now(shared_server(), bucket) << std::endl;
    }
}
