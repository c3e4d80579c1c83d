// Issue 5, correctness: mps3d starts on a replica of 100,000 keys and serves reads and writes
// from it while the bucket is unreachable (a dead loopback port) or with --offline. No server is
// needed; the time to the first answered get is printed, never asserted (the figures are
// tests/bench/cold_start_bench.cpp's business).
#include "daemon_process.hpp"
#include "replica_builder.hpp"
#include "rpc_calls.hpp"

#include "ctl/socket_client.hpp"

#include <doctest/doctest.h>
#include <rapidjson/document.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>

namespace {

using namespace mps3::test;
using namespace std::chrono_literals;
using mps3::ctl::socket_client;

constexpr std::size_t key_count = 100'000;
constexpr const char* bucket = "cold-start";

// A loopback port nothing listens on: bound by us, then closed, so a connect is refused at
// once (another process could take it meanwhile; on a test machine that is rare and shows as
// a different lastError).
std::uint16_t dead_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    const bool bound =
        ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0 &&  // NOLINT
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0;          // NOLINT
    ::close(fd);
    REQUIRE(bound);
    return ntohs(addr.sin_port);
}

// One 100,000-key replica per process (building it takes seconds), copied for each daemon.
struct base_replica {
    std::filesystem::path dir = make_temp_dir("cold-base");
    std::uint16_t port = dead_loopback_port();
    std::filesystem::path file = dir / "base.sqlite";

    base_replica() {
        build_replica(
            {.path = file,
             .keys = key_count,
             .bucket = bucket,
             .manifest = "manifest.json",
             .store_identity = replica_store_identity("127.0.0.1", port, bucket, "manifest.json")});
    }
    ~base_replica() {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
    base_replica(const base_replica&) = delete;
    base_replica& operator=(const base_replica&) = delete;

    [[nodiscard]] std::string endpoint() const {
        return "http://127.0.0.1:" + std::to_string(port);
    }
};

const base_replica& shared_base() {
    static const base_replica base;
    return base;
}

std::string get_params(const std::string& key) {
    return R"({"key":")" + key + R"("})";
}

void check_value(socket_client& c, std::size_t i) {
    INFO("key " << replica_key(i));
    const auto got = call(c, "get", get_params(replica_key(i)));
    REQUIRE(got["found"].GetBool());
    CHECK(compact_json(got["value"]) == replica_value(i));
}

// A daemon on a private copy of the base replica, endpoint the dead port.
struct cold_daemon {
    std::filesystem::path dir = make_temp_dir("cold");
    daemon_process daemon;

    explicit cold_daemon(bool offline)
        : daemon(shared_server(), options(dir, offline, shared_base().endpoint())) {
        const auto state = dir / "d" / "state";
        std::filesystem::create_directories(state);
        std::filesystem::permissions(state, std::filesystem::perms::owner_all);
        std::filesystem::copy_file(shared_base().file, daemon.replica());
    }
    ~cold_daemon() {
        daemon.kill9();
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
    cold_daemon(const cold_daemon&) = delete;
    cold_daemon& operator=(const cold_daemon&) = delete;

    static daemon_options options(const std::filesystem::path& dir, bool offline,
                                  std::string endpoint) {
        daemon_options o{bucket, "manifest.json", dir / "d"};
        o.offline = offline;
        o.endpoint = std::move(endpoint);
        // A stop with a write queued and no bucket: do not wait the default 10 s to flush.
        o.extra_args = {"--shutdown-timeout", "200"};
        return o;
    }
};

// Starts the daemon and reads the first key; prints how long that took.
socket_client start_and_first_get(cold_daemon& t, const std::string& mode) {
    const auto started = std::chrono::steady_clock::now();
    t.daemon.start();
    auto c = socket_client::connect(t.daemon.socket());
    REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.err().describe()));
    check_value(*c, 0);
    const auto elapsed =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started);
    MESSAGE("mps3d " << mode << ", " << key_count
                     << " keys: spawn to first answered get: " << elapsed.count() << " ms");
    return std::move(*c);
}

// Reads, list pages and a queued write: the same whether the bucket is down or we are offline.
void check_serves_from_replica(socket_client& c) {
    check_value(c, key_count / 2);
    check_value(c, key_count - 1);
    CHECK_FALSE(call(c, "get", get_params(replica_key(key_count)))["found"].GetBool());

    // The first two pages of everything, then a prefix holding the last ten keys.
    const auto first = call(c, "list", R"({"prefix":"k/","limit":1000})");
    REQUIRE(first["entries"].Size() == 1000);
    CHECK(std::string(first["entries"][0]["key"].GetString()) == replica_key(0));
    CHECK(compact_json(first["entries"][999]["value"]) == replica_value(999));
    REQUIRE(first.HasMember("cursor"));
    rapidjson::Document params(rapidjson::kObjectType);
    params.AddMember("prefix", "k/", params.GetAllocator());
    params.AddMember("limit", 1000, params.GetAllocator());
    params.AddMember("cursor", rapidjson::Value(first["cursor"], params.GetAllocator()),
                     params.GetAllocator());
    const auto second = call(c, "list", compact_json(params));
    REQUIRE(second["entries"].Size() == 1000);
    CHECK(std::string(second["entries"][0]["key"].GetString()) == replica_key(1000));
    const auto tail = call(c, "list", R"({"prefix":"k/09999"})");
    REQUIRE(tail["entries"].Size() == 10);
    CHECK(std::string(tail["entries"][9]["key"].GetString()) == replica_key(key_count - 1));
    CHECK_FALSE(tail.HasMember("cursor"));

    // A write is accepted (queued in the replica) and read back at once.
    const auto put = call(c, "put", R"({"key":"new/one","value":{"cold":true}})");
    CHECK(put["seq"].GetInt64() > 0);
    const auto back = call(c, "get", get_params("new/one"));
    REQUIRE(back["found"].GetBool());
    CHECK(compact_json(back["value"]) == R"({"cold":true})");
}

}  // namespace

TEST_CASE("mps3d cold start: 100,000-key replica, bucket unreachable: serves reads and writes") {
    cold_daemon t(false);
    auto c = start_and_first_get(t, "online, bucket unreachable");
    check_serves_from_replica(c);

    // The sync loop keeps failing in the background; status says why, and the write waits.
    rapidjson::Document status;
    const bool failed = wait_until(
        [&] {
            status = call(c, "status", "{}");
            return std::string(status["lastError"].GetString()).find("refused") !=
                   std::string::npos;
        },
        30s);
    CHECK_MESSAGE(failed, "status: " << compact_json(status));
    CHECK(status["online"].GetBool());
    CHECK(status["queuedWrites"].GetUint64() == 1);
    const std::string last_error = status["lastError"].GetString();
    CHECK_MESSAGE(last_error.find("connecting to 127.0.0.1:" +
                                  std::to_string(shared_base().port)) != std::string::npos,
                  last_error);
    // Stopped with the write still queued: exit code 3, the write stays in the replica.
    CHECK(t.daemon.stop() == 3);
}

TEST_CASE("mps3d cold start: 100,000-key replica, --offline: serves reads and writes") {
    cold_daemon t(true);
    auto c = start_and_first_get(t, "offline");
    check_serves_from_replica(c);

    const auto status = call(c, "status", "{}");
    CHECK_FALSE(status["online"].GetBool());
    CHECK(status["queuedWrites"].GetUint64() == 1);
    CHECK(std::string(status["lastError"].GetString()).empty());
    CHECK(t.daemon.stop() == 3);
}
