// What the replica's confirmed state (its kv table) holds, key -> file, mirrored in memory: a
// poll diffs the freshly resolved state against it instead of reading every row of kv (at
// 100,000 keys that read cost more than the rest of the poll). Sans-io.
//
// The mirror is exact or absent: kv is written only by apply_remote and complete_upload, and
// the engine records each of them here after it committed; after a failed write (the
// transaction may or may not have reached the file) it forgets, and the next poll reloads
// from the replica.
#pragma once

#include "protocol/manifest_state.hpp"
#include "replica/types.hpp"

#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mps3::engine {

/// What a poll must do to make kv hold the resolved state.
struct apply_plan {
    std::vector<std::string> deleted;  // in kv, no longer in the state
    /// New or changed keys, in key order; the pointers are into the state given.
    std::vector<std::pair<std::string, const protocol::file_state*>> to_fetch;
};

class applied_files {
  public:
    [[nodiscard]] bool loaded() const { return loaded_; }
    [[nodiscard]] std::size_t size() const { return files_.size(); }

    /// Takes the replica's confirmed state (confirmed_files()).
    void load(const std::vector<replica::confirmed_file>& rows);
    /// The replica may differ from the mirror now: reload before the next diff.
    void forget();

    /// What kv must take to hold the state's keys of `bucket` (refs "<bucket>/<key>"; refs
    /// into other buckets are not keys of this store). One merge walk: the bucket's refs are
    /// one contiguous, key-ordered range of the state (a bucket name has no '/'), so no map is
    /// built, nothing is looked up, and nothing touches SQLite.
    [[nodiscard]] apply_plan diff(const protocol::manifest_state& state,
                                  std::string_view bucket) const;

    /// kv took these changes (in order: the last one per key wins, as in the replica).
    void record(std::span<const replica::remote_change> changes);

  private:
    bool loaded_ = false;
    std::map<std::string, protocol::file_state, std::less<>> files_;
};

}  // namespace mps3::engine
