// How a reader computes the state from a listing (BUCKET_FORMAT.md section 6), as pure
// functions. The engine drives it in two steps, because which bodies to fetch depends on the
// listing alone:
//
//   1. LIST prefix entry_prefix(M), start-after listing_start_after(M, server_now), all pages;
//   2. plan = plan_resolve(M, listing): classification, latest, replay set, GC candidates;
//   3. GET the body of every key in plan.replay (immutable: cache by key) and parse_entry_body;
//      a body that does not parse: add its key to `unreadable` and plan again (the latest may
//      change, and with it the window). A 404 means another client collected it: list again;
//   4. state = resolve(&body of plan.latest, bodies of plan.replay in order);
//   5. optionally DELETE plan.garbage.
#pragma once

#include "protocol/entry_body.hpp"
#include "protocol/entry_key.hpp"
#include "protocol/manifest_state.hpp"
#include "protocol/timestamp.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mps3::protocol {

/// One object of the LIST response.
struct listed_object {
    std::string key;
    std::optional<timestamp> last_modified;  // nullopt: the listing had none (see entry_status)
};

enum class entry_status {
    valid,         // matches the pattern and |ts - LastModified| < validity_window
    no_timestamp,  // matches the pattern but the stamp digits give no time (NaN for MPS3)
    clock_skew,    // |ts - LastModified| >= validity_window: written with a wrong clock
    unreadable,    // a valid key whose body the caller could not parse
};

struct classified_entry {
    entry_key key;
    std::optional<timestamp> last_modified;
    entry_status status = entry_status::valid;
};

struct resolve_plan {
    /// Every entry of the manifest in the listing, newest first (reader order).
    std::vector<classified_entry> entries;
    /// Listed objects under the prefix that are not entries of this manifest: other manifests'
    /// entries, content of a key named like the manifest, junk. Counted, never touched.
    std::size_t foreign = 0;
    /// The newest valid entry; nullopt when there is none and the state is empty.
    std::optional<entry_key> latest;
    /// Valid entries with ts > ts(latest) - replay_window, oldest first, latest last: the bodies
    /// to fetch and the updates to replay.
    std::vector<entry_key> replay;
    /// What may be deleted: entries invalid forever (clock_skew, no_timestamp) and valid or
    /// unreadable entries older than the replay window, which latest.files already holds.
    /// Never foreign objects, never an entry in or above the window.
    std::vector<entry_key> garbage;
};

/// Classifies the listing of manifest_key (any order, any page size, foreign keys allowed) and
/// computes latest, replay and garbage. An entry listed without LastModified is not checked
/// against it, as MPS3 does (S3 listings always carry it). Keys in `unreadable` are entries whose
/// body failed to parse: they are neither latest nor replayed.
resolve_plan plan_resolve(std::string_view manifest_key, std::span<const listed_object> listing,
                          std::span<const std::string> unreadable = {});

/// The state: latest.files with each replay update applied in order (the replay set ends with
/// latest itself, whose own update is not in its files). `replay` holds the bodies of
/// plan.replay in that order (null pointers are skipped). No latest (nullptr): the empty state.
manifest_state resolve(const entry_body* latest, std::span<const entry_body* const> replay);

}  // namespace mps3::protocol
