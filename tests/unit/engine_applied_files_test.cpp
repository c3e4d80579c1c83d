// The in-memory mirror of the replica's confirmed state that polls diff against: the plan
// must be exactly what comparing with every kv row would give.
#include "engine/applied_files.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace mps3;

namespace {

replica::confirmed_file row(std::string key, std::string version,
                            std::optional<std::string> replication = std::string()) {
    return {std::move(key), "b", std::move(version), std::move(replication)};
}

replica::remote_change put(std::string key, std::string version) {
    return {std::move(key), replica::confirmed_value{"1", std::move(version), "b", ""}};
}

std::vector<std::string> keys_of(const engine::apply_plan& plan) {
    std::vector<std::string> out;
    for (const auto& [key, file] : plan.to_fetch) {
        out.push_back(key + "@" + file->version);
    }
    return out;
}

}  // namespace

TEST_CASE("applied_files: new, rewritten, deleted and unchanged keys") {
    engine::applied_files applied;
    CHECK_FALSE(applied.loaded());
    applied.load({row("a", "1"), row("b", "1"), row("c", "1"), row("e", "1")});
    REQUIRE(applied.loaded());

    const protocol::manifest_state state = {{"b/a", {"1", ""}},  {"b/b", {"2", ""}},
                                            {"b/d", {"1", ""}},  {"b/e", {"1", std::nullopt}},
                                            {"bb/c", {"1", ""}},  // another bucket's "c"
                                            {"a/z", {"1", ""}}};
    const auto plan = applied.diff(state, "b");
    CHECK(plan.deleted == std::vector<std::string>{"c"});
    // e: same version, but the replication field went from "" to absent: a rewrite.
    CHECK(keys_of(plan) == std::vector<std::string>{"b@2", "d@1", "e@1"});
}

TEST_CASE("applied_files: empty sides") {
    engine::applied_files applied;
    applied.load({});
    const protocol::manifest_state one = {{"b/k", {"v", ""}}};
    CHECK(keys_of(applied.diff(one, "b")) == std::vector<std::string>{"k@v"});
    CHECK(applied.diff({}, "b").deleted.empty());
    CHECK(applied.diff(one, "other").to_fetch.empty());
    applied.load({row("k", "v")});
    CHECK(applied.diff({}, "b").deleted == std::vector<std::string>{"k"});
    CHECK(applied.diff(one, "b").to_fetch.empty());
    // "b/" names no key: neither fetched nor a reason to delete anything.
    const protocol::manifest_state odd = {{"b/", {"v", ""}}, {"b/k", {"v", ""}}};
    const auto plan = applied.diff(odd, "b");
    CHECK(plan.to_fetch.empty());
    CHECK(plan.deleted.empty());
}

TEST_CASE("applied_files: recording what kv took makes the next diff empty") {
    engine::applied_files applied;
    applied.load({row("a", "1"), row("gone", "1")});
    const std::vector<replica::remote_change> changes = {
        put("a", "2"), put("new", "1"), {"gone", std::nullopt}, put("a", "3")};  // last wins
    applied.record(changes);
    CHECK(applied.size() == 2);
    const protocol::manifest_state state = {{"b/a", {"3", ""}}, {"b/new", {"1", ""}}};
    const auto plan = applied.diff(state, "b");
    CHECK(plan.deleted.empty());
    CHECK(plan.to_fetch.empty());
}

TEST_CASE("applied_files: forgotten means reload, and records are not taken meanwhile") {
    engine::applied_files applied;
    applied.load({row("a", "1")});
    applied.forget();
    CHECK_FALSE(applied.loaded());
    applied.record(std::vector<replica::remote_change>{put("b", "1")});
    CHECK(applied.size() == 0);
}
