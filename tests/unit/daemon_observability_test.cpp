// mps3d's metrics and health settings, sans-io: metrics_listen parsed and refused beyond
// loopback unless allowed, health_max_sync_age, and the health rule (`mps3ctl health`).
#include "config.hpp"
#include "metrics/listen_address.hpp"
#include "store_health.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace mps3;
using namespace mps3::daemon;
using namespace std::chrono_literals;

namespace {

daemon_settings with(const std::string& daemon_section) {
    daemon_settings s;
    REQUIRE(
        apply_config_text(s, "[daemon]\n" + daemon_section + "\n[store \"a\"]\nbucket = bucket-a\n")
            .has_value());
    return s;
}

std::string refusal(const std::string& daemon_section) {
    daemon_settings s;
    auto applied = apply_config_text(
        s, "[daemon]\n" + daemon_section + "\n[store \"a\"]\nbucket = bucket-a\n");
    if (applied) {
        applied = finalize(s);
    }
    REQUIRE_FALSE(applied.has_value());
    return applied.err().message;
}

}  // namespace

TEST_CASE("metrics listen address: host:port, IPv6 in brackets, loopback told apart") {
    auto v4 = metrics::parse_listen_address("127.0.0.1:9464");
    REQUIRE(v4);
    CHECK(v4->host == "127.0.0.1");
    CHECK(v4->port == 9464);
    CHECK(v4->loopback);
    auto v6 = metrics::parse_listen_address("[::1]:0");
    REQUIRE(v6);
    CHECK(v6->host == "::1");
    CHECK(v6->loopback);
    CHECK(v6->to_string() == "[::1]:0");
    auto local = metrics::parse_listen_address("localhost:9464");
    REQUIRE(local);
    CHECK(local->host == "127.0.0.1");
    auto anywhere = metrics::parse_listen_address("0.0.0.0:9464");
    REQUIRE(anywhere);
    CHECK_FALSE(anywhere->loopback);
    for (const char* bad : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "::1:9464",
                            "example.com:9464", ":9464", "127.0.0.1:9x"}) {
        CAPTURE(bad);
        auto parsed = metrics::parse_listen_address(bad);
        CHECK_FALSE(parsed.has_value());
    }
}

TEST_CASE("daemon config: metrics_listen, metrics_allow_remote, health_max_sync_age") {
    const auto defaults = with("");
    CHECK(defaults.observability.metrics_listen.empty());  // off by default
    CHECK(defaults.observability.health_max_sync_age == 120s);

    auto s = with("metrics_listen = [::1]:9464\nhealth_max_sync_age = 30");
    CHECK(s.observability.metrics_listen == "[::1]:9464");
    CHECK(s.observability.health_max_sync_age == 30s);
    CHECK(finalize(s).has_value());

    CHECK(refusal("metrics_listen = 9464").find("line 2: metrics_listen: expected HOST:PORT") !=
          std::string::npos);
    CHECK(refusal("health_max_sync_age = 0").find("line 2: health_max_sync_age") !=
          std::string::npos);
    CHECK(refusal("metrics_allow_remote = maybe").find("expected true or false") !=
          std::string::npos);
    CHECK(refusal("metrics_listen = 0.0.0.0:9464").find("metrics_allow_remote = true") !=
          std::string::npos);
    auto remote = with("metrics_listen = 0.0.0.0:9464\nmetrics_allow_remote = true");
    CHECK(finalize(remote).has_value());
}

TEST_CASE("store health: synced recently and no persistent error") {
    const auto started = std::chrono::system_clock::time_point(std::chrono::hours(1000));
    const auto now = started + 10min;
    store_status st;
    st.online = true;

    SUBCASE("never synced: the age counts from the start, so a fresh daemon has time") {
        auto early = judge_store_health(st, started + 30s, started, 120s);
        CHECK(early.healthy);
        CHECK(early.sync_age == 30s);
        auto late = judge_store_health(st, now, started, 120s);
        CHECK_FALSE(late.healthy);
        CHECK(late.problem == "no successful sync since mps3d started 600 s ago (allowed: 120 s)");
    }
    SUBCASE("a recent sync is healthy, an old one is not; why it is old is said") {
        st.last_sync = now - 5s;
        CHECK(judge_store_health(st, now, started, 120s).healthy);
        st.last_sync = now - 200s;
        st.error_kind = sync_error_kind::transient;
        st.last_error = "network: connection refused";
        st.online = false;
        auto old = judge_store_health(st, now, started, 120s);
        CHECK_FALSE(old.healthy);
        CHECK(old.sync_age == 200s);
        CHECK(old.problem ==
              "last successful sync 200 s ago (allowed: 120 s); the store is offline; failing: "
              "network: connection refused");
    }
    SUBCASE("a persistent error is unhealthy at once") {
        st.last_sync = now - 1s;
        st.error_kind = sync_error_kind::persistent;
        st.last_error = "not found: HTTP 404 NoSuchBucket";
        auto v = judge_store_health(st, now, started, 120s);
        CHECK_FALSE(v.healthy);
        CHECK(v.problem ==
              "persistent sync error (someone must act): not found: HTTP 404 "
              "NoSuchBucket");
    }
    SUBCASE("a transient error within the age is still healthy") {
        st.last_sync = now - 3s;
        st.error_kind = sync_error_kind::transient;
        CHECK(judge_store_health(st, now, started, 120s).healthy);
    }
}
