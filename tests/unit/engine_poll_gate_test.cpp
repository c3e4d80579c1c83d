// The poll gate (engine/poll_gate.hpp): when one HEAD of the marker may stand for a LIST. A wrong
// "skip" hides another writer's entry until the next full LIST, so each way the marker can
// look unchanged while the manifest changed is a case here.
#include "engine/poll_gate.hpp"

#include <doctest/doctest.h>

using namespace mps3;
using namespace std::chrono_literals;
using engine::marker_view;

namespace {

const engine::poll_gate::time_point t0 = engine::poll_gate::time_point{} + 24h;

marker_view seen(std::string last_modified, std::string checked_at, std::string etag = "\"e\"") {
    return {.etag = std::move(etag),
            .last_modified = std::move(last_modified),
            .checked_at = std::move(checked_at)};
}

const std::string at_10 = "Mon, 07 Dec 2026 04:00:10 GMT";
const std::string at_11 = "Mon, 07 Dec 2026 04:00:11 GMT";
const std::string at_12 = "Mon, 07 Dec 2026 04:00:12 GMT";

}  // namespace

TEST_CASE("poll gate: a marker unchanged since a LIST checked in a later second skips the LIST") {
    engine::poll_gate gate;
    CHECK_FALSE(gate.may_skip_list(seen(at_10, at_11), t0));  // nothing listed yet
    gate.listing(seen(at_10, at_11), t0);
    CHECK(gate.may_skip_list(seen(at_10, at_12), t0 + 1s));
    CHECK(gate.may_skip_list(seen(at_10, at_12), t0 + 30s));
}

TEST_CASE("poll gate: a full LIST is due every 30 s whatever the marker says") {
    // A writer that crashed between its entry and its marker left no trace on the marker.
    engine::poll_gate gate;
    gate.listing(seen(at_10, at_11), t0);
    CHECK_FALSE(gate.may_skip_list(seen(at_10, at_12), t0 + 30s + 1ms));
}

TEST_CASE("poll gate: a marker checked in the second it was written proves nothing") {
    // Rewritten later in that same second, it keeps the same Last-Modified and ETag.
    engine::poll_gate gate;
    gate.listing(seen(at_10, at_10), t0);
    CHECK_FALSE(gate.may_skip_list(seen(at_10, at_12), t0 + 1s));
}

TEST_CASE("poll gate: a changed Last-Modified or ETag, or none, lists") {
    engine::poll_gate gate;
    gate.listing(seen(at_10, at_11), t0);
    CHECK_FALSE(gate.may_skip_list(seen(at_11, at_12), t0 + 1s));
    CHECK_FALSE(gate.may_skip_list(seen(at_10, at_12, "\"other\""), t0 + 1s));
    CHECK_FALSE(gate.may_skip_list(seen("", at_12), t0 + 1s));  // no marker (404) or no header
}

TEST_CASE("poll gate: an apply that failed or was incomplete is forgotten: the next poll lists") {
    engine::poll_gate gate;
    gate.listing(seen(at_10, at_11), t0);
    gate.forget();
    CHECK(gate.record().empty());
    CHECK_FALSE(gate.may_skip_list(seen(at_10, at_12), t0 + 1s));
}

TEST_CASE("poll gate: a process's first poll lists, however soon after the clock's epoch") {
    engine::poll_gate gate(30s);
    CHECK_FALSE(gate.may_skip_list(seen(at_10, at_12), engine::poll_gate::time_point{}));
    CHECK_FALSE(gate.may_skip_list(seen(at_10, at_12), engine::poll_gate::time_point{} + 1s));
}

TEST_CASE("poll gate: the record's text form round-trips; older forms read as never seen") {
    engine::poll_gate gate;
    gate.listing(seen(at_10, at_11), t0);
    const auto parsed = marker_view::parse(gate.record());
    CHECK(parsed.etag == "\"e\"");
    CHECK(parsed.last_modified == at_10);
    CHECK(parsed.checked_at == at_11);
    CHECK(marker_view::parse("\"e\"").last_modified.empty());  // an older single-ETag record
}
