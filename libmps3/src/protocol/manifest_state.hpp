// The state a manifest describes (content ref -> file version) and the update an entry applies
// to it: the typed form of the JSON merge patch "update.files" (BUCKET_FORMAT.md section 4).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace mps3::protocol {

/// One member of "files": which immutable content object holds the key's value.
struct file_state {
    std::string version;
    /// MPS3's experimental field, kept as found: absent stays absent, "" stays "". Only string
    /// values are understood; the entry parser drops (and warns about) others.
    std::optional<std::string> replication;

    friend bool operator==(const file_state&, const file_state&) = default;
};

/// "files": content ref ("<bucket>/<key>") -> file. Ordered, so serialisation is deterministic.
using manifest_state = std::map<std::string, file_state, std::less<>>;

/// "update.files": content ref -> the new file, or nullopt for a delete (JSON null).
using manifest_update = std::map<std::string, std::optional<file_state>, std::less<>>;

/// state = merge_patch(state, update), restricted to the shape entries have: a null deletes the
/// ref; an object replaces the version and, when it carries one, the replication (a patch
/// object without replication keeps the old one, as RFC 7386 merges objects member by member).
void apply_update(manifest_state& state, const manifest_update& update);

}  // namespace mps3::protocol
