// RFC 7386 JSON merge patch on RapidJSON values. The manifest's "update" member is a merge patch,
// so this is the reference semantics every typed shortcut in protocol/ must agree with.
#pragma once

#include <mps3/result.hpp>

#include <rapidjson/document.h>

namespace mps3::json {

/// MergePatch(target, patch) of RFC 7386 section 2, in place: a non-object patch replaces the
/// target; an object patch turns a non-object target into {}, deletes the members whose patch
/// value is null and merges the others recursively. Values taken from patch are deep-copied with
/// allocator (the allocator of the document that owns target). Member order of target is kept;
/// new members are appended in patch order. Recursion depth is bounded by the depth of patch.
void merge_patch(rapidjson::Value& target, const rapidjson::Value& patch,
                 rapidjson::Value::AllocatorType& allocator);

/// A patch p such that merge_patch(from, p) gives a value equal to `to`: members of `to` equal in
/// `from` are left out, members gone from `to` become null, objects on both sides are diffed
/// recursively, anything else is copied whole. Fails with errc::invalid_argument when `to` holds a
/// null member that would have to travel inside an object of the patch: a merge patch cannot
/// express "set to null" there (null means delete), RFC 7386 section 1.
result<rapidjson::Document> diff(const rapidjson::Value& from, const rapidjson::Value& to);

}  // namespace mps3::json
