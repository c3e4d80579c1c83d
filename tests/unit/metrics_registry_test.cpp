// The metrics core, sans-io: Prometheus text format 0.0.4 exactly (HELP/TYPE lines, escaping,
// number forms, histogram buckets with le and +Inf, _sum and _count) and the histogram's
// bucket arithmetic.
#include "metrics/exposition.hpp"
#include "metrics/histogram.hpp"
#include "metrics/registry.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

using namespace mps3::metrics;

TEST_CASE("metrics exposition: numbers in the forms Prometheus reads") {
    CHECK(format_value(0) == "0");
    CHECK(format_value(42) == "42");
    CHECK(format_value(-3) == "-3");
    CHECK(format_value(1e6) == "1000000");  // whole numbers never as 1e+06
    CHECK(format_value(0.0005) == "0.0005");
    CHECK(format_value(2.5) == "2.5");
    CHECK(format_value(1e20) == "1e+20");  // beyond 2^53: the shortest exact form
    CHECK(format_value(std::numeric_limits<double>::infinity()) == "+Inf");
    CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
    CHECK(format_value(std::nan("")) == "NaN");
    CHECK(std::stod(format_value(0.1 + 0.2)) == 0.1 + 0.2);  // round-trips
}

TEST_CASE("metrics exposition: escaping of label values and help text") {
    CHECK(escape_label_value(R"(a"b\c)") == R"(a\"b\\c)");
    CHECK(escape_label_value("line\nbreak") == "line\\nbreak");
    CHECK(escape_label_value("caf\xC3\xA9") == "caf\xC3\xA9");    // UTF-8 as is
    CHECK(escape_help("say \"hi\"\\\n") == "say \"hi\"\\\\\\n");  // quotes stay in HELP
}

TEST_CASE("metrics exposition: valid names") {
    CHECK(valid_metric_name("mps3d_store_queued_writes"));
    CHECK(valid_metric_name("a:b_c9"));
    CHECK_FALSE(valid_metric_name(""));
    CHECK_FALSE(valid_metric_name("9lives"));
    CHECK_FALSE(valid_metric_name("with-dash"));
    CHECK(valid_label_name("store"));
    CHECK_FALSE(valid_label_name("__reserved"));
    CHECK_FALSE(valid_label_name("a:b"));
}

TEST_CASE("metrics histogram: an observation counts in its bucket and every one above") {
    histogram h({0.1, 1, 10});
    h.observe(0.05);          // <= 0.1
    h.observe(0.1);           // on a bound: that bound's bucket (le is "less or equal")
    h.observe(0.5);           // <= 1
    h.observe(100);           // above every bound: +Inf only
    h.observe(std::nan(""));  // ignored
    CHECK(h.cumulative_count(0) == 2);
    CHECK(h.cumulative_count(1) == 3);
    CHECK(h.cumulative_count(2) == 3);
    CHECK(h.cumulative_count(3) == 4);  // +Inf
    CHECK(h.count() == 4);
    CHECK(h.sum() == doctest::Approx(100.65));
    CHECK_THROWS_AS(histogram({1, 1}), std::invalid_argument);
    CHECK_THROWS_AS(histogram({2, 1}), std::invalid_argument);
    CHECK_THROWS_AS(histogram({1, std::numeric_limits<double>::infinity()}), std::invalid_argument);
    const auto& latency = latency_buckets();
    CHECK(latency.front() == 0.0005);
    CHECK(latency.back() == 30);
}

TEST_CASE("metrics registry: the exact text of every kind of family") {
    registry r;
    auto& requests = r.add_counter("app_requests_total", "Requests by \"kind\"", {"kind", "code"});
    auto& up = r.add_gauge("app_up", "1 when up\nsecond line");
    auto& latency = r.add_histogram("app_latency_seconds", "Latency", {"kind"}, {0.5, 1});
    auto& empty = r.add_gauge("app_nothing_yet", "No series until labelled", {"store"});
    (void)empty;
    requests.labels({"PUT", "0"}).inc();
    requests.labels({"GET", "0"}).inc(2);
    requests.labels({"PUT", "0"}).inc();
    requests.labels({"we\"ird\\", "-1"}).inc();
    up.labels({}).set(1);
    latency.labels({"GET"}).observe(0.25);
    latency.labels({"GET"}).observe(0.75);
    latency.labels({"GET"}).observe(2);
    CHECK(r.render() ==
          "# HELP app_requests_total Requests by \"kind\"\n"
          "# TYPE app_requests_total counter\n"
          "app_requests_total{kind=\"GET\",code=\"0\"} 2\n"
          "app_requests_total{kind=\"PUT\",code=\"0\"} 2\n"
          "app_requests_total{kind=\"we\\\"ird\\\\\",code=\"-1\"} 1\n"
          "# HELP app_up 1 when up\\nsecond line\n"
          "# TYPE app_up gauge\n"
          "app_up 1\n"
          "# HELP app_latency_seconds Latency\n"
          "# TYPE app_latency_seconds histogram\n"
          "app_latency_seconds_bucket{kind=\"GET\",le=\"0.5\"} 1\n"
          "app_latency_seconds_bucket{kind=\"GET\",le=\"1\"} 2\n"
          "app_latency_seconds_bucket{kind=\"GET\",le=\"+Inf\"} 3\n"
          "app_latency_seconds_sum{kind=\"GET\"} 3\n"
          "app_latency_seconds_count{kind=\"GET\"} 3\n"
          "# HELP app_nothing_yet No series until labelled\n"
          "# TYPE app_nothing_yet gauge\n");
}

TEST_CASE("metrics registry: a histogram without labels, collectors, and refused mistakes") {
    registry r;
    auto& h = r.add_histogram("h_seconds", "H", {}, {1});
    auto& sampled = r.add_counter("sampled_total", "Kept elsewhere", {"store"});
    int calls = 0;
    r.on_collect([&] {
        ++calls;
        sampled.labels({"a"}).set(7);
    });
    h.labels({}).observe(0.5);
    CHECK(r.render() ==
          "# HELP h_seconds H\n"
          "# TYPE h_seconds histogram\n"
          "h_seconds_bucket{le=\"1\"} 1\n"
          "h_seconds_bucket{le=\"+Inf\"} 1\n"
          "h_seconds_sum 0.5\n"
          "h_seconds_count 1\n"
          "# HELP sampled_total Kept elsewhere\n"
          "# TYPE sampled_total counter\n"
          "sampled_total{store=\"a\"} 7\n");
    CHECK(calls == 1);
    CHECK_THROWS_AS(r.add_gauge("h_seconds", "again"), std::invalid_argument);
    CHECK_THROWS_AS(r.add_gauge("bad-name", "x"), std::invalid_argument);
    CHECK_THROWS_AS(r.add_gauge("ok_name", "x", {"__bad"}), std::invalid_argument);
    CHECK_THROWS_AS(r.add_histogram("h2", "x", {"le"}, {1}), std::invalid_argument);
    CHECK_THROWS_AS(sampled.labels({"a", "b"}), std::invalid_argument);
}
