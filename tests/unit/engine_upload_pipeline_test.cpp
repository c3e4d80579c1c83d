// The pipelining rule: a staged group commits only as the untouched front of the outbox.
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
