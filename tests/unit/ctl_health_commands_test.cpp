// mps3ctl metrics, health and status --all, sans-io: the requests sent, the output, the exit
// codes (health: 0 healthy, 1 with the reasons), and status --all walking every store.
#include "ctl/cli.hpp"
#include "ctl/commands.hpp"
#include "ctl/exit_codes.hpp"
#include "ctl_test_helpers.hpp"

#include "json/document.hpp"

#include <doctest/doctest.h>

#include <initializer_list>
#include <sstream>
#include <string>

using namespace mps3;
using namespace mps3::ctl;
using mps3::ctl::test::parsed;
using mps3::ctl::test::planned;

namespace {

ipc::rpc_response ok(std::string_view result) {
    ipc::rpc_response r;
    r.id = ipc::rpc_id::from_int(1);
    auto doc = json::parse(result);
    REQUIRE(doc.has_value());
    r.result = std::move(doc).value();
    return r;
}

}  // namespace

TEST_CASE("ctl metrics: asks `metrics`, prints the text as it came") {
    auto talk = planned({"metrics"});
    const auto req = talk->start();
    CHECK(req.method == "metrics");
    CHECK(req.params_json == "{}");
    const auto s = talk->on_response(ok(R"("# HELP a A\n# TYPE a gauge\na 1\n")"));
    CHECK(s.out == "# HELP a A\n# TYPE a gauge\na 1\n");
    CHECK(s.exit_code == exit_ok);
    CHECK(talk->on_response(ok("{}")).exit_code == exit_unreachable);  // not a string
    CHECK_FALSE(plan(parsed({"metrics", "--store", "a"})).has_value());
}

TEST_CASE("ctl health: 0 when every store is healthy, 1 with each problem otherwise") {
    auto talk = planned({"health"});
    CHECK(talk->start().method == "stores");
    CHECK(talk->start().params_json == "{}");
    CHECK(planned({"health", "--max-age", "30"})->start().params_json ==
          R"({"maxSyncAgeMs":30000})");

    auto healthy =
        talk->on_response(ok(R"({"stores":[{"name":"a","healthy":true,"problem":""},)"
                             R"({"name":"b","healthy":true,"problem":""}],"healthy":true})"));
    CHECK(healthy.exit_code == exit_ok);
    CHECK(healthy.out == "store \"a\": healthy\nstore \"b\": healthy\n");

    auto sick =
        planned({"health"})
            ->on_response(ok(
                R"x({"stores":[{"name":"a","healthy":true,"problem":""},)x"
                R"x({"name":"b","healthy":false,"problem":"last sync 200 s ago (allowed: 120 s)"}]})x"));
    CHECK(sick.exit_code == exit_daemon_error);
    CHECK(sick.out ==
          "store \"a\": healthy\nstore \"b\": unhealthy: last sync 200 s ago (allowed: 120 s)\n");

    CHECK(planned({"health"})->on_response(ok(R"({"stores":[{"name":"a"}]})")).exit_code ==
          exit_unreachable);  // an answer without 'healthy' is not one mps3ctl can judge

    std::ostringstream out;
    std::ostringstream err;
    CHECK(parse_command_line({"health", "--max-age", "0"}, out, err).exit_code == exit_usage);
}

TEST_CASE("ctl status --all: `stores`, then each store's status") {
    auto talk = planned({"status", "--all"});
    CHECK(talk->start().method == "stores");
    auto listed = talk->on_response(ok(R"({"stores":[{"name":"a"},{"name":"b"}]})"));
    REQUIRE(listed.next.has_value());
    CHECK(listed.next->method == "status");
    CHECK(listed.next->params_json == R"({"store":"a"})");
    CHECK(listed.out.empty());
    auto first = talk->on_response(ok(R"({"store":"a","online":true})"));
    REQUIRE(first.next.has_value());
    CHECK(first.next->params_json == R"({"store":"b"})");
    CHECK(first.out.find("a") != std::string::npos);
    CHECK_FALSE(first.exit_code.has_value());
    auto second = talk->on_response(ok(R"({"store":"b","online":false})"));
    CHECK(second.out.starts_with("\n"));  // a blank line between the tables
    CHECK(second.exit_code == exit_ok);
    CHECK_FALSE(second.next.has_value());

    auto as_json = planned({"status", "--all", "--json"});
    (void)as_json->start();
    (void)as_json->on_response(ok(R"({"stores":[{"name":"a"}]})"));
    auto line = as_json->on_response(ok(R"({"store":"a","online":true})"));
    CHECK(line.out == "{\"store\":\"a\",\"online\":true}\n");
    CHECK(line.exit_code == exit_ok);

    CHECK_FALSE(plan(parsed({"status", "--all", "--store", "a"})).has_value());
}
