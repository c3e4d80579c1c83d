// The upload decisions: which group goes next (next_upload), and the pipelining rule (a staged
// group commits only as the untouched front of the outbox).
#include "engine/upload_pipeline.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace mps3;
using replica::batch_state;

namespace {

replica::outbox_batch batch(std::int64_t id, batch_state state, std::string attempt = {}) {
    replica::outbox_batch b;
    b.id = id;
    b.state = state;
    if (state == batch_state::uploading) {
        b.attempt_id = std::move(attempt);
    }
    return b;
}

bool usable(const std::vector<std::int64_t>& ids, const std::vector<replica::outbox_batch>& p) {
    return engine::staged_group_usable(ids, "next", p);
}

}  // namespace

TEST_CASE("staged group: usable as the front of the queue, later batches queued") {
    CHECK(usable(
        {5, 6}, {batch(5, batch_state::uploading, "next"), batch(6, batch_state::uploading, "next"),
                 batch(7, batch_state::queued), batch(8, batch_state::queued)}));
    CHECK(usable({5}, {batch(5, batch_state::uploading, "next")}));
}

TEST_CASE("staged group: an older batch still in the outbox forbids it") {
    // The previous group's entry got no verdict (left uploading), or was requeued: writing the
    // staged entry first would let the older writes land after, over it.
    CHECK_FALSE(usable({5, 6}, {batch(4, batch_state::uploading, "previous"),
                                batch(5, batch_state::uploading, "next"),
                                batch(6, batch_state::uploading, "next")}));
    CHECK_FALSE(
        usable({5, 6}, {batch(4, batch_state::queued), batch(5, batch_state::uploading, "next"),
                        batch(6, batch_state::uploading, "next")}));
}

TEST_CASE("staged group: a batch of it gone, requeued or under another attempt forbids it") {
    CHECK_FALSE(usable({5, 6}, {batch(5, batch_state::uploading, "next")}));  // 6 gone
    CHECK_FALSE(
        usable({5, 6}, {batch(5, batch_state::uploading, "next"), batch(7, batch_state::queued)}));
    CHECK_FALSE(
        usable({5, 6}, {batch(5, batch_state::uploading, "next"), batch(6, batch_state::queued)}));
    CHECK_FALSE(usable({5, 6}, {batch(5, batch_state::uploading, "next"),
                                batch(6, batch_state::uploading, "other")}));
    CHECK_FALSE(usable({}, {batch(5, batch_state::queued)}));
    CHECK_FALSE(usable({5}, {}));
}

TEST_CASE("staged group: another attempt uploading behind it forbids it") {
    CHECK_FALSE(usable({5}, {batch(5, batch_state::uploading, "next"),
                             batch(6, batch_state::uploading, "later")}));
}

namespace {

replica::outbox_batch queued(std::int64_t id, std::vector<replica::outbox_op> ops) {
    replica::outbox_batch b = batch(id, batch_state::queued);
    b.ops = std::move(ops);
    return b;
}

replica::outbox_op write(std::string key, std::optional<std::string> value) {
    return {.seq = 0,
            .write = {.key = std::move(key), .value = std::move(value)},
            .upload_version = {}};
}

engine::upload_decision decide(const std::vector<replica::outbox_batch>& pending,
                               std::optional<engine::upload_group> staged = std::nullopt) {
    std::uint64_t n = 0;
    return engine::next_upload(pending, std::move(staged), "bucket", "manifest.json",
                               [&n] { return ++n; });
}

engine::upload_group staged_group(std::vector<std::int64_t> ids) {
    engine::upload_group g;
    g.batch_ids = std::move(ids);
    g.attempt = "next";
    return g;
}

}  // namespace

TEST_CASE("next upload: nothing queued is idle") {
    CHECK(std::holds_alternative<engine::upload_do::idle>(decide({})));
}

TEST_CASE("next upload: queued batches make one group from the front, content to PUT") {
    const auto d =
        decide({queued(3, {write("a", "1")}), queued(4, {write("a", "2"), write("b", {})})});
    REQUIRE(std::holds_alternative<engine::upload_do::upload>(d));
    const auto& group = std::get<engine::upload_do::upload>(d).group;
    CHECK(group.batch_ids == std::vector<std::int64_t>{3, 4});
    CHECK(group.attempt.empty());  // not marked yet: the driver marks it before any PUT
    // One content PUT for a (its last value), none for the delete of b; both in the update.
    REQUIRE(group.prepared.puts.size() == 1);
    CHECK(group.prepared.puts[0].body == "2");
    CHECK(group.prepared.update.size() == 2);
}

TEST_CASE("next upload: a usable staged group commits; otherwise batches uploading recover") {
    const std::vector<replica::outbox_batch> pending{batch(5, batch_state::uploading, "next"),
                                                     queued(6, {write("a", "1")})};
    const auto d = decide(pending, staged_group({5}));
    REQUIRE(std::holds_alternative<engine::upload_do::commit_staged>(d));
    CHECK(std::get<engine::upload_do::commit_staged>(d).group.batch_ids ==
          std::vector<std::int64_t>{5});

    // No staged group (a restart), or one that may not commit: settle the uploading batch
    // before anything behind it goes up.
    CHECK(std::holds_alternative<engine::upload_do::recover>(decide(pending)));
    const std::vector<replica::outbox_batch> older{batch(4, batch_state::uploading, "previous"),
                                                   batch(5, batch_state::uploading, "next")};
    CHECK(std::holds_alternative<engine::upload_do::recover>(decide(older, staged_group({5}))));
}

TEST_CASE("next upload: a front batch that can never be written is dropped, not retried") {
    const auto d =
        decide({queued(9, {write("manifest.json", "1")}), queued(10, {write("a", "1")})});
    REQUIRE(std::holds_alternative<engine::upload_do::drop_front>(d));
    CHECK(std::get<engine::upload_do::drop_front>(d).batch_id == 9);
    CHECK(std::get<engine::upload_do::drop_front>(d).why.code ==
          make_error_code(errc::invalid_argument));
}

TEST_CASE("next upload: a group that writes nothing is confirmed without a PUT") {
    const auto d = decide({queued(2, {})});
    REQUIRE(std::holds_alternative<engine::upload_do::complete_empty>(d));
    CHECK(std::get<engine::upload_do::complete_empty>(d).batch_ids == std::vector<std::int64_t>{2});
}
