#include "causal_checker.hpp"

#include <algorithm>
#include <functional>
#include <sstream>

namespace mps3::test::causal {

// --- vclock -----------------------------------------------------------------------------------

void vclock::include(process_id p, std::uint64_t seq) {
    if (counts_.size() <= p) {
        counts_.resize(p + 1, 0);
    }
    counts_[p] = std::max(counts_[p], seq);
}

void vclock::merge(const vclock& other) {
    if (counts_.size() < other.counts_.size()) {
        counts_.resize(other.counts_.size(), 0);
    }
    for (std::size_t p = 0; p < other.counts_.size(); ++p) {
        counts_[p] = std::max(counts_[p], other.counts_[p]);
    }
}

vclock vclock::meet(const vclock& a, const vclock& b) {
    vclock out(std::max(a.size(), b.size()));
    for (std::size_t p = 0; p < out.counts_.size(); ++p) {
        out.counts_[p] = std::min(a[p], b[p]);
    }
    return out;
}

std::string vclock::str() const {
    std::string out = "[";
    for (std::size_t p = 0; p < counts_.size(); ++p) {
        if (p != 0) {
            out += ',';
        }
        out += std::to_string(counts_[p]);
    }
    return out + "]";
}

bool operator==(const vclock& a, const vclock& b) {
    const std::size_t n = std::max(a.size(), b.size());
    for (std::size_t p = 0; p < n; ++p) {
        if (a[p] != b[p]) {
            return false;
        }
    }
    return true;
}

std::string_view to_string(rule r) {
    switch (r) {
        case rule::malformed:
            return "malformed";
        case rule::phantom:
            return "phantom";
        case rule::read_your_writes:
            return "read_your_writes";
        case rule::monotonic_reads:
            return "monotonic_reads";
        case rule::causal_cut:
            return "causal_cut";
        case rule::no_return:
            return "no_return";
        case rule::arbitration:
            return "arbitration";
        case rule::notification:
            return "notification";
    }
    return "?";
}

// --- checker: writes --------------------------------------------------------------------------

checker::checker(std::size_t processes, bool complete_notifications)
    : processes_(processes),
      complete_notifications_(complete_notifications),
      writes_(processes),
      state_(processes) {
    for (auto& s : state_) {
        s.known = vclock(processes);
    }
}

const vclock& checker::knowledge(process_id p) const {
    static const vclock none;
    return p < state_.size() ? state_[p].known : none;
}

bool checker::valid_process(process_id p, const std::string& what) {
    if (p < processes_) {
        return true;
    }
    report_violation(rule::malformed, p, "",
                     what + " by unknown process " + std::to_string(p) + " (the checker has " +
                         std::to_string(processes_) + ")");
    return false;
}

write_id checker::add_write(process_id p, std::string key, std::optional<std::string> value,
                            const vclock& deps) {
    write_record rec;
    rec.id = {p, writes_[p].size() + 1};
    rec.event = event_;
    // deps may only name writes issued before this one.
    vclock clean(processes_);
    for (process_id q = 0; q < std::max(processes_, deps.size()); ++q) {
        const std::uint64_t issued = q < processes_ ? writes_[q].size() : 0;
        if (deps[q] > issued) {
            report_violation(rule::malformed, p, key,
                             "write " + describe_value(value) + " depends on " +
                                 std::to_string(deps[q]) + " writes of process " +
                                 std::to_string(q) + ", which has issued " +
                                 std::to_string(issued));
        }
        if (q < processes_) {
            clean.include(q, std::min(deps[q], issued));
        }
    }
    clean.include(p, rec.id.seq - 1);  // program order
    rec.deps = clean;
    rec.closure = clean;
    rec.closure.include(p, rec.id.seq);
    if (value) {
        auto [it, fresh] = by_value_.emplace(std::make_pair(key, *value), rec.id);
        if (!fresh) {
            report_violation(rule::malformed, p, key,
                             "value " + *value + " was already written to this key by " +
                                 describe(it->second) + ": values must be unique per key");
        }
    }
    by_key_[key].push_back(rec.id);
    rec.key = std::move(key);
    rec.value = std::move(value);
    writes_[p].push_back(std::move(rec));
    ++write_count_;
    return writes_[p].back().id;
}

write_id checker::write(process_id p, std::string key, std::optional<std::string> value,
                        const vclock& deps) {
    ++event_;
    if (!valid_process(p, "a write")) {
        return {};
    }
    const write_id id = add_write(p, std::move(key), std::move(value), deps);
    state_[p].known.merge(get(id).closure);
    return id;
}

std::vector<write_id> checker::write_all(process_id p, const std::vector<item>& items,
                                         const vclock& deps) {
    ++event_;
    std::vector<write_id> ids;
    if (!valid_process(p, "a write") || items.empty()) {
        return ids;
    }
    std::set<std::string> keys;
    for (const auto& it : items) {
        if (!keys.insert(it.key).second) {
            report_violation(rule::malformed, p, it.key, "an atomic batch writes this key twice");
        }
        ids.push_back(add_write(p, it.key, it.value, deps));
    }
    // Seeing one write of the batch means seeing all of it.
    for (const auto& id : ids) {
        writes_[p][id.seq - 1].closure.include(p, ids.back().seq);
    }
    state_[p].known.merge(get(ids.back()).closure);
    return ids;
}

// --- checker: helpers -------------------------------------------------------------------------

const checker::write_record& checker::get(write_id id) const {
    return writes_.at(id.process).at(id.seq - 1);
}

bool checker::precedes(const candidate& x, const write_record& y) const {
    if (!x) {
        return true;  // the initial absence precedes every write
    }
    return *x != y.id && y.deps.contains(x->process, x->seq);
}

std::vector<checker::candidate> checker::candidates_of(const std::string& key,
                                                       const std::optional<std::string>& value,
                                                       bool& phantom) const {
    phantom = false;
    std::vector<candidate> out;
    if (value) {
        auto it = by_value_.find(std::make_pair(key, *value));
        if (it == by_value_.end()) {
            phantom = true;
            return out;
        }
        out.emplace_back(it->second);
        return out;
    }
    out.emplace_back(std::nullopt);
    if (auto it = by_key_.find(key); it != by_key_.end()) {
        for (const auto& id : it->second) {
            if (!get(id).value) {
                out.emplace_back(id);
            }
        }
    }
    return out;
}

std::vector<write_id> checker::killers(const std::string& key, const candidate& x,
                                       const vclock& known) const {
    std::vector<write_id> out;
    auto it = by_key_.find(key);
    if (it == by_key_.end()) {
        return out;
    }
    for (const auto& id : it->second) {
        if (known.contains(id.process, id.seq) && precedes(x, get(id))) {
            out.push_back(id);
        }
    }
    return out;
}

vclock checker::implied(const std::vector<candidate>& consistent) const {
    if (consistent.empty()) {
        return vclock(processes_);
    }
    std::optional<vclock> common;
    for (const auto& c : consistent) {
        const vclock closure = c ? get(*c).closure : vclock(processes_);
        common = common ? vclock::meet(*common, closure) : closure;
    }
    return *common;
}

std::string checker::describe_value(const std::optional<std::string>& v) const {
    return v ? *v : std::string("<absent>");
}

std::string checker::describe(const candidate& c) const {
    if (!c) {
        return "the initial absence";
    }
    const auto& w = get(*c);
    std::string out = "p" + std::to_string(c->process) + "#" + std::to_string(c->seq) + " (" +
                      (w.value ? "put " + w.key + "=" + *w.value : "delete " + w.key) + ", deps " +
                      w.deps.str() + ")";
    return out;
}

void checker::report_violation(rule r, process_id p, std::string key, std::string detail) {
    violations_.push_back({r, p, std::move(key), std::move(detail), event_ == 0 ? 0 : event_ - 1});
}

std::vector<checker::candidate> checker::check_item(process_id p, const std::string& key,
                                                    const std::optional<std::string>& value,
                                                    const std::vector<candidate>& candidates,
                                                    const vclock& known, const char* how,
                                                    bool dedupe) {
    std::vector<candidate> consistent;
    for (const auto& c : candidates) {
        if (killers(key, c, known).empty()) {
            consistent.push_back(c);
        }
    }
    if (!consistent.empty() || candidates.empty()) {
        return consistent;
    }
    // Every explanation is overridden by a write p knows. Classify by the newest candidate.
    const candidate& newest = candidates.back();
    const auto killed_by = killers(key, newest, known);
    rule r = rule::causal_cut;
    const write_id* culprit = &killed_by.front();
    for (const auto& y : killed_by) {
        if (y.process == p) {
            r = rule::read_your_writes;
            culprit = &y;
            break;
        }
    }
    if (r != rule::read_your_writes) {
        auto direct = state_[p].direct.find(key);
        for (const auto& y : killed_by) {
            if (direct != state_[p].direct.end() && direct->second.contains(y.process, y.seq)) {
                r = rule::monotonic_reads;
                culprit = &y;
                break;
            }
        }
    }
    if (dedupe && !state_[p].reported.emplace(key, value, r).second) {
        return consistent;
    }
    std::string detail = std::string(how) + " shows " + key + "=" + describe_value(value);
    if (candidates.size() > 1) {
        detail += " (" + std::to_string(candidates.size()) + " possible writes, none consistent)";
    } else {
        detail += " from " + describe(newest);
    }
    detail += ", but p" + std::to_string(p) + " already knows " + describe(*culprit) +
              ", which overrides it; p" + std::to_string(p) + " knows " + known.str();
    report_violation(r, p, key, std::move(detail));
    return consistent;
}

void checker::record(process_id p, const std::string& key, const std::optional<std::string>& value,
                     const std::vector<candidate>& consistent, const std::vector<candidate>& all) {
    auto& s = state_[p];
    std::optional<write_id> resolved;
    if (value && all.size() == 1 && all.front()) {
        resolved = *all.front();  // a put names its write, consistent or not
    } else if (!value && consistent.size() == 1 && consistent.front()) {
        resolved = *consistent.front();  // the only delete it can be
    }
    if (resolved) {
        const auto& closure = get(*resolved).closure;
        s.known.merge(closure);
        s.direct[key].merge(closure);
    } else if (!value) {
        s.known.merge(implied(consistent));
    }

    auto cur = s.current.find(key);
    const bool changed = cur == s.current.end() || cur->second != value;
    if (changed && resolved && s.replaced[key].contains(*resolved)) {
        report_violation(rule::no_return, p, key,
                         "p" + std::to_string(p) + " sees " + key + "=" + describe_value(value) +
                             " from " + describe(*resolved) +
                             " again, after having seen it replaced");
    }
    if (changed && cur != s.current.end() && cur->second) {
        bool phantom = false;
        auto before = candidates_of(key, cur->second, phantom);
        if (!phantom && !before.empty() && before.front()) {
            s.replaced[key].insert(*before.front());
        }
    }
    if (resolved) {
        auto& seq = s.sequence[key];
        if (seq.empty() || seq.back() != *resolved) {
            seq.push_back(*resolved);
        }
    }
    s.current[key] = value;
}

// --- checker: observations --------------------------------------------------------------------

void checker::notified(process_id p, const std::string& key,
                       const std::optional<std::string>& value) {
    ++event_;
    if (!valid_process(p, "a notification")) {
        return;
    }
    ++observations_;
    bool phantom = false;
    auto candidates = candidates_of(key, value, phantom);
    if (phantom) {
        report_violation(rule::phantom, p, key,
                         "notification shows " + key + "=" + describe_value(value) +
                             ", which no write put there");
    }
    vclock known = state_[p].known;
    if (value && !phantom) {
        known.merge(get(*candidates.front()).closure);
    }
    auto consistent = check_item(p, key, value, candidates, known, "notification", false);
    record(p, key, value, consistent, candidates);
    state_[p].view[key] = value;
}

void checker::read(process_id p, const std::vector<item>& items) {
    ++event_;
    if (!valid_process(p, "a read")) {
        return;
    }
    observations_ += items.size();
    std::vector<std::vector<candidate>> candidates;
    vclock known = state_[p].known;
    for (const auto& it : items) {
        bool phantom = false;
        candidates.push_back(candidates_of(it.key, it.value, phantom));
        if (phantom) {
            report_violation(rule::phantom, p, it.key,
                             "read shows " + it.key + "=" + describe_value(it.value) +
                                 ", which no write put there");
        } else if (it.value) {
            known.merge(get(*candidates.back().front()).closure);
        }
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
        const auto& it = items[i];
        if (complete_notifications_) {
            auto v = state_[p].view.find(it.key);
            const std::optional<std::string> announced =
                v == state_[p].view.end() ? std::nullopt : v->second;
            if (announced != it.value) {
                report_violation(rule::notification, p, it.key,
                                 "read shows " + it.key + "=" + describe_value(it.value) +
                                     " but the last notification said " +
                                     describe_value(announced));
            }
        }
        state_[p].view[it.key] = it.value;
        auto consistent = check_item(p, it.key, it.value, candidates[i], known, "read", false);
        record(p, it.key, it.value, consistent, candidates[i]);
    }
}

void checker::check_view(process_id p) {
    ++event_;
    if (!valid_process(p, "a view check")) {
        return;
    }
    auto& s = state_[p];
    std::set<std::string> keys;
    for (const auto& [key, v] : s.view) {
        keys.insert(key);
    }
    if (complete_notifications_) {
        for (const auto& [key, ids] : by_key_) {
            for (const auto& id : ids) {
                if (s.known.contains(id.process, id.seq)) {
                    keys.insert(key);
                    break;
                }
            }
        }
    }
    for (const auto& key : keys) {
        auto v = s.view.find(key);
        const std::optional<std::string> now = v != s.view.end() ? v->second : std::nullopt;
        bool phantom = false;
        const auto candidates = candidates_of(key, now, phantom);
        if (!phantom) {  // reported when it was notified
            (void)check_item(p, key, now, candidates, s.known, "view", true);
        }
    }
}

void checker::finish() {
    ++event_;
    for (const auto& [key, ids] : by_key_) {
        // Nodes: the writes of this key. Edges: x -> y when x must come before y, labelled
        // with the process that saw them in that order (nullopt: causal order).
        std::map<write_id, std::map<write_id, std::optional<process_id>>> edges;
        for (const auto& x : ids) {
            for (const auto& y : ids) {
                if (precedes(x, get(y))) {
                    edges[x].emplace(y, std::nullopt);
                }
            }
        }
        for (process_id p = 0; p < processes_; ++p) {
            auto seq = state_[p].sequence.find(key);
            if (seq == state_[p].sequence.end()) {
                continue;
            }
            for (std::size_t i = 1; i < seq->second.size(); ++i) {
                edges[seq->second[i - 1]].emplace(seq->second[i], p);
            }
        }
        // Depth-first search for a cycle.
        std::map<write_id, int> color;  // 0 new, 1 on the path, 2 done
        std::vector<write_id> path;
        std::vector<write_id> cycle;
        std::function<bool(write_id)> visit = [&](write_id x) {
            color[x] = 1;
            path.push_back(x);
            for (const auto& [y, why] : edges[x]) {
                if (color[y] == 1) {
                    auto from = std::find(path.begin(), path.end(), y);
                    cycle.assign(from, path.end());
                    cycle.push_back(y);
                    return true;
                }
                if (color[y] == 0 && visit(y)) {
                    return true;
                }
            }
            path.pop_back();
            color[x] = 2;
            return false;
        };
        for (const auto& x : ids) {
            if (color[x] == 0 && visit(x)) {
                break;
            }
        }
        if (cycle.empty()) {
            continue;
        }
        std::string detail = "no order of the writes of " + key + " explains what was seen:";
        process_id who = cycle.front().process;
        for (std::size_t i = 0; i + 1 < cycle.size(); ++i) {
            const auto& why = edges[cycle[i]][cycle[i + 1]];
            detail += " " + describe_value(get(cycle[i]).value) + " before " +
                      describe_value(get(cycle[i + 1]).value) + " (" +
                      (why ? "seen in this order by p" + std::to_string(*why) : "causal order") +
                      ");";
            if (why) {
                who = *why;
            }
        }
        report_violation(rule::arbitration, who, key, std::move(detail));
    }
}

// --- checker: results -------------------------------------------------------------------------

std::size_t checker::count(rule r) const {
    return static_cast<std::size_t>(std::count_if(violations_.begin(), violations_.end(),
                                                  [r](const auto& v) { return v.what == r; }));
}

std::string checker::report(std::size_t max_lines) const {
    std::ostringstream out;
    out << violations_.size() << " violation(s) in " << event_ << " events (" << write_count_
        << " writes, " << observations_ << " observations)";
    std::size_t shown_lines = 0;
    for (const auto& v : violations_) {
        if (shown_lines == max_lines) {
            out << "\n  ... and " << (violations_.size() - shown_lines) << " more";
            break;
        }
        out << "\n  [" << to_string(v.what) << "] event " << v.event << ", p" << v.process;
        if (!v.key.empty()) {
            out << ", key " << v.key;
        }
        out << ": " << v.detail;
        ++shown_lines;
    }
    return out.str();
}

}  // namespace mps3::test::causal
