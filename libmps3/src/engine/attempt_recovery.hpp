// Settling an upload attempt that was interrupted (a crash, a lost entry answer, a LIST that
// failed: docs/durability.md "Recovery") as a sans-io state machine. The attempt's batches are
// "uploading" with the entry keys it may have PUT noted; the attempt committed iff one of those
// keys is listed as a valid entry whose body writes exactly what the attempt chose (an entry key
// is never reused by anyone, but a server may store a PUT cut off mid-body, which readers skip).
// The machine says "LIST this key", "GET it", and ends with: landed (confirm these changes),
// not landed (requeue: upload again), or undecided (a LIST or GET failed: try next round).
// A noted key that is not listed may have been collected (garbage collection deletes valid
// entries 5 s older than the newest, their updates folded into it: durability.md, gap 1); then
// the machine asks for the bucket's current state, and a key of ours that still holds a version
// this attempt chose (a fresh random id no one else can name) proves the entry landed.
// store::impl::async_recover_attempts performs; tests/unit/engine_attempt_recovery_test drives it.
#pragma once

#include "protocol/manifest_state.hpp"
#include "protocol/timestamp.hpp"
#include "replica/types.hpp"

#include <mps3/result.hpp>

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mps3::engine {

namespace recover_do {
struct list_entry {  // LIST prefix=key, max-keys=1; answer with on_listed
    std::string_view entry_key;
};
struct get_entry {  // answer with on_got
    std::string_view entry_key;
};
struct resolve_state {};  // read the bucket's current state; answer with on_resolved
struct landed {           // the entry is in the bucket: complete the batches with these changes
    std::vector<replica::remote_change> confirmed;
};
struct not_landed {};  // no noted key holds this attempt's entry: requeue the batches
struct undecided {     // a LIST or GET failed: leave the batches, try again next round
    error why;
};
}  // namespace recover_do

using recover_step =
    std::variant<recover_do::list_entry, recover_do::get_entry, recover_do::resolve_state,
                 recover_do::landed, recover_do::not_landed, recover_do::undecided>;

/// The outbox's uploading batches grouped by attempt, each group in id order.
std::map<std::string, std::vector<const replica::outbox_batch*>> uploading_attempts(
    std::span<const replica::outbox_batch> pending);

class attempt_recovery {
  public:
    /// batches: one attempt's, in id order (they share its noted entry keys). bucket: the
    /// store's, for the content refs of the entry.
    attempt_recovery(std::span<const replica::outbox_batch* const> batches, std::string bucket,
                     std::string manifest_key);

    recover_step start();
    recover_step on_listed(const result<std::optional<protocol::timestamp>>& last_modified);
    recover_step on_got(const result<std::string>& body);
    /// files: the manifest's whole current state (content ref -> file).
    recover_step on_resolved(const result<protocol::manifest_state>& files);

    /// Set when a noted key held an entry that is not this attempt's (or not readable).
    [[nodiscard]] const std::optional<std::string>& foreign_entry() const { return foreign_; }
    [[nodiscard]] const std::vector<std::int64_t>& batch_ids() const { return batch_ids_; }

  private:
    recover_step next_key();
    [[nodiscard]] bool entry_applies(std::string_view body) const;
    [[nodiscard]] recover_do::landed confirmed() const;

    // Per key, the last op of the attempt's batches: its value (nullopt: a delete) and the
    // version the attempt chose for it.
    struct chosen {
        std::optional<std::string> value;
        std::string version;
    };
    std::map<std::string, chosen> last_;
    std::vector<std::int64_t> batch_ids_;
    std::vector<std::string> entry_keys_;
    std::string bucket_;
    std::string manifest_key_;
    std::size_t next_ = 0;  // the next noted key to look at
    std::string current_;   // the key being looked at
    std::optional<protocol::timestamp> current_ts_;
    std::optional<std::string> foreign_;
    bool unlisted_ = false;  // a noted key was not listed: its entry may have been collected
};

}  // namespace mps3::engine
