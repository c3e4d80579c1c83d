// Writing one group's manifest entry (docs/durability.md steps 4-7; BUCKET_FORMAT.md section 7)
// as a sans-io state machine: it decides, a thin coroutine (store::impl::async_commit_group)
// performs. The machine never touches the network, the replica or a clock: it says "read the
// bucket's state", "hold this long", "note this entry key", "PUT this entry", "GET it", "LIST
// it", and is told what came back, with the local time where a decision needs one. So every
// answer a server can give, in every order, is a unit test (tests/unit/engine_entry_commit_test).
//
// Its one output that matters is what to do with the group's batches when it finishes:
//   committed        the entry is in the bucket and valid: confirm the batches;
//   requeue          no entry of this group can be in the bucket and be read: upload again;
//   leave_uploading  an entry may have landed and its verdict is unknown (a lost answer, a
//                    LIST that failed): leave the batches "uploading" with their entry keys
//                    noted, and let recovery list those keys (requeueing would apply the same
//                    writes again over whatever others wrote in between).
#pragma once

#include "protocol/clock.hpp"
#include "protocol/manifest_state.hpp"
#include "protocol/writer.hpp"

#include <mps3/result.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace mps3::engine {

/// What the driver does next. String views point into the machine and stay valid until the
/// next call on it.
namespace commit_do {
struct read_state {};  // LIST + resolve the manifest; answer with on_state
struct hold {          // wait, then answer with on_held (whether still online)
    std::chrono::milliseconds delay;
};
struct note_key {  // record the entry key in the outbox before its PUT; answer with on_noted
    std::string_view entry_key;
};
struct put_entry {  // create-only PUT (If-None-Match: *); answer with on_put
    std::string_view entry_key;
    std::string_view body;
};
struct get_entry {  // GET the entry key (after 412: is it our own earlier try?); on_got
    std::string_view entry_key;
};
struct list_entry {  // LIST prefix=key, max-keys=1: its LastModified; answer with on_listed
    std::string_view entry_key;
};

enum class outcome { committed, requeue, leave_uploading };
struct finished {
    outcome result;
    std::optional<error> failure;  // why, unless committed
};
}  // namespace commit_do

using commit_step =
    std::variant<commit_do::read_state, commit_do::hold, commit_do::note_key, commit_do::put_entry,
                 commit_do::get_entry, commit_do::list_entry, commit_do::finished>;

/// How an entry PUT was answered: its clock sample, when the server sent a Date.
struct entry_put_answer {
    std::optional<protocol::clock_sample> sample;
};

class entry_commit {
  public:
    struct limits {
        int max_attempts = 5;  // entry keys tried (clock trouble, a racing writer) before requeue
        std::chrono::milliseconds max_put_time{2000};  // the validity forecast's PUT duration
    };
    /// The sans-io collaborators, owned by the caller and used for the machine's lifetime.
    struct context {
        const protocol::clock_estimator& clock;
        protocol::writer_session& session;
        std::optional<protocol::timestamp>& newest_seen;  // raised to the committed stamp
        std::function<void(const std::string&)> warn;     // may be empty
    };

    entry_commit(const protocol::manifest_update& update, context ctx, limits lim);

    commit_step start();
    /// The driver went offline or is closing instead of performing the step asked for.
    commit_step on_cancelled();
    commit_step on_state(const result<protocol::manifest_state>& files,
                         protocol::timestamp local_now);
    commit_step on_held(bool still_online);
    commit_step on_noted(const status& noted);
    commit_step on_put(const result<entry_put_answer>& put);
    commit_step on_got(const result<std::string>& body);
    /// The entry's LastModified as listed; nullopt when the listing does not show it.
    commit_step on_listed(const result<std::optional<protocol::timestamp>>& last_modified);

    [[nodiscard]] bool done() const { return done_; }
    /// The stamp of the committed entry (meaningful once committed).
    [[nodiscard]] protocol::timestamp stamp() const { return stamp_; }
    [[nodiscard]] int attempts() const { return attempt_; }

  private:
    commit_step next_attempt();
    commit_step put();
    commit_step committed();
    commit_step finish(commit_do::outcome o, error why);
    void warn(const std::string& message) const;

    const protocol::manifest_update& update_;
    context ctx_;
    limits limits_;
    int attempt_ = 0;
    protocol::timestamp stamp_{};
    std::string entry_key_;
    std::string body_;
    bool done_ = false;
    bool verdict_pending_ = false;  // an entry of ours may be in the bucket, not yet judged
};

}  // namespace mps3::engine
