// The outbox: read-your-writes over kv, atomic batches, and the upload states
// (queued -> uploading -> completed, requeued or discarded).
#include "replica/replica.hpp"
#include "replica_test_support.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

using namespace mps3::replica;
using mps3::change_origin;
using mps3::write_op;

namespace {

using mps3::replica::testing::temp_dir;

// A clock the test moves by hand.
using mps3::replica::testing::manual_clock;

replica open_replica(const temp_dir& dir, const manual_clock& clock = {}) {
    auto r = replica::open(dir.path / "store.db", {.clock = clock});
    REQUIRE(r.has_value());
    return std::move(*r);
}

write_op put(std::string key, std::string value) {
    return {std::move(key), std::move(value)};
}
write_op del(std::string key) {
    return {std::move(key), std::nullopt};
}
remote_change remote_put(std::string key, std::string value, std::string version) {
    return {std::move(key), confirmed_value{std::move(value), std::move(version), "b", ""}};
}

std::optional<std::string> value_of(replica& r, const std::string& key) {
    auto e = r.get(key);
    REQUIRE(e.has_value());
    if (!*e) {
        return std::nullopt;
    }
    return (*e)->value;
}

}  // namespace

TEST_CASE("replica outbox: reads see queued local writes over the confirmed state") {
    temp_dir dir;
    auto r = open_replica(dir);
    REQUIRE(r.apply_remote(std::vector{remote_put("a", "1", "v1")}).has_value());

    auto confirmed = r.get("a").value();
    REQUIRE(confirmed);
    CHECK(*confirmed == entry{"a", "1", "v1", false});

    REQUIRE(r.enqueue_local_write(std::vector{put("a", "2")}).has_value());
    CHECK(r.get("a").value() == entry{"a", "2", std::nullopt, true});

    REQUIRE(r.enqueue_local_write(std::vector{del("a")}).has_value());
    CHECK(r.get("a").value() == std::nullopt);

    REQUIRE(r.enqueue_local_write(std::vector{put("a", "null")}).has_value());  // JSON null
    CHECK(value_of(r, "a") == "null");

    // kv still holds the confirmed value underneath.
    auto files = r.confirmed_files().value();
    REQUIRE(files.size() == 1);
    CHECK(files[0] == confirmed_file{"a", "b", "v1", ""});

    // get_many: one snapshot, aligned with the keys, absent keys included.
    const std::vector<std::string> keys = {"a", "missing", "a"};
    auto many = r.get_many(keys).value();
    REQUIRE(many.size() == 3);
    CHECK(many[0] == entry{"a", "null", std::nullopt, true});
    CHECK(many[1] == std::nullopt);
    CHECK(many[2] == many[0]);
}

TEST_CASE("replica outbox: a batch is queued atomically with one change per key") {
    temp_dir dir;
    manual_clock clock;
    auto r = open_replica(dir, clock);
    REQUIRE(r.apply_remote(std::vector{remote_put("z", "0", "vz")}).has_value());
    *clock.ms += 1000;

    auto q =
        r.enqueue_local_write(std::vector{put("x", "1"), put("y", "2"), del("z"), put("x", "3")});
    REQUIRE(q.has_value());
    REQUIRE(q->op_seqs.size() == 4);
    for (std::size_t i = 1; i < q->op_seqs.size(); ++i) {
        CHECK(q->op_seqs[i] > q->op_seqs[i - 1]);
    }
    // x: absent -> 3 (never the intermediate 1), y: absent -> 2, z: 0 -> deleted.
    REQUIRE(q->changes.size() == 3);
    CHECK(q->changes[0].key == "x");
    CHECK(q->changes[0].old_value == std::nullopt);
    CHECK(q->changes[0].new_value == "3");
    CHECK(q->changes[1].key == "y");
    CHECK(q->changes[2].key == "z");
    CHECK(q->changes[2].old_value == "0");
    CHECK(q->changes[2].new_value == std::nullopt);
    for (const auto& c : q->changes) {
        CHECK(c.origin == change_origin::local);
        CHECK(c.batch_id == q->batch_id);
        CHECK(c.version == std::nullopt);
        CHECK(c.at == clock());
    }
    CHECK(r.changes_since(0, 100).value().size() == 4);  // the remote z plus these three

    auto batches = r.pending_batches(10).value();
    REQUIRE(batches.size() == 1);
    CHECK(batches[0].id == q->batch_id);
    CHECK(batches[0].state == batch_state::queued);
    CHECK(batches[0].queued_at == clock());
    REQUIRE(batches[0].ops.size() == 4);
    CHECK(batches[0].ops[0] == outbox_op{q->op_seqs[0], "x", "1", std::nullopt});
    CHECK(batches[0].ops[2] == outbox_op{q->op_seqs[2], "z", std::nullopt, std::nullopt});
    CHECK(batches[0].ops[3] == outbox_op{q->op_seqs[3], "x", "3", std::nullopt});

    // A local write is an event even when it leaves the value as it was.
    auto same = r.enqueue_local_write(std::vector{put("y", "2")});
    REQUIRE(same.has_value());
    REQUIRE(same->changes.size() == 1);
    CHECK(same->changes[0].old_value == "2");
    CHECK(same->changes[0].new_value == "2");

    auto empty = r.enqueue_local_write({});
    REQUIRE_FALSE(empty.has_value());
    CHECK(empty.err().code == mps3::errc::invalid_argument);
}

TEST_CASE("replica outbox: a group of batches commits together; a bad one fails alone") {
    temp_dir dir;
    auto r = open_replica(dir);
    const std::vector<write_op> first{put("a", "1"), put("b", "2")};
    const std::vector<write_op> empty;
    const std::vector<write_op> third{del("a"), put("c", "3")};
    const std::vector<std::span<const write_op>> group{first, empty, third};
    auto done = r.enqueue_local_writes(group);
    REQUIRE(done.has_value());
    REQUIRE(done->size() == 3);
    REQUIRE((*done)[0].has_value());
    CHECK_FALSE((*done)[1].has_value());
    CHECK((*done)[1].err().code == mps3::errc::invalid_argument);
    REQUIRE((*done)[2].has_value());
    // Batches and seqs ascend in the group's order; each batch has its own change rows.
    CHECK((*done)[0]->batch_id < (*done)[2]->batch_id);
    CHECK((*done)[0]->changes.back().seq < (*done)[2]->changes.front().seq);
    CHECK((*done)[2]->changes.size() == 2);
    CHECK((*done)[2]->changes[0].old_value == "1");  // sees the group's earlier batch
    CHECK_FALSE(r.get("a").value().has_value());
    CHECK(r.get("c").value()->value == "3");
    CHECK(r.pending_batches(10).value().size() == 2);
}

TEST_CASE("replica outbox: pending batches come oldest first, up to the limit") {
    temp_dir dir;
    auto r = open_replica(dir);
    std::vector<std::int64_t> ids;
    ids.reserve(5);
    for (int i = 0; i < 5; ++i) {
        ids.push_back(
            r.enqueue_local_write(std::vector{put("k" + std::to_string(i), "1")}).value().batch_id);
    }
    auto first = r.pending_batches(3).value();
    REQUIRE(first.size() == 3);
    CHECK(first[0].id == ids[0]);
    CHECK(first[2].id == ids[2]);
    CHECK(r.pending_batches(100).value().size() == 5);
    CHECK(r.pending_batches(0).value().empty());
}

TEST_CASE("replica outbox: upload lifecycle (mark, note entry, requeue, complete)") {
    temp_dir dir;
    manual_clock clock;
    auto r = open_replica(dir, clock);
    const auto b1 = r.enqueue_local_write(std::vector{put("a", "1"), put("c", "3")}).value();
    const auto b2 = r.enqueue_local_write(std::vector{put("b", "2")}).value();

    const std::vector<std::pair<std::string, std::string>> versions = {{"a", "va"}, {"c", "vc"}};
    REQUIRE(r.mark_uploading(std::vector{b1.batch_id}, "attempt-1", versions).has_value());
    auto batches = r.pending_batches(10).value();
    REQUIRE(batches.size() == 2);
    CHECK(batches[0].state == batch_state::uploading);
    CHECK(batches[0].attempt_id == "attempt-1");
    CHECK(batches[0].attempt_started_at == clock());
    CHECK(batches[0].attempts == 1);
    CHECK(batches[0].ops[0].upload_version == "va");
    CHECK(batches[0].ops[1].upload_version == "vc");
    CHECK(batches[1].state == batch_state::queued);
    CHECK(batches[1].ops[0].upload_version == std::nullopt);

    // Marking is all or none: b2 is fine but b1 is already uploading.
    auto twice = r.mark_uploading(std::vector{b2.batch_id, b1.batch_id}, "attempt-2", {});
    REQUIRE_FALSE(twice.has_value());
    CHECK(twice.err().code == mps3::errc::invalid_argument);
    CHECK(r.pending_batches(10).value()[1].state == batch_state::queued);
    CHECK_FALSE(r.mark_uploading(std::vector{b2.batch_id}, "", {}).has_value());

    REQUIRE(r.note_entry_key("attempt-1", "manifest.json@2bnrlpade_abc_vv").has_value());
    REQUIRE(r.note_entry_key("attempt-1", "manifest.json@2bnrlpade_abc_vu").has_value());
    REQUIRE(r.note_entry_key("attempt-1", "manifest.json@2bnrlpade_abc_vv").has_value());
    CHECK(r.pending_batches(1).value()[0].entry_keys ==
          std::vector<std::string>{"manifest.json@2bnrlpade_abc_vu",
                                   "manifest.json@2bnrlpade_abc_vv"});
    auto unknown = r.note_entry_key("no-such-attempt", "x");
    REQUIRE_FALSE(unknown.has_value());
    CHECK(unknown.err().code == mps3::errc::invalid_argument);

    // Requeue: back to queued, attempt data forgotten, the attempt count kept.
    REQUIRE(r.requeue(std::vector{b1.batch_id}).has_value());
    batches = r.pending_batches(10).value();
    CHECK(batches[0].state == batch_state::queued);
    CHECK(batches[0].attempt_id == std::nullopt);
    CHECK(batches[0].entry_keys.empty());
    CHECK(batches[0].ops[0].upload_version == std::nullopt);
    CHECK(batches[0].attempts == 1);
    REQUIRE(r.requeue(std::vector{b1.batch_id}).has_value());  // harmless when queued

    // Second attempt, with both batches (group commit), then confirmed.
    const std::vector<std::pair<std::string, std::string>> v2 = {
        {"a", "va2"}, {"b", "vb2"}, {"c", "vc2"}};
    REQUIRE(r.mark_uploading(std::vector{b1.batch_id, b2.batch_id}, "attempt-3", v2).has_value());
    CHECK(r.pending_batches(1).value()[0].attempts == 2);
    const auto before = r.change_bounds().value().newest;
    auto done =
        r.complete_upload(std::vector{b1.batch_id, b2.batch_id},
                          std::vector{remote_put("a", "1", "va2"), remote_put("b", "2", "vb2"),
                                      remote_put("c", "3", "vc2")});
    REQUIRE(done.has_value());
    CHECK(done->empty());  // the same values, now confirmed: nothing to tell subscribers
    CHECK(r.change_bounds().value().newest == before);
    CHECK(r.get("a").value() == entry{"a", "1", "va2", false});
    CHECK(r.get("b").value() == entry{"b", "2", "vb2", false});
    CHECK(r.pending_batches(10).value().empty());
    CHECK(r.outbox_status().value().queued_ops == 0);

    // Completing again (a retry after a crash between commit and reply) is harmless.
    auto again = r.complete_upload(std::vector{b1.batch_id, b2.batch_id}, {});
    REQUIRE(again.has_value());
    CHECK(again->empty());
}

TEST_CASE("replica outbox: completing when another writer won shows their value") {
    temp_dir dir;
    auto r = open_replica(dir);
    REQUIRE(r.apply_remote(std::vector{remote_put("k", "0", "v0")}).has_value());
    const auto b = r.enqueue_local_write(std::vector{put("k", "mine")}).value();
    REQUIRE(r.mark_uploading(std::vector{b.batch_id}, "att", {}).has_value());

    // The bucket moved on: a later entry by someone else set k. Shadowed: no event, and
    // reads still show our pending value.
    auto shadowed = r.apply_remote(std::vector{remote_put("k", "theirs", "v2")});
    REQUIRE(shadowed.has_value());
    CHECK(shadowed->empty());
    CHECK(value_of(r, "k") == "mine");

    // Our entry is in, but the resolved state holds their version for k: the engine confirms
    // nothing for k, and the overlay gives way to the value kv already has.
    auto done = r.complete_upload(std::vector{b.batch_id}, {});
    REQUIRE(done.has_value());
    REQUIRE(done->size() == 1);
    const auto& c = (*done)[0];
    CHECK(c.key == "k");
    CHECK(c.old_value == "mine");
    CHECK(c.new_value == "theirs");
    CHECK(c.version == "v2");
    CHECK(c.origin == change_origin::remote);
    CHECK(r.get("k").value() == entry{"k", "theirs", "v2", false});
}

TEST_CASE("replica outbox: a key with two pending batches stays shadowed until both are gone") {
    temp_dir dir;
    auto r = open_replica(dir);
    const auto b1 = r.enqueue_local_write(std::vector{put("k", "1")}).value();
    const auto b2 = r.enqueue_local_write(std::vector{put("k", "2")}).value();
    auto first =
        r.complete_upload(std::vector{b1.batch_id}, std::vector{remote_put("k", "1", "v1")});
    REQUIRE(first.has_value());
    CHECK(first->empty());
    CHECK(r.get("k").value() == entry{"k", "2", std::nullopt, true});
    auto second =
        r.complete_upload(std::vector{b2.batch_id}, std::vector{remote_put("k", "2", "v2")});
    REQUIRE(second.has_value());
    CHECK(second->empty());
    CHECK(r.get("k").value() == entry{"k", "2", "v2", false});
}

TEST_CASE("replica outbox: discarding a batch falls back to the confirmed values") {
    temp_dir dir;
    auto r = open_replica(dir);
    REQUIRE(r.apply_remote(std::vector{remote_put("k", "1", "v1")}).has_value());
    const auto b = r.enqueue_local_write(std::vector{put("k", "9"), put("new", "x")}).value();
    auto dropped = r.discard_batches(std::vector{b.batch_id});
    REQUIRE(dropped.has_value());
    REQUIRE(dropped->size() == 2);
    CHECK((*dropped)[0].key == "k");
    CHECK((*dropped)[0].old_value == "9");
    CHECK((*dropped)[0].new_value == "1");
    CHECK((*dropped)[0].origin == change_origin::local);
    CHECK((*dropped)[1].key == "new");
    CHECK((*dropped)[1].new_value == std::nullopt);
    CHECK(r.get("k").value() == entry{"k", "1", "v1", false});
    CHECK(r.get("new").value() == std::nullopt);
}

TEST_CASE("replica outbox: status counts and the oldest queued time") {
    temp_dir dir;
    manual_clock clock;
    auto r = open_replica(dir, clock);
    auto empty = r.outbox_status().value();
    CHECK(empty.queued_ops == 0);
    CHECK(empty.oldest_queued_at == std::nullopt);
    CHECK(empty.oldest_batch_id == std::nullopt);
    CHECK(empty.newest_batch_id == std::nullopt);

    const auto t0 = clock();
    const auto b1 = r.enqueue_local_write(std::vector{put("a", "1"), put("b", "2")}).value();
    *clock.ms += 5000;
    const auto b2 = r.enqueue_local_write(std::vector{put("c", "3")}).value();
    REQUIRE(r.mark_uploading(std::vector{b1.batch_id}, "att", {}).has_value());
    auto s = r.outbox_status().value();
    CHECK(s.queued_ops == 3);
    CHECK(s.queued_batches == 1);
    CHECK(s.uploading_batches == 1);
    CHECK(s.oldest_queued_at == t0);
    CHECK(s.oldest_batch_id == b1.batch_id);
    CHECK(s.newest_batch_id == b2.batch_id);
}
