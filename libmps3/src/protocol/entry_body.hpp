// The manifest entry body {"files": {...}, "update": {"files": {...}}} (BUCKET_FORMAT.md
// section 4): a tolerant parser for what any client may have written, and a compact serializer.
#pragma once

#include "protocol/manifest_state.hpp"

#include <mps3/result.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mps3::protocol {

struct entry_body {
    manifest_state files;    // the writer's whole state just before its update
    manifest_update update;  // the update this entry applies

    /// Members that were skipped because nothing usable could be read from them (a file without
    /// a string version, an update that is not an object...): how many, and a description of the
    /// first few, for a log line. The rest of the entry is still used.
    std::size_t skipped = 0;
    std::vector<std::string> warnings;
};

/// How many skipped members get a description in entry_body::warnings.
inline constexpr std::size_t max_entry_warnings = 8;

/// Parses an entry body, compact or pretty-printed, ignoring members it does not know. Fails
/// with errc::invalid_argument when the text is not JSON, not an object, or has no object
/// "files": taking such an entry as the base state would silently empty the store. Within
/// "files" and "update" a member that cannot be used is skipped and counted, never fatal: a bad
/// member of files is left out of the state, a bad member of update leaves its ref as it was
/// (one stranger's bad member must not cost every other key). Duplicate names: the last wins,
/// as with JavaScript's JSON.parse.
///
/// max_refs bounds what a stranger's entry can make the reader hold: an entry whose "files" and
/// "update.files" name more members than that together fails with errc::too_large, counted on
/// the parsed document before any of them is copied out.
result<entry_body> parse_entry_body(std::string_view text,
                                    std::size_t max_refs = static_cast<std::size_t>(-1));

/// {"files":{...},"update":{"files":{...}}}, compact, files and update in ref order; each file as
/// {"version":...,"replication":...} (replication only when present). Fails with
/// errc::invalid_argument when a ref or version is not valid UTF-8: such bytes would make the
/// entry unreadable for every client.
result<std::string> serialize_entry_body(const manifest_state& files,
                                         const manifest_update& update);

}  // namespace mps3::protocol
