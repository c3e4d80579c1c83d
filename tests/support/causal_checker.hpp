// A causal-consistency checker for histories of a replicated key-value store, in the style of a
// Lamport happens-before checker. Pure: it is fed a history (writes and observations in the order
// they happened, from one thread) and reports every observation that causal order forbids.
//
// MODEL
//   Processes 0..n-1 (stores) issue writes and make observations. A write is a put of a value or
//   a delete of one key; an atomic multi-key write (put_all) is a batch of writes. Put values are
//   unique per key (the test writes a fresh value every time), so an observed value names the
//   write that produced it. A delete is seen as "absent", which may be any delete of that key or
//   the initial absence (written ⊥ below): the checker keeps every candidate that is consistent
//   and only concludes what all of them imply.
//
//   Every write carries a vector clock `deps`: the writes its writer had observed (read, been
//   notified of, or written) when it issued it; knowledge(p) gives it. deps always include the
//   writer's own earlier writes (program order). Causal order is then exact:
//       x ≺ y  (x happened before y)  iff  y.deps contains x.
//   ⊥ precedes every write. Observing a write reveals its closure: deps, the write itself, and
//   the rest of its atomic batch (a put_all is visible all at once or not at all). A process's
//   knowledge K(p) is the union of the closures of everything it observed and of its own writes.
//
//   Observations: `notified` (a change notification: key now shows value), `read` (an atomic
//   read of one or more keys, e.g. get_all) and `check_view` (p's whole view as its
//   notifications built it). With `complete_notifications`, every process starts from an empty
//   store and is notified of every visible change, so its view of a key never notified is ⊥.
//
// RULES (each violation names one; a candidate x for key k is "killed" by K when some write y
// to k in K has x ≺ y, i.e. the process already knows a write that causally overrides x)
//   phantom           an observed value that no write issued before the observation put there.
//   read_your_writes  an observation of key k whose every candidate is killed by one of the
//                     process's own writes: it shows k older than a write the process made.
//   monotonic_reads   ... killed by a write the process had itself observed on k (or a write
//                     causally before one it observed on k): k went back in causal order.
//   causal_cut        ... killed by a write the process knows only through a dependency: it saw
//                     w (on any key) that depended on y (on k), and then (or in the same atomic
//                     read, or in its view once the notifications of that change are over) shows
//                     k older than y. This includes a partially visible atomic batch.
//                     For a read the knowledge used is K plus the closures of everything the
//                     same read shows: an atomic read must itself be a causal cut.
//   no_return         a process saw write x on k, later saw k change to something else, and
//                     then saw x again. With unique values a replaced write never comes back.
//   arbitration       (finish) per key, no single order of its writes agrees with causal order
//                     and with the order in which every process saw them change: the replicas
//                     disagree on which concurrent write wins (no convergent last-writer-wins).
//   notification      (complete_notifications only) a read shows a value other than the one the
//                     process's notifications announced last: a change was not notified.
//   malformed         the history itself is wrong: a put value reused for its key, deps naming
//                     writes not issued yet, an unknown process. The write is still recorded.
//
// A violation found while checking a view is reported once per (process, key, shown value).
// Absent observations that more than one delete (or ⊥) could explain add only what all the
// consistent candidates imply to the knowledge: the checker never assumes more causality than
// the history proves, so it can miss violations but never invent one.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace mps3::test::causal {

using process_id = std::size_t;

/// counts[p] = how many of process p's writes (always a prefix in p's program order) it holds.
class vclock {
  public:
    vclock() = default;
    explicit vclock(std::size_t processes) : counts_(processes, 0) {}

    [[nodiscard]] std::uint64_t operator[](process_id p) const {
        return p < counts_.size() ? counts_[p] : 0;
    }
    /// Whether write number seq (1-based) of p is included.
    [[nodiscard]] bool contains(process_id p, std::uint64_t seq) const {
        return seq != 0 && (*this)[p] >= seq;
    }
    void include(process_id p, std::uint64_t seq);
    void merge(const vclock& other);  // element-wise max
    /// Element-wise min: what both clocks hold.
    [[nodiscard]] static vclock meet(const vclock& a, const vclock& b);
    [[nodiscard]] std::size_t size() const { return counts_.size(); }
    [[nodiscard]] std::string str() const;  // "[3,0,2]"
    friend bool operator==(const vclock& a, const vclock& b);

  private:
    std::vector<std::uint64_t> counts_;
};

struct write_id {
    process_id process = 0;
    std::uint64_t seq = 0;  // 1-based, in the process's program order
    friend auto operator<=>(const write_id&, const write_id&) = default;
};

enum class rule {
    malformed,
    phantom,
    read_your_writes,
    monotonic_reads,
    causal_cut,
    no_return,
    arbitration,
    notification,
};
std::string_view to_string(rule r);

struct violation {
    rule what = rule::malformed;
    process_id process = 0;
    std::string key;
    std::string detail;
    std::size_t event = 0;  // index in the history (every call that feeds it counts one)
};

/// One key and what it holds: JSON text, or nullopt for absent (a delete).
struct item {
    std::string key;
    std::optional<std::string> value;
};

class checker {
  public:
    /// complete_notifications: every process starts from an empty store and is notified of every
    /// visible change (enables check_view and comparing reads with notifications).
    explicit checker(std::size_t processes, bool complete_notifications = true);

    /// Everything p has observed so far, transitively, and its own writes: its vector clock.
    [[nodiscard]] const vclock& knowledge(process_id p) const;

    /// p issues one write: a put (value) or a delete (nullopt), having observed `deps`.
    write_id write(process_id p, std::string key, std::optional<std::string> value,
                   const vclock& deps);
    /// p issues an atomic batch (put_all): one write per item, consecutive in program order,
    /// visible together. Keys must be distinct.
    std::vector<write_id> write_all(process_id p, const std::vector<item>& items,
                                    const vclock& deps);

    /// p was notified that key now holds value (nullopt: absent).
    void notified(process_id p, const std::string& key, const std::optional<std::string>& value);
    /// p read these keys in one atomic snapshot.
    void read(process_id p, const std::vector<item>& items);
    /// p's whole view, as built by its notifications, must be a causal cut of what it knows.
    /// Call it only between changes (never while a batch of notifications is being delivered).
    void check_view(process_id p);
    /// The global rule (arbitration); call once at the end.
    void finish();

    [[nodiscard]] const std::vector<violation>& violations() const { return violations_; }
    [[nodiscard]] std::size_t count(rule r) const;
    /// Up to max_lines violations, one a line, and how many more there are.
    [[nodiscard]] std::string report(std::size_t max_lines = 20) const;

    [[nodiscard]] std::size_t writes() const { return write_count_; }
    [[nodiscard]] std::size_t observations() const { return observations_; }
    [[nodiscard]] std::size_t events() const { return event_; }

  private:
    struct write_record {
        write_id id;
        std::string key;
        std::optional<std::string> value;  // nullopt: a delete
        vclock deps;                       // own earlier writes included
        vclock closure;                    // deps + itself + its whole batch
        std::size_t event = 0;
    };
    /// What an observation of one key may be: writes (nullopt = ⊥, the initial absence).
    using candidate = std::optional<write_id>;
    struct process_state {
        vclock known;
        std::map<std::string, std::optional<std::string>> view;     // from notifications
        std::map<std::string, std::optional<std::string>> current;  // last observed per key
        std::map<std::string, std::set<write_id>> replaced;     // seen, then replaced (no_return)
        std::map<std::string, std::vector<write_id>> sequence;  // distinct writes seen, in order
        std::map<std::string, vclock> direct;  // closures of writes observed on that very key
        std::set<std::tuple<std::string, std::optional<std::string>, rule>> reported;
    };

    [[nodiscard]] const write_record& get(write_id id) const;
    [[nodiscard]] bool precedes(const candidate& x, const write_record& y) const;
    /// A put names its write (none: phantom); an absence may be ⊥ or any delete of the key
    /// issued so far (a later delete of an absent key changes nothing visible).
    [[nodiscard]] std::vector<candidate> candidates_of(const std::string& key,
                                                       const std::optional<std::string>& value,
                                                       bool& phantom) const;
    [[nodiscard]] std::vector<write_id> killers(const std::string& key, const candidate& x,
                                                const vclock& known) const;
    [[nodiscard]] vclock implied(const std::vector<candidate>& consistent) const;
    [[nodiscard]] std::string describe(const candidate& c) const;
    [[nodiscard]] std::string describe_value(const std::optional<std::string>& v) const;
    bool valid_process(process_id p, const std::string& what);
    write_id add_write(process_id p, std::string key, std::optional<std::string> value,
                       const vclock& deps);
    /// Checks one observed key against `known`; reports a causal violation (once per view
    /// entry when dedupe is set). Returns the candidates still consistent.
    std::vector<candidate> check_item(process_id p, const std::string& key,
                                      const std::optional<std::string>& value,
                                      const std::vector<candidate>& candidates, const vclock& known,
                                      const char* how, bool dedupe);
    /// Bookkeeping after an observation: knowledge, no_return, per-key sequences.
    void record(process_id p, const std::string& key, const std::optional<std::string>& value,
                const std::vector<candidate>& consistent, const std::vector<candidate>& all);
    void report_violation(rule r, process_id p, std::string key, std::string detail);

    std::size_t processes_;
    bool complete_notifications_;
    std::vector<std::vector<write_record>> writes_;  // [process][seq - 1]
    std::map<std::string, std::vector<write_id>> by_key_;
    std::map<std::pair<std::string, std::string>, write_id> by_value_;  // puts: (key, value)
    std::vector<process_state> state_;
    std::vector<violation> violations_;
    std::size_t write_count_ = 0;
    std::size_t observations_ = 0;
    std::size_t event_ = 0;
};

}  // namespace mps3::test::causal
