// apply_update is the typed shortcut for merge_patch(state, {"files": update}); the cross-check
// below holds it to the RFC 7386 implementation on every combination of cases.
#include "protocol/manifest_state.hpp"

#include "json/document.hpp"
#include "json/merge_patch.hpp"
#include "protocol/entry_body.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace mps3::protocol;

TEST_CASE("apply_update: puts, deletes, replication kept when the patch has none") {
    manifest_state state = {{"b/k1", {"1", ""}}, {"b/k2", {"2", "r"}}, {"b/k3", {"3", {}}}};
    apply_update(state, {{"b/k1", std::nullopt},
                         {"b/k2", file_state{"2b", std::nullopt}},
                         {"b/k3", file_state{"3b", ""}},
                         {"b/k4", file_state{"4", ""}},
                         {"b/missing", std::nullopt}});
    CHECK(state ==
          manifest_state{{"b/k2", {"2b", "r"}}, {"b/k3", {"3b", ""}}, {"b/k4", {"4", ""}}});
    apply_update(state, {});
    CHECK(state.size() == 3);
}

TEST_CASE("apply_update agrees with json::merge_patch") {
    // Every pairing of a base member (absent / with / without replication) with a patch member
    // (absent / delete / with / without replication).
    const std::vector<std::optional<file_state>> bases = {
        std::nullopt, file_state{"a", ""}, file_state{"a", "x"}, file_state{"a", std::nullopt}};
    const std::vector<std::optional<std::optional<file_state>>> patches = {
        std::nullopt,                 // not in the update
        std::optional<file_state>{},  // null: delete
        std::optional<file_state>{file_state{"b", ""}},
        std::optional<file_state>{file_state{"b", std::nullopt}},
    };
    for (const auto& base : bases) {
        for (const auto& patch : patches) {
            manifest_state state;
            if (base) {
                state.emplace("b/k", *base);
            }
            manifest_update update;
            if (patch) {
                update.emplace("b/k", *patch);
            }
            // The JSON way: {"files": state} patched by {"files": update}.
            auto doc = mps3::json::parse(serialize_entry_body(state, update).value()).value();
            rapidjson::Document target;
            target.SetObject();
            target.AddMember(
                "files", rapidjson::Value(doc.FindMember("files")->value, target.GetAllocator()),
                target.GetAllocator());
            mps3::json::merge_patch(target, doc.FindMember("update")->value, target.GetAllocator());

            apply_update(state, update);
            const auto typed = mps3::json::parse(serialize_entry_body(state, {}).value()).value();
            CHECK(target.FindMember("files")->value == typed.FindMember("files")->value);
        }
    }
}
