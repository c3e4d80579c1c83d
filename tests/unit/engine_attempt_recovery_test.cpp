// Recovery of an interrupted upload attempt (engine/attempt_recovery.hpp) driven by hand: what
// the noted entry keys turn out to hold decides between confirming the writes (landed), uploading
// them again (not landed) and waiting (undecided). Getting "landed" wrong loses writes; getting
// "not landed" wrong applies them twice over other writers' later ones.
#include "engine/attempt_recovery.hpp"
#include "protocol/content_ref.hpp"
#include "protocol/entry_body.hpp"
#include "protocol/entry_key.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace mps3;
using namespace std::chrono_literals;
using engine::recover_step;
namespace recover_do = engine::recover_do;

namespace {

const protocol::timestamp t0{std::chrono::milliseconds(1'700'000'000'000)};
const std::string manifest = "manifest.json";
const std::string bucket = "bucket";

replica::outbox_op op(std::string key, std::optional<std::string> value,
                      std::string upload_version) {
    return {.seq = 0,
            .write = {.key = std::move(key), .value = std::move(value)},
            .upload_version = std::move(upload_version)};
}

// Two batches of one attempt: a=1 then a=2 (the entry holds the last), and a delete of d.
std::vector<replica::outbox_batch> attempt(std::vector<std::string> entry_keys) {
    replica::outbox_batch first;
    first.id = 7;
    first.state = replica::batch_state::uploading;
    first.attempt_id = "att";
    first.entry_keys = entry_keys;
    first.ops = {op("a", "1", "va1"), op("d", "0", "vd")};
    replica::outbox_batch second = first;
    second.id = 8;
    second.ops = {op("a", "2", "va2"), op("d", std::nullopt, "")};
    return {first, second};
}

std::string entry_key(std::chrono::milliseconds offset, unsigned counter = 0) {
    return protocol::format_entry_key(manifest, t0 + offset, "abc", counter);
}

std::string body_writing(const std::string& a_version) {
    protocol::manifest_update update{
        {protocol::format_content_ref(bucket, "a"),
         protocol::file_state{.version = a_version, .replication = std::nullopt}},
        {protocol::format_content_ref(bucket, "d"), std::nullopt}};
    auto body = protocol::serialize_entry_body({}, update);
    REQUIRE(body);
    return *body;
}

struct harness {
    std::vector<replica::outbox_batch> batches;
    std::vector<const replica::outbox_batch*> pointers;
    std::optional<engine::attempt_recovery> recovery;

    explicit harness(std::vector<std::string> keys) : batches(attempt(std::move(keys))) {
        for (const auto& b : batches) {
            pointers.push_back(&b);
        }
        recovery.emplace(pointers, bucket, manifest);
    }
};

std::optional<protocol::timestamp> listed_at(protocol::timestamp t) {
    return t;
}

}  // namespace

TEST_CASE("attempt recovery: no entry key noted, so nothing was PUT: upload again") {
    harness h({});
    CHECK(std::holds_alternative<recover_do::not_landed>(h.recovery->start()));
    CHECK(h.recovery->batch_ids() == std::vector<std::int64_t>{7, 8});
}

TEST_CASE("attempt recovery: the entry is listed in the window and writes what we chose") {
    const auto key = entry_key(0ms);
    harness h({key});
    const recover_step list = h.recovery->start();
    REQUIRE(std::holds_alternative<recover_do::list_entry>(list));
    CHECK(std::get<recover_do::list_entry>(list).entry_key == key);
    REQUIRE(std::holds_alternative<recover_do::get_entry>(
        h.recovery->on_listed(listed_at(t0 + 300ms))));
    const recover_step done = h.recovery->on_got(body_writing("va2"));
    REQUIRE(std::holds_alternative<recover_do::landed>(done));
    const auto& confirmed = std::get<recover_do::landed>(done).confirmed;
    REQUIRE(confirmed.size() == 2);
    // Per key, the last op of the attempt with the version it chose.
    CHECK(confirmed[0].key == "a");
    REQUIRE(confirmed[0].value);
    CHECK(confirmed[0].value->value == "2");
    CHECK(confirmed[0].value->version == "va2");
    CHECK(confirmed[0].value->bucket == bucket);
    CHECK(confirmed[1].key == "d");
    CHECK_FALSE(confirmed[1].value);
}

TEST_CASE("attempt recovery: an entry readers do not see did not land") {
    const auto key = entry_key(0ms);
    harness h({key});
    REQUIRE(std::holds_alternative<recover_do::list_entry>(h.recovery->start()));
    SUBCASE("not listed, and no key holds a version it chose: never PUT, or overwritten") {
        const std::optional<protocol::timestamp> none;
        REQUIRE(std::holds_alternative<recover_do::resolve_state>(h.recovery->on_listed(none)));
        const protocol::manifest_state files{
            {protocol::format_content_ref(bucket, "a"), {.version = "theirs"}},
            {protocol::format_content_ref(bucket, "b"), {.version = "va2"}}};  // another key
        CHECK(std::holds_alternative<recover_do::not_landed>(h.recovery->on_resolved(files)));
    }
    SUBCASE("listed outside the validity window (readers ignore it for ever)") {
        CHECK(std::holds_alternative<recover_do::not_landed>(
            h.recovery->on_listed(listed_at(t0 + 5s))));
    }
}

TEST_CASE("attempt recovery: a failed LIST or GET decides nothing") {
    const auto key = entry_key(0ms);
    harness h({key});
    REQUIRE(std::holds_alternative<recover_do::list_entry>(h.recovery->start()));
    SUBCASE("LIST") {
        const auto step = h.recovery->on_listed(error(errc::network, "reset"));
        REQUIRE(std::holds_alternative<recover_do::undecided>(step));
        CHECK(std::get<recover_do::undecided>(step).why.code == make_error_code(errc::network));
    }
    SUBCASE("GET") {
        REQUIRE(
            std::holds_alternative<recover_do::get_entry>(h.recovery->on_listed(listed_at(t0))));
        CHECK(std::holds_alternative<recover_do::undecided>(
            h.recovery->on_got(error(errc::server_error, "503"))));
    }
}

TEST_CASE("attempt recovery: a body that is not ours, or cut off, does not count") {
    const auto first = entry_key(0ms, 0);
    const auto second = entry_key(100ms, 1);
    harness h({first, second});
    REQUIRE(std::holds_alternative<recover_do::list_entry>(h.recovery->start()));
    REQUIRE(std::holds_alternative<recover_do::get_entry>(h.recovery->on_listed(listed_at(t0))));
    SUBCASE("another version of a: the next noted key is looked at") {
        const recover_step next = h.recovery->on_got(body_writing("someone-else"));
        REQUIRE(std::holds_alternative<recover_do::list_entry>(next));
        CHECK(std::get<recover_do::list_entry>(next).entry_key == second);
        CHECK(h.recovery->foreign_entry() == first);
        REQUIRE(std::holds_alternative<recover_do::get_entry>(
            h.recovery->on_listed(listed_at(t0 + 100ms))));
        CHECK(std::holds_alternative<recover_do::landed>(h.recovery->on_got(body_writing("va2"))));
    }
    SUBCASE("a body stored cut off (s3rver): readers skip it, so upload again") {
        const auto cut = body_writing("va2").substr(0, 20);
        REQUIRE(std::holds_alternative<recover_do::list_entry>(h.recovery->on_got(cut)));
        const std::optional<protocol::timestamp> none;
        REQUIRE(std::holds_alternative<recover_do::resolve_state>(h.recovery->on_listed(none)));
        CHECK(std::holds_alternative<recover_do::not_landed>(
            h.recovery->on_resolved(protocol::manifest_state{})));
    }
    SUBCASE("an entry that writes a but not the delete of d is not this attempt's") {
        protocol::manifest_update partial{
            {protocol::format_content_ref(bucket, "a"),
             protocol::file_state{.version = "va2", .replication = std::nullopt}}};
        const auto body = protocol::serialize_entry_body({}, partial);
        REQUIRE(body);
        CHECK(std::holds_alternative<recover_do::list_entry>(h.recovery->on_got(*body)));
    }
}

TEST_CASE("attempt recovery: an entry collected after it landed is found by its versions") {
    // Garbage collection deleted our entry, its update folded into a newer one (gap 1): the
    // noted key is not listed, but the state still names the version the attempt chose.
    harness h({entry_key(0ms)});
    REQUIRE(std::holds_alternative<recover_do::list_entry>(h.recovery->start()));
    const std::optional<protocol::timestamp> none;
    REQUIRE(std::holds_alternative<recover_do::resolve_state>(h.recovery->on_listed(none)));
    SUBCASE("the last version chosen for a key is in the state: landed, every write confirmed") {
        const protocol::manifest_state files{
            {protocol::format_content_ref(bucket, "a"), {.version = "va2"}}};
        const recover_step done = h.recovery->on_resolved(files);
        REQUIRE(std::holds_alternative<recover_do::landed>(done));
        const auto& confirmed = std::get<recover_do::landed>(done).confirmed;
        REQUIRE(confirmed.size() == 2);
        CHECK(confirmed[0].key == "a");
        REQUIRE(confirmed[0].value);
        CHECK(confirmed[0].value->version == "va2");
        CHECK(confirmed[1].key == "d");
        CHECK_FALSE(confirmed[1].value);
    }
    SUBCASE("an earlier op's version is not what the entry wrote: it proves nothing") {
        const protocol::manifest_state files{
            {protocol::format_content_ref(bucket, "a"), {.version = "va1"}}};
        CHECK(std::holds_alternative<recover_do::not_landed>(h.recovery->on_resolved(files)));
    }
    SUBCASE("the state could not be read: decide nothing") {
        const auto step = h.recovery->on_resolved(error(errc::network, "reset"));
        CHECK(std::holds_alternative<recover_do::undecided>(step));
    }
}

TEST_CASE("attempt recovery: an attempt of deletes alone is not resolved (no version to find)") {
    replica::outbox_batch only_deletes;
    only_deletes.id = 3;
    only_deletes.state = replica::batch_state::uploading;
    only_deletes.attempt_id = "att";
    only_deletes.entry_keys = {entry_key(0ms)};
    only_deletes.ops = {op("d", std::nullopt, "")};
    const std::vector<const replica::outbox_batch*> batches{&only_deletes};
    engine::attempt_recovery recovery(batches, bucket, manifest);
    REQUIRE(std::holds_alternative<recover_do::list_entry>(recovery.start()));
    const std::optional<protocol::timestamp> none;
    CHECK(std::holds_alternative<recover_do::not_landed>(recovery.on_listed(none)));
}

TEST_CASE("attempt recovery: keys that are not entry keys of this manifest are skipped") {
    harness h({"junk", "other.json@123", entry_key(0ms)});
    const recover_step step = h.recovery->start();
    REQUIRE(std::holds_alternative<recover_do::list_entry>(step));
    CHECK(std::get<recover_do::list_entry>(step).entry_key == entry_key(0ms));
}

TEST_CASE("attempt recovery: uploading batches are grouped by attempt; queued ones ignored") {
    auto batches = attempt({});
    replica::outbox_batch other;
    other.id = 9;
    other.state = replica::batch_state::uploading;
    other.attempt_id = "later";
    replica::outbox_batch queued;
    queued.id = 10;
    batches.push_back(other);
    batches.push_back(queued);
    const auto groups = engine::uploading_attempts(batches);
    REQUIRE(groups.size() == 2);
    CHECK(groups.at("att").size() == 2);
    CHECK(groups.at("att")[0]->id == 7);
    CHECK(groups.at("later").size() == 1);
}
