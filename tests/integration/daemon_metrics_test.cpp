// Metrics and health (issue 13), end to end: a real mps3d with two stores on the test server,
// through a proxy that can cut the bucket off. /metrics, scraped with a plain HTTP GET, shows
// every family before and after a run of writes, and the ones the writes drive move;
// `mps3ctl metrics` prints the same families; `mps3ctl health` is 1 while the bucket is
// unreachable and 0 again after; `mps3ctl status --all` shows both stores.
#include "bucket_tools.hpp"
#include "daemon_process.hpp"
#include "rpc_calls.hpp"
#include "tcp_proxy.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace mps3::test;
using namespace std::chrono_literals;

struct http_answer {
    int status = 0;
    std::string body;
};

// One HTTP/1.1 request on a fresh loopback connection, read to the end, within a deadline.
http_answer http_request(std::uint16_t port, const std::string& method, const std::string& path) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_port = htons(port);
    at.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&at), sizeof at) == 0);
    const std::string request =
        method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(request.size()));
    std::string raw;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        REQUIRE_MESSAGE(left.count() > 0, "no complete HTTP answer within 30 s");
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            continue;
        }
        char chunk[65536];
        const auto n = ::read(fd, chunk, sizeof chunk);
        if (n <= 0) {
            break;  // Connection: close: the answer ends with the connection
        }
        raw.append(chunk, static_cast<std::size_t>(n));
    }
    ::close(fd);
    http_answer out;
    REQUIRE(raw.starts_with("HTTP/1.1 "));
    out.status = std::stoi(raw.substr(9, 3));
    const auto body = raw.find("\r\n\r\n");
    REQUIRE(body != std::string::npos);
    if (out.status == 200) {
        CHECK(raw.substr(0, body).find("Content-Type: text/plain; version=0.0.4") !=
              std::string::npos);
    }
    out.body = raw.substr(body + 4);
    return out;
}

// The sum of the samples whose series starts with `series` (a name, or a name and its first
// labels, as in `name{store="a"`); -1 when there is none.
double sample(const std::string& text, const std::string& series) {
    std::istringstream lines(text);
    std::string line;
    double total = 0;
    bool found = false;
    while (std::getline(lines, line)) {
        if (!line.starts_with(series)) {
            continue;
        }
        const char next = line[series.size()];
        if (next != ' ' && next != '{' && next != ',' && next != '}') {
            continue;  // a longer name that starts the same
        }
        total += std::stod(line.substr(line.rfind(' ') + 1));
        found = true;
    }
    return found ? total : -1;
}

std::uint16_t metrics_port(const daemon_process& d) {
    const std::string log = d.log();
    const std::string marker = "metrics on http://127.0.0.1:";
    const auto at = log.find(marker);
    REQUIRE_MESSAGE(at != std::string::npos, log);
    return static_cast<std::uint16_t>(std::stoi(log.substr(at + marker.size())));
}

const std::vector<std::string> families = {
    "mps3d_store_online",
    "mps3d_store_queued_writes",
    "mps3d_store_oldest_queued_age_seconds",
    "mps3d_store_last_sync_age_seconds",
    "mps3d_store_healthy",
    "mps3d_store_failed_sync_attempts",
    "mps3d_store_clock_offset_seconds",
    "mps3d_store_subscriptions",
    "mps3d_store_entries_written_total",
    "mps3d_store_entries_read_total",
    "mps3d_store_polls_total",
    "mps3d_s3_requests_total",
    "mps3d_s3_request_duration_seconds",
    "mps3d_s3_sent_bytes_total",
    "mps3d_s3_received_bytes_total",
    "mps3d_connections",
    "mps3d_rpc_requests_total",
    "mps3d_rpc_request_duration_seconds",
};

void check_every_family(const std::string& text) {
    for (const auto& family : families) {
        CAPTURE(family);
        CHECK(text.find("# TYPE " + family + " ") != std::string::npos);
    }
}

// Whether every store is healthy, by the `stores` method (what `mps3ctl health` asks).
bool all_healthy(mps3::ctl::socket_client& c) {
    auto answer = call(c, "stores", "{}");
    return answer["healthy"].GetBool();
}

// Whether no store is healthy: both go through the proxy, but they turn unhealthy one after
// the other (each when its own last sync gets too old).
bool none_healthy(mps3::ctl::socket_client& c) {
    auto answer = call(c, "stores", "{}");
    for (const auto& store : answer["stores"].GetArray()) {
        if (store["healthy"].GetBool()) {
            return false;
        }
    }
    return true;
}

}  // namespace

TEST_CASE("mps3d metrics: every family shows, writes move them, health follows the bucket") {
    const std::string bucket = unique_bucket("metrics");
    const auto dir = make_temp_dir("metrics");
    create_bucket_now(shared_server(), bucket);
    tcp_proxy proxy(shared_server().endpoint_url());
    daemon_options o{bucket, "manifest.json", dir / "d"};
    o.endpoint = proxy.url();
    o.daemon_config = {"metrics_listen = 127.0.0.1:0", "health_max_sync_age = 5"};
    // A second store on the same manifest: it reads the entries the first one writes.
    o.store_config = {"",
                      "[store \"reader\"]",
                      "endpoint = " + proxy.url(),
                      "region = " + shared_server().region(),
                      "bucket = " + bucket,
                      "manifest = manifest.json",
                      "poll_interval_ms = 100"};
    daemon_process d(shared_server(), o);
    d.start();
    const auto port = metrics_port(d);
    auto c = connect_to(d);
    call(c, "flush", R"({"await":"initial","store":"reader"})");

    const auto before = http_request(port, "GET", "/metrics");
    REQUIRE(before.status == 200);
    check_every_family(before.body);
    CHECK(sample(before.body, "mps3d_store_online{store=\"default\"}") == 1);
    CHECK(sample(before.body, "mps3d_store_online{store=\"reader\"}") == 1);

    // A run of writes, each in the bucket before it is answered; a subscription; reads.
    call(c, "subscribe", R"({"prefix":"m/"})");
    for (int i = 0; i < 5; ++i) {
        call(c, "put",
             R"({"key":"m/)" + std::to_string(i) + R"(","value":)" + std::to_string(i) +
                 R"(,"await":"remote"})");
    }
    call(c, "get", R"({"key":"m/0"})");
    // The reader has applied them all (it read the entries).
    REQUIRE(wait_until(
        [&] {
            auto got = call(c, "get", R"({"key":"m/4","store":"reader"})");
            return got["found"].GetBool();
        },
        30s));

    const auto after = http_request(port, "GET", "/metrics");
    REQUIRE(after.status == 200);
    check_every_family(after.body);
    const auto moved = [&](const std::string& series) {
        CAPTURE(series);
        CHECK(sample(after.body, series) > sample(before.body, series));
    };
    moved("mps3d_store_entries_written_total{store=\"default\"}");
    moved("mps3d_store_entries_read_total{store=\"reader\"}");
    moved("mps3d_store_polls_total{store=\"default\"}");
    moved("mps3d_store_polls_total{store=\"reader\"}");
    moved("mps3d_s3_requests_total{store=\"default\",kind=\"PUT\",outcome=\"ok\"");
    moved("mps3d_s3_requests_total{store=\"reader\",kind=\"GET\",outcome=\"ok\"");
    moved("mps3d_s3_request_duration_seconds_count{store=\"default\",kind=\"PUT\"");
    moved("mps3d_s3_sent_bytes_total{store=\"default\"}");
    moved("mps3d_s3_received_bytes_total{store=\"reader\"}");
    moved("mps3d_rpc_requests_total{method=\"put\",code=\"0\"}");
    moved("mps3d_rpc_request_duration_seconds_count{method=\"put\"}");
    CHECK(sample(after.body, "mps3d_store_subscriptions{store=\"default\"}") == 1);
    CHECK(sample(after.body, "mps3d_connections") >= 1);
    CHECK(sample(after.body, "mps3d_store_queued_writes{store=\"default\"}") == 0);
    CHECK(sample(after.body, "mps3d_store_last_sync_age_seconds{store=\"default\"}") < 5);
    CHECK(sample(after.body, "mps3d_store_healthy{store=\"default\"}") == 1);
    CHECK(sample(after.body, "mps3d_store_clock_offset_seconds{store=\"default\"}") != -1);
    CHECK(sample(after.body,
                 "mps3d_s3_request_duration_seconds_bucket{store=\"default\","
                 "kind=\"PUT\",le=\"+Inf\"}") ==
          sample(after.body,
                 "mps3d_s3_request_duration_seconds_count{store=\"default\",kind=\"PUT\"}"));

    // Only /metrics, only GET.
    CHECK(http_request(port, "GET", "/").status == 404);
    CHECK(http_request(port, "POST", "/metrics").status == 405);

    // The same text over the socket.
    const auto printed = d.ctl({"metrics"});
    CHECK(printed.exit_code == 0);
    check_every_family(printed.out);

    const auto listed = d.ctl({"status", "--all"});
    CHECK(listed.exit_code == 0);
    CHECK(listed.out.find("default") != std::string::npos);
    CHECK(listed.out.find("reader") != std::string::npos);

    const auto healthy = d.ctl({"health"});
    CHECK_MESSAGE(healthy.exit_code == 0, healthy.out, healthy.err);

    // The bucket unreachable: once each store's last sync is older than 5 s, health says so
    // (exit 1), and the failed requests are counted. Unhealthy stays so while the bucket is cut.
    proxy.cut();
    REQUIRE(wait_until([&] { return none_healthy(c); }, 60s));
    const auto sick = d.ctl({"health"});
    CHECK(sick.exit_code == 1);
    CHECK(sick.out.find("unhealthy: last successful sync") != std::string::npos);
    const auto cut_off = http_request(port, "GET", "/metrics");
    CHECK(sample(cut_off.body,
                 "mps3d_s3_requests_total{store=\"default\",kind=\"HEAD\","
                 "outcome=\"network_error\"") > 0);
    CHECK(sample(cut_off.body, "mps3d_store_healthy{store=\"default\"}") == 0);

    // Back: a flush wakes each store's loop from its backoff; health is 0 again.
    proxy.restore();
    call(c, "flush", R"({"timeoutMs":60000})");
    call(c, "flush", R"({"timeoutMs":60000,"store":"reader"})");
    REQUIRE(wait_until([&] { return all_healthy(c); }, 60s));
    const auto recovered = d.ctl({"health"});
    CHECK_MESSAGE(recovered.exit_code == 0, recovered.out, recovered.err);

    CHECK(d.stop() == 0);
    std::filesystem::remove_all(dir);
}
