// apply_remote: which remote changes become visible change rows, and the shadowing rule for
// keys with queued local writes (kv changes, the view and the log do not, until the overlay
// goes away).
#include "replica/replica.hpp"
#include "replica_test_support.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

using namespace mps3::replica;
using mps3::change_origin;
using mps3::write_op;

namespace {

using mps3::replica::testing::temp_dir;

replica open_replica(const temp_dir& dir) {
    auto r = replica::open(dir.path / "store.db");
    REQUIRE(r.has_value());
    return std::move(*r);
}

remote_change rput(std::string key, std::string value, std::string version) {
    return {std::move(key), confirmed_value{std::move(value), std::move(version), "b", ""}};
}
remote_change rdel(std::string key) {
    return {std::move(key), std::nullopt};
}

std::vector<change> apply(replica& r, std::vector<remote_change> diff) {
    auto out = r.apply_remote(diff);
    REQUIRE(out.has_value());
    return std::move(*out);
}

}  // namespace

TEST_CASE("replica remote: visible changes, and only those, are logged") {
    temp_dir dir;
    auto r = open_replica(dir);

    auto c = apply(r, {rput("a", "1", "v1")});
    REQUIRE(c.size() == 1);
    CHECK(c[0].key == "a");
    CHECK(c[0].old_value == std::nullopt);
    CHECK(c[0].new_value == "1");
    CHECK(c[0].version == "v1");
    CHECK(c[0].origin == change_origin::remote);
    CHECK(c[0].batch_id == std::nullopt);

    CHECK(apply(r, {rput("a", "1", "v1")}).empty());  // the same version again: nothing

    c = apply(r, {rput("a", "1", "v2")});  // rewritten with the same value: still a write
    REQUIRE(c.size() == 1);
    CHECK(c[0].old_value == "1");
    CHECK(c[0].new_value == "1");
    CHECK(c[0].version == "v2");

    c = apply(r, {rdel("a")});  // remote deletes are notified
    REQUIRE(c.size() == 1);
    CHECK(c[0].old_value == "1");
    CHECK(c[0].new_value == std::nullopt);
    CHECK(c[0].version == std::nullopt);

    CHECK(apply(r, {rdel("a"), rdel("never-existed")}).empty());

    // Several changes to one key in one diff: the last wins, one row, from the first old value.
    c = apply(r, {rput("d", "1", "x1"), rput("d", "2", "x2"), rput("e", "5", "y")});
    REQUIRE(c.size() == 2);
    CHECK(c[0].key == "d");
    CHECK(c[0].old_value == std::nullopt);
    CHECK(c[0].new_value == "2");
    CHECK(c[1].key == "e");
    CHECK(r.get("d").value() == entry{"d", "2", "x2", false});

    // What apply_remote returned is exactly what the log holds.
    auto log = r.changes_since(0, 100).value();
    REQUIRE(log.size() == 5);  // a: put, rewrite, delete; then d and e
    CHECK(log[3] == c[0]);
    CHECK(log[4] == c[1]);
}

TEST_CASE("replica remote: a key with a pending local write is shadowed") {
    temp_dir dir;
    auto r = open_replica(dir);
    apply(r, {rput("k", "0", "v0"), rput("other", "o", "vo")});
    const auto b = r.enqueue_local_write(std::vector<write_op>{{"k", "mine"}}).value();
    const auto before = r.change_bounds().value().newest;

    // The remote change lands in kv, but the view and the change log do not move: the
    // subscriber already saw "mine" and must not see a flicker to "theirs" and back.
    auto c = apply(r, {rput("k", "theirs", "v1"), rput("other", "o2", "vo2")});
    REQUIRE(c.size() == 1);
    CHECK(c[0].key == "other");
    CHECK(r.get("k").value() == entry{"k", "mine", std::nullopt, true});
    auto files = r.confirmed_files().value();
    REQUIRE(files.size() == 2);
    CHECK(files[0] == confirmed_file{"k", "b", "v1", ""});

    // Even a remote delete of a shadowed key stays silent.
    CHECK(apply(r, {rdel("k")}).empty());
    CHECK(r.get("k").value() == entry{"k", "mine", std::nullopt, true});
    CHECK(r.change_bounds().value().newest == before + 1);

    // Our upload lands after that delete (our entry is newer): the engine confirms our
    // version; the view goes from pending "mine" to confirmed "mine" without an event.
    auto done = r.complete_upload(std::vector{b.batch_id}, std::vector{rput("k", "mine", "vm")});
    REQUIRE(done.has_value());
    CHECK(done->empty());
    CHECK(r.get("k").value() == entry{"k", "mine", "vm", false});

    // The syncer later sees our own entry: same version, nothing to tell.
    CHECK(apply(r, {rput("k", "mine", "vm")}).empty());
}

TEST_CASE("replica remote: a shadowed key whose remote value was the winner shows it later") {
    temp_dir dir;
    auto r = open_replica(dir);
    const auto b = r.enqueue_local_write(std::vector<write_op>{{"k", std::nullopt}}).value();
    CHECK(r.get("k").value() == std::nullopt);
    CHECK(apply(r, {rput("k", "2", "v2")}).empty());  // shadowed by the pending delete
    CHECK(r.get("k").value() == std::nullopt);

    // Our delete was committed before their put in entry order: the bucket holds theirs.
    auto done = r.complete_upload(std::vector{b.batch_id}, {});
    REQUIRE(done.has_value());
    REQUIRE(done->size() == 1);
    CHECK((*done)[0].old_value == std::nullopt);
    CHECK((*done)[0].new_value == "2");
    CHECK((*done)[0].version == "v2");
    CHECK((*done)[0].origin == change_origin::remote);
}

TEST_CASE("replica remote: meta is written in the same transaction as the diff") {
    temp_dir dir;
    auto r = open_replica(dir);
    const std::vector<std::pair<std::string, std::string>> meta = {
        {std::string(meta_key::newest_entry_key), "manifest.json@2bnrlpade_abc_vv"},
        {std::string(meta_key::marker_etag), "\"etag-1\""}};
    REQUIRE(r.apply_remote(std::vector{rput("a", "1", "v")}, meta).has_value());
    CHECK(r.get_meta(meta_key::newest_entry_key).value() == "manifest.json@2bnrlpade_abc_vv");
    CHECK(r.get_meta(meta_key::marker_etag).value() == "\"etag-1\"");
    // An empty diff can still move the sync position (a poll that changed nothing).
    const std::vector<std::pair<std::string, std::string>> etag2 = {
        {std::string(meta_key::marker_etag), "\"etag-2\""}};
    CHECK(r.apply_remote({}, etag2).value().empty());
    CHECK(r.get_meta(meta_key::marker_etag).value() == "\"etag-2\"");
}

TEST_CASE("replica remote: confirmed files keep bucket and replication as found") {
    temp_dir dir;
    auto r = open_replica(dir);
    std::vector<remote_change> diff = {
        {"z", confirmed_value{"1", "vz", "bucket-1", ""}},
        {"a/b", confirmed_value{"2", "va", "bucket-1", std::nullopt}},
        {"m", confirmed_value{"3", "vm", "bucket-2", "rep"}},
    };
    REQUIRE(r.apply_remote(diff).has_value());
    // A pending local write does not appear: files is the confirmed state only.
    REQUIRE(r.enqueue_local_write(std::vector<write_op>{{"pending", "1"}}).has_value());
    CHECK(r.confirmed_files().value() ==
          std::vector<confirmed_file>{{"a/b", "bucket-1", "va", std::nullopt},
                                      {"m", "bucket-2", "vm", "rep"},
                                      {"z", "bucket-1", "vz", ""}});
}
