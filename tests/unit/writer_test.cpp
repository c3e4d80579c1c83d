// The writer's pure steps: coalescing (last op per key wins, batches never split), versions
// from injected randomness, content objects, the entry body, and session rotation.
#include "protocol/writer.hpp"

#include "protocol/entry_body.hpp"
#include "protocol/entry_key.hpp"

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <ostream>  // doctest prints std::error_code with it
#include <set>
#include <string>
#include <vector>

using namespace mps3::protocol;
using mps3::write_op;

namespace {

// 1, 2, 3, ...: distinct versions, predictable output.
random_source counting() {
    auto n = std::make_shared<std::uint64_t>(0);
    return [n] { return ++*n; };
}

write_op put(std::string key, std::string value) {
    return {std::move(key), std::move(value)};
}
write_op del(std::string key) {
    return {std::move(key), std::nullopt};
}

timestamp at(std::int64_t ms) {
    return timestamp(milliseconds(ms));
}

}  // namespace

TEST_CASE("uuid_v4: lower-case RFC 4122 version 4 layout") {
    CHECK(uuid_v4(0, 0) == "00000000-0000-4000-8000-000000000000");
    CHECK(uuid_v4(~0ULL, ~0ULL) == "ffffffff-ffff-4fff-bfff-ffffffffffff");
    CHECK(uuid_v4(0x0123456789abcdefULL, 0xfedcba9876543210ULL) ==
          "01234567-89ab-4def-bedc-ba9876543210");
    const auto u = uuid_v4(counting());
    CHECK(u.size() == 36);
    CHECK(u[14] == '4');
}

TEST_CASE("prepare_write: one batch") {
    const std::vector<write_batch> queue = {{7, {put("k1", R"({"a":1})"), del("k2")}}};
    const auto w = prepare_write("b1", "manifest.json", queue, counting());
    REQUIRE(w.has_value());
    CHECK(w->batch_ids == std::vector<std::uint64_t>{7});
    const auto v = uuid_v4(1, 2);
    CHECK(w->update == manifest_update{{"b1/k1", file_state{v, ""}}, {"b1/k2", std::nullopt}});
    REQUIRE(w->puts.size() == 1);
    CHECK(w->puts[0].object_key == "k1@" + v);
    CHECK(w->puts[0].body == R"({"a":1})");
}

TEST_CASE("prepare_write: the last op per key wins, in queue order") {
    const std::vector<write_batch> queue = {
        {1, {put("a", "1"), put("b", "1"), put("c", "1")}},
        {2, {del("a"), put("b", "2")}},
        {3, {put("c", "3"), put("c", "4"), del("d")}},  // within a batch too
        {4, {put("a", "5")}},
    };
    const auto w = prepare_write("b", "m", queue, counting());
    REQUIRE(w.has_value());
    CHECK(w->batch_ids == std::vector<std::uint64_t>{1, 2, 3, 4});
    REQUIRE(w->update.size() == 4);
    CHECK(w->update.at("b/d") == std::nullopt);
    std::map<std::string, std::string> bodies;
    for (const auto& p : w->puts) {
        bodies[p.object_key.substr(0, p.object_key.find('@'))] = p.body;
        // Each PUT's version is the one the update names.
        const auto version = p.object_key.substr(p.object_key.find('@') + 1);
        CHECK(w->update.at("b/" + p.object_key.substr(0, p.object_key.find('@')))->version ==
              version);
    }
    CHECK(bodies == std::map<std::string, std::string>{{"a", "5"}, {"b", "2"}, {"c", "4"}});
}

TEST_CASE("prepare_write: a put then a delete PUTs nothing") {
    const std::vector<write_batch> queue = {{1, {put("k", "\"big value\"")}}, {2, {del("k")}}};
    const auto w = prepare_write("b", "m", queue, counting());
    REQUIRE(w.has_value());
    CHECK(w->puts.empty());
    CHECK(w->update == manifest_update{{"b/k", std::nullopt}});
}

TEST_CASE("prepare_write: versions are fresh per key and per write") {
    std::vector<write_op> ops;
    ops.reserve(50);
    for (int i = 0; i < 50; ++i) {
        ops.push_back(put("k" + std::to_string(i), "1"));
    }
    const std::vector<write_batch> queue = {{1, ops}};
    const auto random = counting();
    const auto a = prepare_write("b", "m", queue, random);
    const auto b = prepare_write("b", "m", queue, random);
    std::set<std::string> versions;
    for (const auto* w : {&a, &b}) {
        REQUIRE(w->has_value());
        for (const auto& [ref, file] : (*w)->update) {
            versions.insert(file->version);
        }
    }
    CHECK(versions.size() == 100);
}

TEST_CASE("prepare_write: batches are never split; limits stop between batches") {
    const std::vector<write_batch> queue = {
        {1, {put("a", "1"), put("b", "1")}},
        {2, {put("c", "1"), put("d", "1")}},
        {3, {put("e", "1")}},
    };
    const auto w = prepare_write("b", "m", queue, counting(), {.max_keys = 3});
    REQUIRE(w.has_value());
    CHECK(w->batch_ids == std::vector<std::uint64_t>{1});  // 2 would make 4 keys
    const auto w2 =
        prepare_write("b", "m", std::span(queue).subspan(1), counting(), {.max_keys = 3});
    CHECK(w2->batch_ids == std::vector<std::uint64_t>{2, 3});
    // Rewriting keys already in the entry costs no key budget.
    const std::vector<write_batch> again = {{1, {put("a", "1"), put("b", "1")}},
                                            {2, {put("a", "2"), put("b", "2")}}};
    CHECK(prepare_write("b", "m", again, counting(), {.max_keys = 2})->batch_ids.size() == 2);
    // A first batch over the limits still goes, alone and whole.
    const auto big = prepare_write("b", "m", queue, counting(), {.max_keys = 1});
    CHECK(big->batch_ids == std::vector<std::uint64_t>{1});
    CHECK(big->update.size() == 2);
    // Byte limit.
    const std::vector<write_batch> heavy = {{1, {put("a", std::string(600, 'x'))}},
                                            {2, {put("b", std::string(600, 'x'))}}};
    CHECK(prepare_write("b", "m", heavy, counting(), {.max_bytes = 1000})->batch_ids.size() == 1);
    CHECK(prepare_write("b", "m", heavy, counting(), {.max_bytes = 1200})->batch_ids.size() == 2);
}

TEST_CASE("prepare_write: empty queue and empty batches make an empty update") {
    const auto none = prepare_write("b", "m", {}, counting());
    REQUIRE(none.has_value());
    CHECK(none->batch_ids.empty());
    CHECK(none->update.empty());
    const std::vector<write_batch> empties = {{1, {}}, {2, {}}};
    const auto w = prepare_write("b", "m", empties, counting());
    CHECK(w->batch_ids == std::vector<std::uint64_t>{1, 2});
    CHECK(w->update.empty());
}

TEST_CASE("prepare_write: invalid keys reject their batch, not the ones before") {
    for (const auto& bad : {std::string(), std::string("\xff"), std::string("a\xc3"),
                            std::string("\xed\xa0\x80"),  // a UTF-16 surrogate
                            std::string("\xc0\xaf"),      // overlong '/'
                            std::string("manifest.json"), std::string("manifest.json@x")}) {
        const std::vector<write_batch> first_bad = {{9, {put("ok", "1"), put(bad, "1")}},
                                                    {10, {put("fine", "1")}}};
        const auto w = prepare_write("b", "manifest.json", first_bad, counting());
        REQUIRE_FALSE(w.has_value());
        CHECK(w.err().code == mps3::errc::invalid_argument);
        CHECK(w.err().message.find("batch 9") != std::string::npos);

        const std::vector<write_batch> later_bad = {{1, {put("ok", "1")}}, {2, {put(bad, "1")}}};
        const auto w2 = prepare_write("b", "manifest.json", later_bad, counting());
        REQUIRE(w2.has_value());
        CHECK(w2->batch_ids == std::vector<std::uint64_t>{1});
    }
    // Keys that merely look alike are fine, as is any valid UTF-8.
    const std::vector<write_batch> fine = {
        {1,
         {put("manifest.json2", "1"), put("dir/manifest.json", "1"), put("manifest", "1"),
          put("\xc3\xa9t\xc3\xa9/\xf0\x9f\x98\x80 key", "1"), put("a@b", "1")}}};
    CHECK(prepare_write("b", "manifest.json", fine, counting())->update.size() == 5);
}

TEST_CASE("prepare_write + serialize_entry_body: files is the state without the update") {
    const manifest_state state = {{"b/old", {"1", ""}}, {"b/k", {"0", ""}}};
    const std::vector<write_batch> queue = {{1, {put("k", "2"), del("old"), put("new", "3")}}};
    const auto w = prepare_write("b", "m", queue, counting());
    REQUIRE(w.has_value());
    const auto body = parse_entry_body(serialize_entry_body(state, w->update).value());
    REQUIRE(body.has_value());
    CHECK(body->files == state);
    CHECK(body->update == w->update);
    manifest_state after = state;
    apply_update(after, w->update);
    CHECK(after.size() == 2);
    CHECK(after.count("b/old") == 0);
    CHECK(after.at("b/new").replication == "");
}

TEST_CASE("writer_session: counters, then a new session before they run out") {
    writer_session session("m", counting());  // first draw: 1 -> "001"
    CHECK(session.session() == "001");
    CHECK(session.next_key(at(0)) == "m@3vvvvvvvv_001_vv");
    CHECK(session.next_key(at(0)) == "m@3vvvvvvvv_001_vu");
    for (unsigned n = 2; n < session_entry_limit - 1; ++n) {
        session.next_key(at(0));
    }
    CHECK(session.next_key(at(1)) == "m@3vvvvvvvu_001_00");  // the 1024th
    CHECK(session.next_counter() == session_entry_limit);
    CHECK(session.next_key(at(2)) == "m@3vvvvvvvt_002_vv");  // rotated
    CHECK(session.session() == "002");
    CHECK(session.next_counter() == 1);
    // Every key the session produced parses as an entry.
    CHECK(parse_entry_key("m", session.next_key(at(3))).has_value());
}

TEST_CASE("writer_session: rotation never reuses the same id") {
    auto constant = [] { return std::uint64_t{0xabc}; };
    writer_session session("m", constant);
    for (unsigned n = 0; n < session_entry_limit; ++n) {
        session.next_key(at(0));
    }
    session.next_key(at(0));
    CHECK(session.session() == "abd");
}
