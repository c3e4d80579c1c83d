// The change log: replay from a seq, its retained bounds, and trimming. Seqs come from an
// AUTOINCREMENT key, so they only ever grow, across trims and reopens.
#include "replica/internal.hpp"
#include "replica/replica.hpp"

#include <string>
#include <utility>

namespace mps3::replica {

using detail::from_ms;
using detail::seq_from_sql;
using detail::seq_to_sql;
using detail::to_ms;
using detail::to_sql_limit;
using detail::with_context;

result<std::vector<change>> replica::changes_since(change_seq since, std::size_t limit) {
    const auto fail = [](error e) { return with_context("changes_since", std::move(e)); };
    auto stmt = db_.cached(
        "SELECT seq, key, old_value, new_value, version, origin, at, batch_id FROM changes "
        "WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        "read changes");
    if (!stmt) {
        return fail(std::move(stmt).err());
    }
    (*stmt)->bind(1, seq_to_sql(since)).bind(2, to_sql_limit(limit));
    std::vector<change> out;
    for (;;) {
        auto row = (*stmt)->step();
        if (!row) {
            return fail(std::move(row).err());
        }
        if (!*row) {
            break;
        }
        const auto& s = **stmt;
        change c;
        c.seq = seq_from_sql(s.column_int64(0));
        c.key = s.column_text(1);
        c.old_value = s.column_optional_text(2);
        c.new_value = s.column_optional_text(3);
        c.version = s.column_optional_text(4);
        c.origin = s.column_text(5) == "local" ? change_origin::local : change_origin::remote;
        c.at = from_ms(s.column_int64(6));
        if (!s.column_is_null(7)) {
            c.batch_id = s.column_int64(7);
        }
        out.push_back(std::move(c));
    }
    return out;
}

result<change_log_bounds> replica::change_bounds() {
    const auto fail = [](error e) { return with_context("change_bounds", std::move(e)); };
    // sqlite_sequence keeps the largest seq ever assigned, even when the table is empty.
    auto stmt = db_.cached(
        "SELECT (SELECT min(seq) FROM changes), "
        "(SELECT seq FROM sqlite_sequence WHERE name = 'changes')",
        "read change log bounds");
    if (!stmt) {
        return fail(std::move(stmt).err());
    }
    auto row = (*stmt)->step();
    if (!row) {
        return fail(std::move(row).err());
    }
    change_log_bounds bounds;
    if (!(*stmt)->column_is_null(0)) {
        bounds.oldest = seq_from_sql((*stmt)->column_int64(0));
    }
    bounds.newest =
        seq_from_sql((*stmt)->column_int64(1));  // NULL (nothing assigned yet) reads as 0
    return bounds;
}

result<std::int64_t> replica::trim_changes_keep_last(std::int64_t keep_last) {
    const auto fail = [](error e) { return with_context("trim_changes", std::move(e)); };
    if (keep_last < 0) {
        return fail(error(errc::invalid_argument, "keep_last is negative"));
    }
    // LIMIT 0 would make min() NULL and delete nothing: keeping none is its own statement.
    auto stmt = keep_last == 0 ? db_.cached("DELETE FROM changes", "trim changes")
                               : db_.cached(
                                     "DELETE FROM changes WHERE seq < (SELECT min(seq) FROM "
                                     "(SELECT seq FROM changes ORDER BY seq DESC LIMIT ?1))",
                                     "trim changes");
    if (!stmt) {
        return fail(std::move(stmt).err());
    }
    if (keep_last != 0) {
        (*stmt)->bind(1, keep_last);
    }
    if (auto done = (*stmt)->run(); !done) {
        return fail(std::move(done).err());
    }
    return db_.changes();
}

result<std::int64_t> replica::trim_changes_before(time_point cutoff) {
    const auto fail = [](error e) { return with_context("trim_changes", std::move(e)); };
    auto stmt = db_.cached("DELETE FROM changes WHERE at < ?1", "trim changes by time");
    if (!stmt) {
        return fail(std::move(stmt).err());
    }
    if (auto done = (*stmt)->bind(1, to_ms(cutoff)).run(); !done) {
        return fail(std::move(done).err());
    }
    return db_.changes();
}

}  // namespace mps3::replica
