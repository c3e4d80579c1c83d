// The entry commit machine (engine/entry_commit.hpp) driven by hand: every answer a server can
// give to its steps, in the orders that matter, without a server. The outcome decides what
// happens to the group's batches, so each test checks it exactly.
#include "engine/entry_commit.hpp"
#include "protocol/entry_body.hpp"
#include "protocol/entry_key.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

using namespace mps3;
using namespace std::chrono_literals;
using engine::commit_step;
namespace commit_do = engine::commit_do;

namespace {

// Mid-second, so that the Date header's truncation matters.
const protocol::timestamp t0{std::chrono::milliseconds(1'700'000'000'500)};

protocol::timestamp floor_second(protocol::timestamp t) {
    return std::chrono::floor<std::chrono::seconds>(t);
}

// A sample of a request answered in 10 ms by a server whose clock agrees with ours.
protocol::clock_sample agreeing_sample(protocol::timestamp sent) {
    return {.local_sent = sent, .local_received = sent + 10ms, .server_date = floor_second(sent)};
}

struct harness {
    protocol::clock_estimator clock;
    std::uint64_t counter = 0;
    protocol::writer_session session{"manifest.json", [this] { return ++counter; }};
    std::optional<protocol::timestamp> newest_seen;
    std::vector<std::string> warnings;
    protocol::manifest_update update{
        {"s3://bucket/a", protocol::file_state{.version = "v1", .replication = std::nullopt}},
        {"s3://bucket/gone", std::nullopt}};
    protocol::manifest_state files{{"s3://bucket/b", {.version = "v0", .replication = {}}}};
    engine::entry_commit machine;

    explicit harness(bool with_clock = true, engine::entry_commit::limits lim = {})
        : machine(update,
                  {.clock = clock,
                   .session = session,
                   .newest_seen = newest_seen,
                   .warn = [this](const std::string& m) { warnings.push_back(m); }},
                  lim) {
        if (with_clock) {
            clock.add(agreeing_sample(t0 - 1s));
        }
    }

    // start -> read_state -> (state) -> note_key -> (noted) -> put_entry: the entry to PUT.
    commit_do::put_entry to_put(protocol::timestamp now = t0) {
        if (machine.attempts() == 0 && !started) {
            started = true;
            REQUIRE(std::holds_alternative<commit_do::read_state>(machine.start()));
        }
        const commit_step noted = machine.on_state(files, now);
        REQUIRE(std::holds_alternative<commit_do::note_key>(noted));
        const commit_step put = machine.on_noted(success{});
        REQUIRE(std::holds_alternative<commit_do::put_entry>(put));
        return std::get<commit_do::put_entry>(put);
    }
    bool started = false;
};

commit_do::finished finished(const commit_step& step) {
    REQUIRE(std::holds_alternative<commit_do::finished>(step));
    return std::get<commit_do::finished>(step);
}

engine::entry_put_answer answered_at(protocol::timestamp sent) {
    return {.sample = agreeing_sample(sent)};
}

// The answer of a server whose clock reads `ahead` more than ours.
engine::entry_put_answer answered_by_clock_ahead(protocol::timestamp sent,
                                                 std::chrono::milliseconds ahead) {
    return {.sample = protocol::clock_sample{.local_sent = sent,
                                             .local_received = sent + 10ms,
                                             .server_date = floor_second(sent + ahead)}};
}

}  // namespace

TEST_CASE("entry commit: the entry is PUT with a fresh key and a body of state + update") {
    harness h;
    const auto put = h.to_put();
    const auto key = protocol::parse_entry_key("manifest.json", put.entry_key);
    REQUIRE(key);
    REQUIRE(key->ts);
    CHECK(*key->ts == h.machine.stamp());
    // The stamp is the server's clock as estimated (here ours, to within the sample's width).
    CHECK(h.machine.stamp() >= t0 - 1s);
    CHECK(h.machine.stamp() <= t0 + 1s);
    auto body = protocol::parse_entry_body(put.body);
    REQUIRE(body);
    CHECK(body->files == h.files);
    CHECK(body->update == h.update);
}

TEST_CASE("entry commit: a valid answer commits and raises newest_seen to the stamp") {
    harness h;
    (void)h.to_put();
    const auto& done = finished(h.machine.on_put(answered_at(t0 + 20ms)));
    CHECK(done.result == commit_do::outcome::committed);
    CHECK_FALSE(done.failure);
    CHECK(h.newest_seen == h.machine.stamp());
    CHECK(h.machine.done());
}

TEST_CASE("entry commit: without clock samples it puts at once (the local clock is trusted)") {
    harness h(false);
    (void)h.to_put();
    CHECK(finished(h.machine.on_put(answered_at(t0))).result == commit_do::outcome::committed);
}

TEST_CASE("entry commit: the stamp follows the newest entry seen, held until it can be valid") {
    harness h;
    // Another writer whose clock runs 6 s fast wrote an entry we saw: ours must come after it,
    // and an entry stamped 6 s ahead of the server would be invalid if PUT now.
    h.newest_seen = t0 + 6s;
    REQUIRE(std::holds_alternative<commit_do::read_state>(h.machine.start()));
    const commit_step step = h.machine.on_state(h.files, t0);
    REQUIRE(std::holds_alternative<commit_do::hold>(step));
    CHECK(std::get<commit_do::hold>(step).delay > 0ms);
    CHECK(std::get<commit_do::hold>(step).delay < 5s);
    CHECK(h.machine.stamp() == t0 + 6s + 1ms);

    SUBCASE("held, then put") {
        CHECK(std::holds_alternative<commit_do::note_key>(h.machine.on_held(true)));
    }
    SUBCASE("offline while holding: nothing was PUT, the batches are requeued") {
        const auto& done = finished(h.machine.on_held(false));
        CHECK(done.result == commit_do::outcome::requeue);
        CHECK(done.failure->code == make_error_code(errc::cancelled));
    }
}

TEST_CASE("entry commit: a clock too uncertain to forecast costs an attempt, not an entry") {
    harness h(false);
    // One sample answered after 12 s: the offset is known to within about 13 s only, so no
    // stamp is within 5 s of every LastModified the PUT might get.
    h.clock.add({.local_sent = t0 - 15s, .local_received = t0 - 3s, .server_date = t0 - 9500ms});
    REQUIRE(std::holds_alternative<commit_do::read_state>(h.machine.start()));
    CHECK(std::holds_alternative<commit_do::read_state>(h.machine.on_state(h.files, t0)));
    CHECK(h.machine.attempts() == 1);
}

TEST_CASE("entry commit: an answer dated outside the window writes a new entry, then gives up") {
    harness h;
    std::set<std::string> keys;
    commit_step step;
    for (int i = 0; i < 5; ++i) {
        keys.insert(std::string(h.to_put().entry_key));
        // The server's clock is 20 s ahead: LastModified far from the stamp, definitely.
        step = h.machine.on_put(answered_by_clock_ahead(t0, 20s));
        if (i < 4) {
            REQUIRE(std::holds_alternative<commit_do::read_state>(step));
        }
    }
    CHECK(keys.size() == 5);  // a new key every attempt: entry keys are never rewritten
    const auto& done = finished(step);
    // Every entry written is definitely invalid: nobody reads them, so uploading again is safe.
    CHECK(done.result == commit_do::outcome::requeue);
    CHECK(done.failure->code == make_error_code(errc::server_error));
    CHECK(h.warnings.size() == 5);
    CHECK_FALSE(h.newest_seen);
}

TEST_CASE("entry commit: an uncertain answer is settled by listing the entry") {
    harness h;
    (void)h.to_put();
    // Date puts LastModified somewhere around stamp + 4.5 s..5.5 s: valid or not, depending.
    const auto ahead = std::chrono::milliseconds(5000);
    const commit_step step = h.machine.on_put(answered_by_clock_ahead(t0, ahead));
    REQUIRE(std::holds_alternative<commit_do::list_entry>(step));

    SUBCASE("listed within the window: committed") {
        const std::optional<protocol::timestamp> listed = h.machine.stamp() + 4s;
        CHECK(finished(h.machine.on_listed(listed)).result == commit_do::outcome::committed);
    }
    SUBCASE("listed outside: readers ignore it, so a new entry") {
        const std::optional<protocol::timestamp> listed = h.machine.stamp() + 5s;
        CHECK(std::holds_alternative<commit_do::read_state>(h.machine.on_listed(listed)));
    }
    SUBCASE("the LIST fails: it may be valid, so recovery must judge it, never a requeue") {
        const auto& done = finished(h.machine.on_listed(error(errc::network, "reset")));
        CHECK(done.result == commit_do::outcome::leave_uploading);
    }
    SUBCASE("going offline before the LIST: left for recovery too") {
        CHECK(finished(h.machine.on_cancelled()).result == commit_do::outcome::leave_uploading);
    }
}

TEST_CASE("entry commit: a lost answer leaves the batches uploading for recovery") {
    harness h;
    (void)h.to_put();
    const auto& done = finished(h.machine.on_put(error(errc::timeout, "no answer")));
    CHECK(done.result == commit_do::outcome::leave_uploading);
    CHECK(done.failure->code == make_error_code(errc::timeout));
}

TEST_CASE("entry commit: an answer without Date cannot be judged: left for recovery") {
    harness h;
    (void)h.to_put();
    const auto& done = finished(h.machine.on_put(engine::entry_put_answer{}));
    CHECK(done.result == commit_do::outcome::leave_uploading);
    CHECK(done.failure->code == make_error_code(errc::bad_response));
}

TEST_CASE("entry commit: key taken (412): our own earlier try, or another writer's entry") {
    harness h;
    const auto put = h.to_put();
    // Copies: the step's views are valid only until the machine's next call.
    const std::string ours(put.body);
    const std::string first_key(put.entry_key);
    const commit_step step = h.machine.on_put(error(errc::precondition_failed, "exists"));
    REQUIRE(std::holds_alternative<commit_do::get_entry>(step));
    CHECK(std::get<commit_do::get_entry>(step).entry_key == first_key);

    SUBCASE("our bytes, listed in the window: committed (the retry of a lost answer)") {
        REQUIRE(std::holds_alternative<commit_do::list_entry>(h.machine.on_got(ours)));
        const std::optional<protocol::timestamp> listed = h.machine.stamp();
        CHECK(finished(h.machine.on_listed(listed)).result == commit_do::outcome::committed);
    }
    SUBCASE("our bytes, but the LIST fails: left for recovery") {
        REQUIRE(std::holds_alternative<commit_do::list_entry>(h.machine.on_got(ours)));
        CHECK(finished(h.machine.on_listed(error(errc::network, "x"))).result ==
              commit_do::outcome::leave_uploading);
    }
    SUBCASE("another writer's bytes: a new key") {
        CHECK(std::holds_alternative<commit_do::read_state>(h.machine.on_got(std::string("{}"))));
        REQUIRE(h.warnings.size() == 1);
        const auto again = h.to_put();
        CHECK(again.entry_key != first_key);
    }
    SUBCASE("the GET fails: the key is someone's, take another") {
        CHECK(std::holds_alternative<commit_do::read_state>(
            h.machine.on_got(error(errc::network, "reset"))));
    }
    SUBCASE("offline before the GET: ours may be there, so recovery judges it") {
        CHECK(finished(h.machine.on_cancelled()).result == commit_do::outcome::leave_uploading);
    }
}

TEST_CASE("entry commit: failures before any PUT requeue the batches") {
    harness h;
    REQUIRE(std::holds_alternative<commit_do::read_state>(h.machine.start()));
    SUBCASE("the LIST of the state fails") {
        const auto& done =
            finished(h.machine.on_state(error(errc::server_error, "503 SlowDown"), t0));
        CHECK(done.result == commit_do::outcome::requeue);
        CHECK(done.failure->message == "503 SlowDown");
    }
    SUBCASE("the entry key cannot be noted") {
        REQUIRE(std::holds_alternative<commit_do::note_key>(h.machine.on_state(h.files, t0)));
        const auto& done = finished(h.machine.on_noted(error(errc::storage, "disk full")));
        CHECK(done.result == commit_do::outcome::requeue);
    }
    SUBCASE("offline before the PUT (the key noted, nothing written)") {
        REQUIRE(std::holds_alternative<commit_do::note_key>(h.machine.on_state(h.files, t0)));
        REQUIRE(std::holds_alternative<commit_do::put_entry>(h.machine.on_noted(success{})));
        CHECK(finished(h.machine.on_cancelled()).result == commit_do::outcome::requeue);
    }
}

TEST_CASE("entry commit: a failed attempt does not leave its verdict pending for the next") {
    harness h;
    (void)h.to_put();
    REQUIRE(std::holds_alternative<commit_do::get_entry>(
        h.machine.on_put(error(errc::precondition_failed, "exists"))));
    REQUIRE(std::holds_alternative<commit_do::read_state>(h.machine.on_got(std::string("{}"))));
    // The taken key was another writer's: going offline now may requeue.
    CHECK(finished(h.machine.on_cancelled()).result == commit_do::outcome::requeue);
}
