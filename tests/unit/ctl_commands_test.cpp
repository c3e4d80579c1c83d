// mps3ctl's command layer, sans-io: the command line parsed into exact request params, answers
// turned into output and exit codes, the list pager following cursors, the watcher's
// lagged -> resubscribe-with-since logic, and where the socket is looked for.
#include "build_info.hpp"
#include "ctl/answers.hpp"
#include "ctl/cli.hpp"
#include "ctl/commands.hpp"
#include "ctl/exit_codes.hpp"
#include "ctl/list_pager.hpp"
#include "ctl/socket_path.hpp"
#include "ctl/watcher.hpp"
#include "ctl_test_helpers.hpp"

#include "json/document.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

using namespace mps3;
using namespace mps3::ctl;
using mps3::ctl::test::parsed;
using mps3::ctl::test::planned;
using std::chrono::milliseconds;

namespace {

rapidjson::Document doc(std::string_view json) {
    auto parsed = json::parse(json);
    REQUIRE(parsed.has_value());
    return std::move(parsed).value();
}

std::string plan_error(std::initializer_list<std::string> args) {
    auto talk = plan(parsed(args));
    REQUIRE_FALSE(talk.has_value());
    CHECK(talk.err().code == errc::invalid_argument);  // exit code 2 (app.cpp)
    return talk.err().message;
}

void check_request(const request& r, std::string_view method, std::string_view params) {
    CHECK(r.method == method);
    CHECK(r.params_json == params);
}

void check_first(std::initializer_list<std::string> args, std::string_view method,
                 std::string_view params) {
    check_request(planned(args)->start(), method, params);
}

ipc::rpc_response ok(std::string_view result) {
    ipc::rpc_response r;
    r.id = ipc::rpc_id::from_int(1);
    r.result = doc(result);
    return r;
}

ipc::rpc_response failed(int code, std::string message,
                         std::optional<std::string> data = std::nullopt) {
    ipc::rpc_response r;
    r.id = ipc::rpc_id::from_int(1);
    r.error = ipc::rpc_error(code, std::move(message), std::move(data));
    return r;
}

ipc::rpc_notification note(std::string method, std::string_view params) {
    ipc::rpc_notification n;
    n.method = std::move(method);
    n.params = doc(params);
    return n;
}

/// The step a one-request command takes on this answer.
step answered(std::initializer_list<std::string> args, const ipc::rpc_response& response) {
    auto talk = planned(args);
    (void)talk->start();
    return talk->on_response(response);
}

}  // namespace

TEST_CASE("ctl commands: put sends the key and the parsed value") {
    check_first({"put", "greeting", "\"hi\""}, "put", R"({"key":"greeting","value":"hi"})");
    check_first({"put", "n", "-5"}, "put", R"({"key":"n","value":-5})");
    check_first({"put", "doc", R"( {"a": [1, true, null]} )"}, "put",
                R"({"key":"doc","value":{"a":[1,true,null]}})");
    check_first({"--store", "notes", "put", "k", "null"}, "put",
                R"({"key":"k","value":null,"store":"notes"})");
    // Global options after the command too.
    check_first({"put", "k", "1", "--store", "notes"}, "put",
                R"({"key":"k","value":1,"store":"notes"})");
    check_first({"put", "--await", "local", "k", "1"}, "put", R"({"key":"k","value":1})");
}

TEST_CASE("ctl commands: --await remote sends await and --timeout as timeoutMs; waits longer") {
    auto remote = planned({"put", "--await", "remote", "k", "1"})->start();
    check_request(remote, "put", R"({"key":"k","value":1,"await":"remote"})");
    CHECK(remote.wait == milliseconds(30'000) + daemon_deadline_grace);

    auto bounded = planned({"--timeout", "2.5", "put", "--await", "remote", "k", "1"})->start();
    check_request(bounded, "put", R"({"key":"k","value":1,"await":"remote","timeoutMs":2500})");
    CHECK(bounded.wait == milliseconds(2'500) + daemon_deadline_grace);

    // Locally awaited writes have no deadline inside mps3d: --timeout is mps3ctl's wait only.
    auto local = planned({"--timeout", "2", "put", "k", "1"})->start();
    check_request(local, "put", R"({"key":"k","value":1})");
    CHECK(local.wait == milliseconds(2'000));
    CHECK(planned({"put", "k", "1"})->start().wait == default_wait);
}

TEST_CASE("ctl commands: a value that is not JSON is a usage error, with a hint for strings") {
    const auto message = plan_error({"put", "greeting", "hi"});
    CHECK(message.find("the value for \"greeting\" is not JSON") == 0);
    CHECK(message.find("needs its quotes") != std::string::npos);
    // Bad JSON that looks like JSON gets no quoting hint.
    const auto broken = plan_error({"put", "k", "{\"a\":"});
    CHECK(broken.find("is not JSON") != std::string::npos);
    CHECK(broken.find("quotes") == std::string::npos);
    plan_error({"put", "k", "1 2"});             // trailing data
    plan_error({"put", "k", ""});                // nothing
    plan_error({"put", "k", "NaN"});             // not JSON
    plan_error({"put", "k\xff", "1"});           // a key that is not UTF-8
    plan_error({"--store", "s\xfe", "status"});  // a store name that is not UTF-8
}

TEST_CASE("ctl commands: put-all splits at the first '=' and keeps command-line order") {
    check_first({"put-all", "a=1", R"(eq={"s":"x=y"})", "b=\"=\""}, "putAll",
                R"({"ops":[{"key":"a","value":1},{"key":"eq","value":{"s":"x=y"}},)"
                R"({"key":"b","value":"="}]})");
    check_first({"put-all", "-d", "x", "a=1", "--delete", "y", "b=2", "-d", "z"}, "putAll",
                R"({"ops":[{"key":"x","delete":true},{"key":"a","value":1},)"
                R"({"key":"y","delete":true},{"key":"b","value":2},{"key":"z","delete":true}]})");
    check_first({"put-all", "-d", "gone", "--await", "remote", "--store", "s"}, "putAll",
                R"({"ops":[{"key":"gone","delete":true}],"await":"remote","store":"s"})");
    // The empty key is mps3d's to refuse (-32002), not a usage error.
    check_first({"put-all", "=1"}, "putAll", R"({"ops":[{"key":"","value":1}]})");

    CHECK(plan_error({"put-all", "novalue"}).find("has no '='") != std::string::npos);
    CHECK(plan_error({"put-all", "k=nope"}).find("the value for \"k\"") == 0);
    CHECK(plan_error({"put-all"}).find("at least one") != std::string::npos);
}

TEST_CASE("ctl commands: the other commands' exact params") {
    check_first({"delete", "a/b"}, "delete", R"({"key":"a/b"})");
    check_first({"delete", "--await", "remote", "--timeout", "1", "k"}, "delete",
                R"({"key":"k","await":"remote","timeoutMs":1000})");
    check_first({"get", "users/ada"}, "get", R"({"key":"users/ada"})");
    check_first({"get", "--", "-dash"}, "get", R"({"key":"-dash"})");
    check_first({"get-all", "a", "b\tc", "a"}, "getAll", R"({"keys":["a","b\tc","a"]})");
    check_first({"list"}, "list", R"({"limit":100})");
    check_first({"list", "users/", "--store", "s"}, "list",
                R"({"prefix":"users/","limit":100,"store":"s"})");
    check_first({"list", "--limit", "7"}, "list", R"({"limit":7})");
    check_first({"status"}, "status", "{}");
    check_first({"status", "--json", "--store", "s"}, "status", R"({"store":"s"})");
    check_first({"online"}, "setOnline", R"({"online":true})");
    check_first({"offline"}, "setOnline", R"({"online":false})");
    check_first({"watch", "k"}, "subscribe", R"({"key":"k"})");
    check_first({"watch", "--prefix", "users/", "--since", "41"}, "subscribe",
                R"({"prefix":"users/","since":41})");
    check_first({"watch", "--prefix", ""}, "subscribe", R"({"prefix":""})");
    check_first({"watch", "k", "--since", "0", "--store", "s"}, "subscribe",
                R"({"key":"k","since":0,"store":"s"})");

    auto flush = planned({"flush"})->start();
    check_request(flush, "flush", "{}");
    CHECK(flush.wait == milliseconds(30'000) + daemon_deadline_grace);
    auto bounded = planned({"flush", "--timeout", "0.25"})->start();
    check_request(bounded, "flush", R"({"timeoutMs":250})");
    auto initial = planned({"flush", "--initial"})->start();
    check_request(initial, "flush", R"({"await":"initial"})");
    CHECK(bounded.wait == milliseconds(250) + daemon_deadline_grace);
    CHECK(planned({"--timeout", "3", "get", "k"})->start().wait == milliseconds(3'000));
}

TEST_CASE("ctl commands: argument errors are usage errors (exit 2), --help is not") {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"nosuchcommand"},
             {"get"},
             {"get", "a", "b"},
             {"put", "k"},
             {"get-all"},
             {"--timeout", "0", "status"},
             {"--timeout", "soon", "status"},
             {"--bogus", "status"},
             {"status", "--bogus"},
             {"put", "--await", "later", "k", "1"},
             {"list", "--limit", "-1"},
             {"list", "--limit", "0"},
             {"watch", "k", "--count", "0"},
             {"watch", "k", "--since", "-1"},
             {"watch", "--count", "x", "k"},
             {"--socket", "/s", "--system", "status"},
             {"status", "online"},
         }) {
        CAPTURE(args.size());
        CAPTURE(args.front());
        std::ostringstream out;
        std::ostringstream err;
        auto outcome = parse_command_line(args, out, err);
        CHECK_FALSE(outcome.inv.has_value());
        CHECK(outcome.exit_code == exit_usage);
        CHECK(err.str().find("mps3ctl: ") == 0);
    }
    std::ostringstream out;
    std::ostringstream err;
    auto none = parse_command_line({}, out, err);
    CHECK(none.exit_code == exit_usage);
    CHECK(err.str().find("Usage") != std::string::npos);

    // Errors the command layer finds.
    CHECK(plan_error({"watch"}).find("exactly one of KEY and --prefix") != std::string::npos);
    CHECK(plan_error({"watch", "k", "--prefix", "p"}).find("exactly one") != std::string::npos);
}

TEST_CASE("ctl commands: --help on every command, with the exit codes") {
    for (const char* command : {"put", "put-all", "delete", "get", "get-all", "list", "watch",
                                "status", "online", "offline", "flush", "version"}) {
        CAPTURE(command);
        std::ostringstream out;
        std::ostringstream err;
        auto outcome = parse_command_line({command, "--help"}, out, err);
        CHECK_FALSE(outcome.inv.has_value());
        CHECK(outcome.exit_code == exit_ok);
        CHECK(out.str().find(std::string("mps3ctl ") + command) != std::string::npos);
        CHECK(out.str().find("Exit codes:") != std::string::npos);
        CHECK(err.str().empty());
    }
    std::ostringstream out;
    std::ostringstream err;
    CHECK(parse_command_line({"--help"}, out, err).exit_code == exit_ok);
    CHECK(out.str().find("5  mps3d reported a timeout") != std::string::npos);
}

TEST_CASE("ctl commands: answers become output and exit codes") {
    auto put = answered({"put", "k", "1"}, ok(R"({"seq":42})"));
    CHECK(put.out == "{\"seq\":42}\n");
    CHECK(put.err.empty());
    CHECK(put.exit_code == exit_ok);

    auto got = answered({"get", "k"}, ok(R"({"found":true,"value":{"text":"two\nlines"}})"));
    CHECK(got.out == "{\"text\":\"two\\nlines\"}\n");  // one line whatever the value holds
    CHECK(got.exit_code == exit_ok);
    CHECK(answered({"get", "k"}, ok(R"({"found":true,"value":null})")).out == "null\n");

    auto absent = answered({"get", "a\nb"}, ok(R"({"found":false})"));
    CHECK(absent.out.empty());
    CHECK(absent.err == "mps3ctl: \"a\\nb\" is absent\n");
    CHECK(absent.exit_code == exit_absent);

    auto all =
        answered({"get-all", "a", "b"}, ok(R"({"entries":[{"key":"a","found":true,"value":[1]},)"
                                           R"({"key":"b","found":false}]})"));
    CHECK(all.out ==
          "{\"key\":\"a\",\"found\":true,\"value\":[1]}\n{\"key\":\"b\",\"found\":false}\n");
    CHECK(all.exit_code == exit_ok);

    auto online = answered({"online"}, ok(R"({"online":true})"));
    CHECK(online.out == "{\"online\":true}\n");
    auto flushed = answered({"flush"}, ok("{}"));
    CHECK(flushed.out.empty());  // nothing to say
    CHECK(flushed.exit_code == exit_ok);
}

TEST_CASE("ctl commands: answers missing what the protocol promises exit 4") {
    for (const char* result : {R"({})", R"({"found":"yes"})", R"([])", R"({"found":true})"}) {
        CAPTURE(result);
        auto s = answered({"get", "k"}, ok(result));
        CHECK(s.exit_code == exit_unreachable);
        CHECK(s.err.find("mps3d's answer to 'get' is not what the protocol says") !=
              std::string::npos);
    }
    CHECK(answered({"get-all", "k"}, ok(R"({"entries":{}})")).exit_code == exit_unreachable);
}

TEST_CASE("ctl commands: error answers: message and code, data, exit 1 or 5 for timeouts") {
    auto invalid = answered({"put", "", "1"}, failed(-32002, "Invalid key: the key is empty"));
    CHECK(invalid.out.empty());
    CHECK(invalid.err == "mps3ctl: Invalid key: the key is empty (code -32002)\n");
    CHECK(invalid.exit_code == exit_daemon_error);

    auto storage = answered({"flush"}, failed(-32006, "Storage error: access denied",
                                              R"({"httpStatus":403,"s3Code":"AccessDenied"})"));
    CHECK(storage.err ==
          "mps3ctl: Storage error: access denied (code -32006)\n"
          "mps3ctl: details: {\"httpStatus\":403,\"s3Code\":\"AccessDenied\"}\n");
    CHECK(storage.exit_code == exit_daemon_error);

    auto timeout =
        answered({"flush", "--timeout", "1"}, failed(-32004, "Timeout: the store is offline"));
    CHECK(timeout.err == "mps3ctl: Timeout: the store is offline (code -32004)\n");
    CHECK(timeout.exit_code == exit_daemon_timeout);

    CHECK(answered({"get", "k"}, failed(-32001, "Unknown store: 'x'")).exit_code ==
          exit_daemon_error);
    CHECK(answered({"status"}, failed(-32099, "from a newer mps3d")).exit_code ==
          exit_daemon_error);
}

TEST_CASE("ctl commands: version prints mps3ctl's version, then mps3d's and its protocol") {
    // No parameters, whatever --store says: the version is the daemon's.
    check_first({"version"}, "version", "{}");
    check_first({"--store", "notes", "version"}, "version", "{}");

    const std::string own = daemon::version_line("mps3ctl") + "\n";
    auto both =
        answered({"version"}, ok(R"({"version":"9.8.7","git":"v9.8.7-2-gabc","protocol":3})"));
    CHECK(both.out == own + "mps3d 9.8.7 (git v9.8.7-2-gabc), protocol 3\n");
    CHECK(both.exit_code == exit_ok);
    // A daemon built without git answers "git": null.
    auto released = answered({"version"}, ok(R"({"version":"1.0.0","git":null,"protocol":1})"));
    CHECK(released.out == own + "mps3d 1.0.0, protocol 1\n");

    // A result without what the protocol promises is a bad answer (exit 4), not a guess.
    CHECK(answered({"version"}, ok(R"({"protocol":1})")).exit_code == exit_unreachable);
    CHECK(answered({"version"}, ok(R"({"version":"1.0.0","protocol":"1"})")).exit_code ==
          exit_unreachable);
    CHECK(answered({"version"}, ok("[]")).exit_code == exit_unreachable);
    // An mps3d older than the method says so; the error is shown like any other.
    auto old_daemon = answered({"version"}, failed(-32601, "Method not found: 'version'"));
    CHECK(old_daemon.err == "mps3ctl: Method not found: 'version' (code -32601)\n");
    CHECK(old_daemon.exit_code == exit_daemon_error);
}

TEST_CASE("ctl commands: --version prints mps3ctl's version line and exits 0") {
    std::ostringstream out;
    std::ostringstream err;
    auto outcome = parse_command_line({"--version"}, out, err);
    CHECK_FALSE(outcome.inv.has_value());
    CHECK(outcome.exit_code == exit_ok);
    CHECK(out.str() == daemon::version_line("mps3ctl") + "\n");
    CHECK(err.str().empty());
}

TEST_CASE("ctl commands: status as a table, or the raw result with --json") {
    const char* result =
        R"({"store":"default","online":false,"queuedWrites":3,"oldestQueued":"2024-05-01T10:00:00Z",)"
        R"("lastSync":null,"clockOffsetMs":-12,"lastError":"","lastErrorKind":null,)"
        R"("failedAttempts":0,"failingSince":null,"nextAttempt":null,"entriesWritten":7,"lastSeq":42,)"
        R"("initialSyncDone":false,"versioning":true,"groupCommits":30,"groupCommittedWrites":41,)"
        R"("syncing":{"fetched":1200,"total":10000},"futureField":{"x":1}})";
    auto table = answered({"status"}, ok(result));
    CHECK(table.exit_code == exit_ok);
    CHECK(table.out ==
          "store              default\n"
          "online             no\n"
          "queued writes      3\n"
          "oldest queued      2024-05-01T10:00:00Z\n"
          "last sync          never\n"
          "clock offset       -12 ms\n"
          "last error         none\n"
          "error kind         none\n"
          "failed attempts    0\n"
          "failing since      -\n"
          "next attempt       -\n"
          "entries written    7\n"
          "last seq           42\n"
          "initial sync done  no\n"
          "versioning         yes\n"
          "group commits      30\n"
          "writes in them     41\n"
          "syncing            1200 of 10000 keys fetched\n"
          "futureField        {\"x\":1}\n");
    auto raw = answered({"status", "--json"}, ok(result));
    CHECK(raw.out == json_line(doc(result)));

    // Nothing queued, never synced.
    CHECK(status_table(doc(R"({"oldestQueued":null,"lastSync":null})")) ==
          "oldest queued  none\nlast sync      never\n");
    // A multi-line error stays on its row.
    CHECK(status_table(doc(R"({"lastError":"a\nb","online":true})")) ==
          "online      yes\nlast error  \"a\\nb\"\n");
    // Not syncing.
    CHECK(status_table(doc(R"({"syncing":null})")) == "syncing  no\n");
    // Failing with an error only the bucket's owner or the operator can fix.
    CHECK(status_table(
              doc(R"({"lastError":"not found: HTTP 404 NoSuchBucket","lastErrorKind":"persistent",)"
                  R"("failedAttempts":4,"failingSince":"2024-05-01T10:00:00.000Z",)"
                  R"("nextAttempt":"2024-05-01T10:00:09.000Z"})")) ==
          "last error       not found: HTTP 404 NoSuchBucket\n"
          "error kind       persistent (the bucket's owner or the operator must act; retried "
          "with backoff)\n"
          "failed attempts  4\n"
          "failing since    2024-05-01T10:00:00.000Z\n"
          "next attempt     2024-05-01T10:00:09.000Z\n");
}

TEST_CASE("ctl list pager: follows cursors to the end, one JSON line per entry") {
    list_pager pager({.prefix = "u/", .limit = std::nullopt, .store = "s", .page_size = 2});
    check_request(pager.start(), "list", R"({"prefix":"u/","limit":2,"store":"s"})");

    auto first = pager.on_response(ok(
        R"({"entries":[{"key":"u/a","value":1},{"key":"u/b\tc","value":"x\ny"}],"cursor":"c1"})"));
    CHECK(first.out ==
          "{\"key\":\"u/a\",\"value\":1}\n{\"key\":\"u/b\\tc\",\"value\":\"x\\ny\"}\n");
    CHECK_FALSE(first.exit_code);
    REQUIRE(first.next);
    check_request(*first.next, "list", R"({"prefix":"u/","limit":2,"cursor":"c1","store":"s"})");

    auto second = pager.on_response(ok(R"({"entries":[{"key":"u/d","value":{}}],"cursor":"c2"})"));
    CHECK(second.out == "{\"key\":\"u/d\",\"value\":{}}\n");
    REQUIRE(second.next);
    check_request(*second.next, "list", R"({"prefix":"u/","limit":2,"cursor":"c2","store":"s"})");

    auto last = pager.on_response(ok(R"({"entries":[{"key":"u/e","value":null}]})"));
    CHECK(last.out == "{\"key\":\"u/e\",\"value\":null}\n");
    CHECK(last.exit_code == exit_ok);
    CHECK_FALSE(last.next);
    CHECK(pager.printed() == 4);
}

TEST_CASE("ctl list pager: --limit counts across pages and stops early") {
    list_pager pager({.prefix = "", .limit = 3, .store = std::nullopt, .page_size = 2});
    check_request(pager.start(), "list", R"({"limit":2})");
    auto first = pager.on_response(
        ok(R"({"entries":[{"key":"a","value":1},{"key":"b","value":2}],"cursor":"b"})"));
    REQUIRE(first.next);
    check_request(*first.next, "list", R"({"limit":1,"cursor":"b"})");  // only 1 more wanted
    // A page longer than asked for is cut, and a cursor does not matter once the limit is met.
    auto second = pager.on_response(
        ok(R"({"entries":[{"key":"c","value":3},{"key":"d","value":4}],"cursor":"d"})"));
    CHECK(second.out == "{\"key\":\"c\",\"value\":3}\n");
    CHECK(second.exit_code == exit_ok);
    CHECK(pager.printed() == 3);

    // The empty store: one empty page.
    list_pager empty({});
    (void)empty.start();
    auto none = empty.on_response(ok(R"({"entries":[]})"));
    CHECK(none.out.empty());
    CHECK(none.exit_code == exit_ok);
}

TEST_CASE("ctl list pager: errors, bad pages and a cursor that repeats") {
    list_pager failing({});
    (void)failing.start();
    auto first = failing.on_response(ok(R"({"entries":[{"key":"a","value":1}],"cursor":"a"})"));
    REQUIRE(first.next);
    auto error = failing.on_response(failed(-32006, "Storage error: disk I/O error"));
    CHECK(error.exit_code == exit_daemon_error);
    CHECK(error.err == "mps3ctl: Storage error: disk I/O error (code -32006)\n");

    list_pager stuck({});
    (void)stuck.start();
    REQUIRE(stuck.on_response(ok(R"({"entries":[],"cursor":"same"})")).next);
    auto again = stuck.on_response(ok(R"({"entries":[],"cursor":"same"})"));
    CHECK(again.exit_code == exit_unreachable);
    CHECK(again.err.find("the same cursor came back twice") != std::string::npos);

    for (const char* bad : {R"({"cursor":"x"})", R"({"entries":[],"cursor":5})", R"(null)"}) {
        CAPTURE(bad);
        list_pager pager({});
        (void)pager.start();
        CHECK(pager.on_response(ok(bad)).exit_code == exit_unreachable);
    }
}

TEST_CASE("ctl watcher: prints changes without the subscription id, stops after --count") {
    watcher w({.key = std::nullopt, .prefix = "users/", .count = 2});
    check_request(w.start(), "subscribe", R"({"prefix":"users/"})");
    CHECK_FALSE(w.on_response(ok(R"({"subscription":7,"seq":40})")).exit_code);
    CHECK(w.seen() == 40u);

    auto first = w.on_notification(note(
        "changed",
        R"({"subscription":7,"key":"users/ada","value":{"n":1},"version":"v","origin":"remote","seq":41})"));
    CHECK(first.out ==
          "{\"key\":\"users/ada\",\"value\":{\"n\":1},\"version\":\"v\",\"origin\":\"remote\","
          "\"seq\":41}\n");
    CHECK_FALSE(first.exit_code);
    // Another subscription's notification and unknown notifications are not ours.
    CHECK(
        w.on_notification(note("changed", R"({"subscription":3,"key":"x","seq":42})")).out.empty());
    CHECK(w.on_notification(note("somethingNew", R"({"subscription":7})")).out.empty());
    auto second = w.on_notification(note(
        "changed",
        R"({"subscription":7,"key":"users/bob","deleted":true,"version":"","origin":"local","seq":43})"));
    CHECK(second.out ==
          "{\"key\":\"users/"
          "bob\",\"deleted\":true,\"version\":\"\",\"origin\":\"local\",\"seq\":43}\n");
    CHECK(second.exit_code == exit_ok);
    CHECK(w.printed() == 2);
}

TEST_CASE("ctl watcher: lagged resubscribes with since = the last change printed") {
    watcher w({.key = "k", .prefix = std::nullopt});
    (void)w.start();
    (void)w.on_response(ok(R"({"subscription":1,"seq":10})"));
    (void)w.on_notification(note("changed", R"({"subscription":1,"key":"k","value":1,"seq":11})"));
    (void)w.on_notification(note("changed", R"({"subscription":1,"key":"k","value":2,"seq":12})"));

    auto lagged = w.on_notification(note("lagged", R"({"subscription":1,"lastSeq":12})"));
    CHECK(lagged.out.empty());
    CHECK(lagged.err ==
          "mps3ctl: fell behind: mps3d dropped notifications after seq 12; resubscribing from "
          "there\n");
    CHECK_FALSE(lagged.exit_code);
    REQUIRE(lagged.next);
    check_request(*lagged.next, "subscribe", R"({"key":"k","since":12})");

    // The replay may start before the answer and overlap what was printed: printed once.
    CHECK(w.on_notification(note("changed", R"({"subscription":2,"key":"k","value":2,"seq":12})"))
              .out.empty());
    CHECK(w.on_notification(note("changed", R"({"subscription":2,"key":"k","value":3,"seq":13})"))
              .out == "{\"key\":\"k\",\"value\":3,\"seq\":13}\n");
    auto answer = w.on_response(ok(R"({"subscription":2,"seq":14})"));
    CHECK(answer.err.empty());
    CHECK_FALSE(answer.next);
    CHECK(w.seen() == 13u);  // a resubscribe's answer does not skip the replay
    CHECK(w.on_notification(note("changed", R"({"subscription":2,"key":"k","value":4,"seq":14})"))
              .out == "{\"key\":\"k\",\"value\":4,\"seq\":14}\n");
    // The old subscription is gone.
    CHECK(
        w.on_notification(note("changed", R"({"subscription":1,"key":"k","seq":15})")).out.empty());
    CHECK(w.on_notification(note("lagged", R"({"subscription":1,"lastSeq":11})")).err.empty());
}

TEST_CASE("ctl watcher: resumes from the lower of what was printed and what mps3d says") {
    watcher w({.key = "k", .prefix = std::nullopt, .since = 5});
    check_request(w.start(), "subscribe", R"({"key":"k","since":5})");
    (void)w.on_response(ok(R"({"subscription":1,"seq":100})"));
    CHECK(w.seen() == 5u);  // with --since the replay after 5 is still to come
    (void)w.on_notification(note("changed", R"({"subscription":1,"key":"k","value":1,"seq":6})"));
    // mps3d claims more was delivered than was printed: resume after what was printed.
    auto lagged = w.on_notification(note("lagged", R"({"subscription":1,"lastSeq":9})"));
    REQUIRE(lagged.next);
    check_request(*lagged.next, "subscribe", R"({"key":"k","since":6})");
}

TEST_CASE("ctl watcher: lagged before the subscribe answer resubscribes after it") {
    watcher w({.key = std::nullopt, .prefix = "p", .store = "s"});
    (void)w.start();
    // Changes (and an overflow) may come before the answer.
    auto early =
        w.on_notification(note("changed", R"({"subscription":4,"key":"p1","value":1,"seq":21})"));
    CHECK(early.out == "{\"key\":\"p1\",\"value\":1,\"seq\":21}\n");
    auto lagged = w.on_notification(note("lagged", R"({"subscription":4,"lastSeq":21})"));
    CHECK_FALSE(lagged.next);  // not before the pending subscribe is answered
    auto answer = w.on_response(ok(R"({"subscription":4,"seq":20})"));
    REQUIRE(answer.next);
    check_request(*answer.next, "subscribe", R"({"prefix":"p","since":21,"store":"s"})");
}

TEST_CASE("ctl watcher: an incomplete replay is reported; errors end the watch; Ctrl-C is 0") {
    watcher w({.key = "k", .prefix = std::nullopt, .since = 3});
    (void)w.start();
    auto answer = w.on_response(ok(R"({"subscription":1,"seq":50,"complete":false})"));
    CHECK(answer.err.find("changes after seq 3 are no longer all in mps3d's change log") !=
          std::string::npos);
    CHECK_FALSE(answer.exit_code);
    CHECK(w.on_interrupt().exit_code == exit_ok);

    watcher refused_watch({.key = "", .prefix = std::nullopt});
    (void)refused_watch.start();
    auto error = refused_watch.on_response(failed(-32002, "Invalid key: the key is empty"));
    CHECK(error.exit_code == exit_daemon_error);

    watcher odd({.key = "k", .prefix = std::nullopt});
    (void)odd.start();
    CHECK(odd.on_response(ok(R"({"subscription":"one","seq":1})")).exit_code == exit_unreachable);
}

TEST_CASE("ctl socket path: --socket, $MPS3_SOCKET, the config file, mps3d's default") {
    const s3::environment env{{"HOME", "/nonexistent-home"}, {"XDG_RUNTIME_DIR", "/run/user/7"}};
    CHECK(resolve_socket_path("/tmp/x.sock", false, env, 7) == "/tmp/x.sock");
    CHECK(resolve_socket_path("", false, env, 7) == "/run/user/7/mps3/mps3d.sock");
    CHECK(resolve_socket_path("", false, {{"HOME", "/nonexistent-home"}}, 7) ==
          "/tmp/mps3-7/mps3/mps3d.sock");

    auto with_variable = env;
    with_variable["MPS3_SOCKET"] = "/srv/mps3.sock";
    CHECK(resolve_socket_path("", false, with_variable, 7) == "/srv/mps3.sock");
    CHECK(resolve_socket_path("/tmp/x.sock", false, with_variable, 7) == "/tmp/x.sock");
    // --system asks for the system daemon: the user's variable does not redirect it.
    CHECK(resolve_socket_path("", true, with_variable, 7) == "/run/mps3/mps3d.sock");

    // The socket set in mps3d's configuration file.
    std::string pattern = (std::filesystem::temp_directory_path() / "mps3-ctl-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    const std::filesystem::path config_home = pattern;
    std::filesystem::create_directories(config_home / "mps3");
    auto with_config = env;
    with_config["XDG_CONFIG_HOME"] = config_home.string();
    {
        std::ofstream(config_home / "mps3" / "mps3d.conf")
            << "[daemon]\nsocket = /var/tmp/custom.sock\n";
    }
    CHECK(resolve_socket_path("", false, with_config, 7) == "/var/tmp/custom.sock");
    { std::ofstream(config_home / "mps3" / "mps3d.conf") << "[daemon\nbroken\n"; }
    CHECK(resolve_socket_path("", false, with_config, 7) == "/run/user/7/mps3/mps3d.sock");
    std::filesystem::remove_all(config_home);
}
