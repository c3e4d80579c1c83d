// RFC 7386 merge patch and its inverse on any pair of JSON values, given as one array
// [target, patch] so that seeds stay readable.
//
// Invariants: merge_patch is idempotent (a patch applied twice gives what it gave once); the
// result serialises and stays within the parser's depth limit; diff(target, result), when it
// succeeds, is a patch that takes target to result, and it fails only when result holds a null
// inside an object (which a merge patch cannot express).
#include "fuzz_check.hpp"

#include "json/merge_patch.hpp"

#include <cstddef>
#include <cstdint>

namespace {

using mps3::fuzz::to_json;

// A null member anywhere: what diff cannot carry inside an object of its patch.
bool has_null_member(const rapidjson::Value& v) {
    if (v.IsArray()) {
        for (const auto& item : v.GetArray()) {
            if (has_null_member(item)) {
                return true;
            }
        }
    } else if (v.IsObject()) {
        for (const auto& m : v.GetObject()) {
            if (m.value.IsNull() || has_null_member(m.value)) {
                return true;
            }
        }
    }
    return false;
}

rapidjson::Document merged(const rapidjson::Value& target, const rapidjson::Value& patch) {
    rapidjson::Document out;
    out.CopyFrom(target, out.GetAllocator());
    mps3::json::merge_patch(out, patch, out.GetAllocator());
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto doc = mps3::json::parse(mps3::fuzz::as_text(data, size));
    if (!doc || !doc->IsArray() || doc->Size() != 2) {
        return 0;
    }
    const rapidjson::Value& target = (*doc)[0];
    const rapidjson::Value& patch = (*doc)[1];
    // Equality of objects with a name given twice depends on which member the lookup finds.
    if (mps3::fuzz::has_duplicate_names(*doc)) {
        return 0;
    }

    const rapidjson::Document once = merged(target, patch);
    const rapidjson::Document twice = merged(once, patch);
    FUZZ_CHECK(twice == once);
    // The result is never deeper than its inputs, so it reads back under the same limit.
    const auto reread = mps3::json::parse(to_json(once));
    FUZZ_CHECK(reread.has_value() && *reread == once);

    auto patch_back = mps3::json::diff(target, once);
    if (!patch_back) {
        FUZZ_CHECK(has_null_member(once));
        return 0;
    }
    FUZZ_CHECK(merged(target, *patch_back) == once);
    // Nothing to change: the empty patch, which changes nothing.
    auto none = mps3::json::diff(once, once);
    FUZZ_CHECK(none.has_value() && merged(once, *none) == once);
    return 0;
}
