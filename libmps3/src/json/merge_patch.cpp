#include "json/merge_patch.hpp"

#include <string>

namespace mps3::json {
namespace {

// Erase, not RemoveMember: RemoveMember moves the last member into the hole, reordering the
// object. Every duplicate of the name goes, so that "null deletes the member" holds even for
// documents that repeat a name (RapidJSON keeps duplicates; JavaScript keeps the last one).
void erase_all(rapidjson::Value& object, const rapidjson::Value& name) {
    auto it = object.FindMember(name);
    while (it != object.MemberEnd()) {
        object.EraseMember(it);
        it = object.FindMember(name);
    }
}

// True when a copy of value, used as a patch member, would lose a null somewhere: nulls are
// deletions at every object level a patch descends into. Arrays are replaced whole, so nulls
// below an array survive and are not looked at.
bool has_null_member(const rapidjson::Value& value) {
    if (!value.IsObject()) {
        return false;
    }
    for (const auto& member : value.GetObject()) {
        if (member.value.IsNull() || has_null_member(member.value)) {
            return true;
        }
    }
    return false;
}

// Fills patch (already an object) with the members that turn `from` (an object) into `to` (an
// object). Returns false when `to` needs a null no patch can carry.
bool diff_objects(const rapidjson::Value& from, const rapidjson::Value& to, rapidjson::Value& patch,
                  rapidjson::Value::AllocatorType& allocator) {
    for (const auto& member : from.GetObject()) {
        if (!to.HasMember(member.name)) {
            patch.AddMember(rapidjson::Value(member.name, allocator), rapidjson::Value(),
                            allocator);
        }
    }
    for (const auto& member : to.GetObject()) {
        const auto old = from.FindMember(member.name);
        if (old != from.MemberEnd() && old->value == member.value) {
            continue;
        }
        if (member.value.IsNull()) {
            return false;  // set-to-null (or new null member): not expressible
        }
        rapidjson::Value value;
        if (old != from.MemberEnd() && old->value.IsObject() && member.value.IsObject()) {
            value.SetObject();
            if (!diff_objects(old->value, member.value, value, allocator)) {
                return false;
            }
        } else {
            if (has_null_member(member.value)) {
                return false;
            }
            value.CopyFrom(member.value, allocator);
        }
        patch.AddMember(rapidjson::Value(member.name, allocator), value, allocator);
    }
    return true;
}

}  // namespace

void merge_patch(rapidjson::Value& target, const rapidjson::Value& patch,
                 rapidjson::Value::AllocatorType& allocator) {
    if (!patch.IsObject()) {
        target.CopyFrom(patch, allocator);
        return;
    }
    if (!target.IsObject()) {
        target.SetObject();
    }
    for (const auto& member : patch.GetObject()) {
        if (member.value.IsNull()) {
            erase_all(target, member.name);
            continue;
        }
        auto existing = target.FindMember(member.name);
        if (existing == target.MemberEnd()) {
            // MergePatch(undefined, value) is value with its null members stripped, at every
            // object level: merging into a fresh null does exactly that.
            rapidjson::Value fresh;
            merge_patch(fresh, member.value, allocator);
            target.AddMember(rapidjson::Value(member.name, allocator), fresh, allocator);
        } else {
            merge_patch(existing->value, member.value, allocator);
        }
    }
}

result<rapidjson::Document> diff(const rapidjson::Value& from, const rapidjson::Value& to) {
    rapidjson::Document patch;
    if (from.IsObject() && to.IsObject()) {
        patch.SetObject();
        if (!diff_objects(from, to, patch, patch.GetAllocator())) {
            return error(errc::invalid_argument,
                         "target holds a null member, which a merge patch cannot set");
        }
        return patch;
    }
    if (has_null_member(to)) {
        return error(errc::invalid_argument,
                     "target holds a null member, which a merge patch cannot set");
    }
    patch.CopyFrom(to, patch.GetAllocator());
    // The allocator travels with the moved document; the analyzer does not follow RapidJSON's
    // move constructor through result's variant.
    return patch;  // NOLINT(clang-analyzer-cplusplus.NewDeleteLeaks)
}

}  // namespace mps3::json
