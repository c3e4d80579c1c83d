// The fault-injecting proxy's schedule (tests/support/fault_plan.hpp): which request gets which
// fault. Pure; the proxy that applies the faults is exercised by the daemon fault tests.
#include "fault_plan.hpp"

#include <doctest/doctest.h>

#include <vector>

using namespace mps3::test;

TEST_CASE("fault plan: requests are classified by method and query") {
    CHECK(classify_request("GET", "/b?list-type=2&prefix=M%40") == request_kind::list);
    CHECK(classify_request("GET", "/b?prefix=x&list-type=2") == request_kind::list);
    CHECK(classify_request("GET", "/b/key?x-list-type=2") == request_kind::get);
    CHECK(classify_request("GET", "/b/manifest.json%40abc") == request_kind::get);
    CHECK(classify_request("PUT", "/b/k") == request_kind::put);
    CHECK(classify_request("DELETE", "/b/k") == request_kind::del);
    CHECK(classify_request("HEAD", "/b") == request_kind::head);
    CHECK(classify_request("POST", "/b?delete") == request_kind::other);
}

TEST_CASE("fault plan: bursts of a kind come first, in order, then bursts of any kind") {
    fault_plan plan(1);
    plan.burst(request_kind::put, http_fault::slow_down_503, 2);
    plan.burst(request_kind::put, http_fault::reset_mid_response, 1);
    plan.burst(request_kind::any, http_fault::never_answer, 1);
    CHECK(plan.next(request_kind::list) == http_fault::never_answer);  // any's burst
    CHECK(plan.next(request_kind::list) == http_fault::none);
    CHECK(plan.next(request_kind::put) == http_fault::slow_down_503);
    CHECK(plan.next(request_kind::put) == http_fault::slow_down_503);
    CHECK(plan.next(request_kind::put) == http_fault::reset_mid_response);
    CHECK(plan.next(request_kind::put) == http_fault::none);
    CHECK(plan.injected() == 4);
    CHECK(plan.injected(http_fault::slow_down_503) == 2);
    CHECK(plan.summary() == "503 SlowDown x2, reset mid-response x1, never answered x1");
}

TEST_CASE("fault plan: a random rate hits about that share of its kind, the same for a seed") {
    const auto run = [](std::uint64_t seed) {
        fault_plan plan(seed);
        plan.set_random(0.3, {http_fault::stall, http_fault::truncate_body}, request_kind::get);
        std::vector<http_fault> got;
        for (int i = 0; i < 2000; ++i) {
            got.push_back(plan.next(request_kind::get));
            CHECK(plan.next(request_kind::put) == http_fault::none);  // another kind: never
        }
        return got;
    };
    const auto a = run(7);
    CHECK(a == run(7));
    CHECK(a != run(8));
    std::size_t stalls = 0, truncations = 0;
    for (const auto f : a) {
        stalls += f == http_fault::stall ? 1 : 0;
        truncations += f == http_fault::truncate_body ? 1 : 0;
    }
    // 600 expected; 4 standard deviations (about 20 each) either way.
    CHECK(stalls + truncations > 520);
    CHECK(stalls + truncations < 680);
    CHECK(stalls > 200);
    CHECK(truncations > 200);
}

TEST_CASE("fault plan: clear drops the bursts left and the rate") {
    fault_plan plan(3);
    plan.burst(request_kind::any, http_fault::internal_error_500, 5);
    plan.set_random(1.0, {http_fault::slow_down_503});
    CHECK(plan.next(request_kind::get) == http_fault::internal_error_500);
    plan.clear();
    for (int i = 0; i < 10; ++i) {
        CHECK(plan.next(request_kind::get) == http_fault::none);
    }
    CHECK(plan.injected() == 1);
}
