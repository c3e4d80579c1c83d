// The outbox: local writes queued in order as atomic batches, and their upload states
// (queued -> uploading -> gone, or back to queued). docs/replica.md gives the recovery
// argument for each state.
#include "replica/internal.hpp"
#include "replica/replica.hpp"

#include <map>
#include <set>
#include <string>
#include <utility>

namespace mps3::replica {

using detail::from_ms;
using detail::seq_from_sql;
using detail::to_ms;
using detail::with_context;

namespace {

// errc::invalid_argument unless a batch carries attempt_id (and, with only_uploading, is still
// uploading under it): versions and entry keys are recorded only for a live attempt.
status require_attempt(sqlite::database& db, std::string_view attempt_id, bool only_uploading) {
    auto known =
        only_uploading
            ? db.cached(
                  "SELECT 1 FROM outbox_batch WHERE attempt_id = ?1 AND "
                  "state = 'uploading' LIMIT 1",
                  "find uploading attempt")
            : db.cached("SELECT 1 FROM outbox_batch WHERE attempt_id = ?1 LIMIT 1", "find attempt");
    if (!known) {
        return std::move(known).err();
    }
    auto row = (*known)->bind(1, attempt_id).step();
    if (!row) {
        return std::move(row).err();
    }
    if (!*row) {
        return error(errc::invalid_argument,
                     "no batch is uploading under attempt " + std::string(attempt_id));
    }
    return success{};
}

// The content version each key of an attempt's batches is uploaded as: chosen before the PUTs
// (mark_uploading), or, in versioned mode, the ids the PUTs returned (record_upload_versions).
status set_upload_versions(sqlite::database& db, std::string_view attempt_id,
                           std::span<const std::pair<std::string, std::string>> versions) {
    for (const auto& [key, version] : versions) {
        auto stmt = db.cached(
            "UPDATE outbox SET upload_version = ?2 WHERE key = ?1 AND batch_id IN "
            "(SELECT id FROM outbox_batch WHERE attempt_id = ?3)",
            "record upload version");
        if (!stmt) {
            return std::move(stmt).err();
        }
        if (auto done = (*stmt)
                            ->bind(1, std::string_view(key))
                            .bind(2, std::string_view(version))
                            .bind(3, attempt_id)
                            .run();
            !done) {
            return std::move(done).err();
        }
    }
    return success{};
}

// The distinct keys of the given batches' ops (the keys whose overlay they carry).
result<std::vector<std::string>> batch_keys(sqlite::database& db,
                                            std::span<const std::int64_t> batch_ids) {
    std::vector<std::string> keys;
    for (const auto id : batch_ids) {
        auto stmt =
            db.cached("SELECT DISTINCT key FROM outbox WHERE batch_id = ?1", "read batch keys");
        if (!stmt) {
            return std::move(stmt).err();
        }
        (*stmt)->bind(1, id);
        for (;;) {
            auto row = (*stmt)->step();
            if (!row) {
                return std::move(row).err();
            }
            if (!*row) {
                break;
            }
            keys.push_back((*stmt)->column_text(0));
        }
    }
    return keys;
}

// Deletes the batches (their ops go by ON DELETE CASCADE) and the entry keys of attempts no
// batch refers to any more.
status delete_batches(sqlite::database& db, std::span<const std::int64_t> batch_ids) {
    for (const auto id : batch_ids) {
        auto stmt = db.cached("DELETE FROM outbox_batch WHERE id = ?1", "delete outbox batch");
        if (!stmt) {
            return std::move(stmt).err();
        }
        if (auto done = (*stmt)->bind(1, id).run(); !done) {
            return done;
        }
    }
    auto orphans = db.cached(
        "DELETE FROM outbox_entry WHERE attempt_id NOT IN "
        "(SELECT attempt_id FROM outbox_batch WHERE attempt_id IS NOT NULL)",
        "delete finished attempts");
    if (!orphans) {
        return std::move(orphans).err();
    }
    return (*orphans)->run();
}

}  // namespace

result<enqueued> replica::enqueue_local_write(std::span<const write_op> ops) {
    const auto fail = [](error e) { return with_context("enqueue_local_write", std::move(e)); };
    if (ops.empty()) {
        return fail(error(errc::invalid_argument, "a batch needs at least one operation"));
    }
    auto txn = sqlite::transaction::begin(db_, sqlite::transaction::kind::immediate);
    if (!txn) {
        return fail(std::move(txn).err());
    }
    auto out = enqueue_in_transaction(ops);
    if (!out) {
        return fail(std::move(out).err());
    }
    if (auto done = txn->commit(); !done) {
        return fail(std::move(done).err());
    }
    return out;
}

result<std::vector<result<enqueued>>> replica::enqueue_local_writes(
    std::span<const std::span<const write_op>> batches) {
    const auto fail = [](error e) { return with_context("enqueue_local_writes", std::move(e)); };
    auto txn = sqlite::transaction::begin(db_, sqlite::transaction::kind::immediate);
    if (!txn) {
        return fail(std::move(txn).err());
    }
    std::vector<result<enqueued>> out;
    out.reserve(batches.size());
    for (const auto ops : batches) {
        if (ops.empty()) {
            out.emplace_back(
                fail(error(errc::invalid_argument, "a batch needs at least one operation")));
            continue;
        }
        // A savepoint per batch: one that fails leaves the others of the group intact.
        if (auto begun = db_.exec("SAVEPOINT local_write", "begin a batch's savepoint"); !begun) {
            return fail(std::move(begun).err());
        }
        auto one = enqueue_in_transaction(ops);
        if (!one) {
            if (auto undone = db_.exec("ROLLBACK TO local_write", "roll a batch back"); !undone) {
                return fail(std::move(undone).err());
            }
            out.emplace_back(fail(std::move(one).err()));
        } else {
            out.emplace_back(std::move(*one));
        }
        if (auto released = db_.exec("RELEASE local_write", "release a batch's savepoint");
            !released) {
            return fail(std::move(released).err());
        }
    }
    if (auto done = txn->commit(); !done) {
        return fail(std::move(done).err());
    }
    return out;
}

result<enqueued> replica::enqueue_in_transaction(std::span<const write_op> ops) {
    // The visible value of each distinct key before the batch: a batch is atomic, so a
    // subscriber sees one change per key (old -> the batch's last op), never an intermediate.
    std::vector<std::string_view> keys;
    std::vector<std::optional<std::string>> old_values;
    std::vector<std::optional<std::string>> new_values;
    {
        std::set<std::string_view> seen;
        for (const auto& op : ops) {
            if (seen.insert(op.key).second) {
                keys.emplace_back(op.key);
            }
        }
    }
    for (const auto key : keys) {
        auto before = visible(key);
        if (!before) {
            return std::move(before).err();
        }
        old_values.push_back(*before ? std::optional<std::string>((*before)->value) : std::nullopt);
    }

    const time_point queued_at = now();
    enqueued out;
    {
        auto stmt =
            db_.cached("INSERT INTO outbox_batch (queued_at) VALUES (?1)", "insert outbox batch");
        if (!stmt) {
            return std::move(stmt).err();
        }
        if (auto done = (*stmt)->bind(1, to_ms(queued_at)).run(); !done) {
            return std::move(done).err();
        }
        out.batch_id = db_.last_insert_rowid();
    }
    out.op_seqs.reserve(ops.size());
    for (const auto& op : ops) {
        auto stmt = db_.cached("INSERT INTO outbox (batch_id, key, value) VALUES (?1, ?2, ?3)",
                               "insert outbox row");
        if (!stmt) {
            return std::move(stmt).err();
        }
        if (auto done = (*stmt)->bind(1, out.batch_id).bind(2, op.key).bind(3, op.value).run();
            !done) {
            return std::move(done).err();
        }
        out.op_seqs.push_back(seq_from_sql(db_.last_insert_rowid()));
    }
    // A local write is always an event, even one that leaves the value as it was: the writer
    // (and its subscribers) expect to see it.
    std::map<std::string_view, const std::optional<std::string>*> last;
    for (const auto& op : ops) {
        last[op.key] = &op.value;
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
        auto row = append_change(keys[i], old_values[i], *last[keys[i]], std::nullopt,
                                 change_origin::local, out.batch_id);
        if (!row) {
            return std::move(row).err();
        }
        out.changes.push_back(std::move(*row));
    }
    return out;
}

result<std::vector<outbox_batch>> replica::pending_batches(std::size_t limit) {
    const auto fail = [](error e) { return with_context("pending_batches", std::move(e)); };
    auto txn = sqlite::transaction::begin(db_, sqlite::transaction::kind::deferred);
    if (!txn) {
        return fail(std::move(txn).err());
    }
    std::vector<outbox_batch> batches;
    {
        auto stmt = db_.cached(
            "SELECT id, queued_at, state, attempt_id, attempt_started_at, attempts "
            "FROM outbox_batch ORDER BY id LIMIT ?1",
            "read outbox batches");
        if (!stmt) {
            return fail(std::move(stmt).err());
        }
        (*stmt)->bind(1, detail::to_sql_limit(limit));
        for (;;) {
            auto row = (*stmt)->step();
            if (!row) {
                return fail(std::move(row).err());
            }
            if (!*row) {
                break;
            }
            outbox_batch b;
            b.id = (*stmt)->column_int64(0);
            b.queued_at = from_ms((*stmt)->column_int64(1));
            b.state = (*stmt)->column_text(2) == "uploading" ? batch_state::uploading
                                                             : batch_state::queued;
            b.attempt_id = (*stmt)->column_optional_text(3);
            if (!(*stmt)->column_is_null(4)) {
                b.attempt_started_at = from_ms((*stmt)->column_int64(4));
            }
            b.attempts = (*stmt)->column_int64(5);
            batches.push_back(std::move(b));
        }
    }
    for (auto& b : batches) {
        auto ops = db_.cached(
            "SELECT seq, key, value, upload_version FROM outbox WHERE batch_id = ?1 "
            "ORDER BY seq",
            "read outbox ops");
        if (!ops) {
            return fail(std::move(ops).err());
        }
        (*ops)->bind(1, b.id);
        for (;;) {
            auto row = (*ops)->step();
            if (!row) {
                return fail(std::move(row).err());
            }
            if (!*row) {
                break;
            }
            b.ops.push_back(outbox_op{
                .seq = seq_from_sql((*ops)->column_int64(0)),
                .write = {.key = (*ops)->column_text(1), .value = (*ops)->column_optional_text(2)},
                .upload_version = (*ops)->column_optional_text(3)});
        }
        if (!b.attempt_id) {
            continue;
        }
        auto entries = db_.cached(
            "SELECT entry_key FROM outbox_entry WHERE attempt_id = ?1 "
            "ORDER BY noted_at, entry_key",
            "read attempt entry keys");
        if (!entries) {
            return fail(std::move(entries).err());
        }
        (*entries)->bind(1, std::string_view(*b.attempt_id));
        for (;;) {
            auto row = (*entries)->step();
            if (!row) {
                return fail(std::move(row).err());
            }
            if (!*row) {
                break;
            }
            b.entry_keys.push_back((*entries)->column_text(0));
        }
    }
    if (auto done = txn->commit(); !done) {
        return fail(std::move(done).err());
    }
    return batches;
}

status replica::mark_uploading(std::span<const std::int64_t> batch_ids, std::string_view attempt_id,
                               std::span<const std::pair<std::string, std::string>> versions) {
    const auto fail = [](error e) { return with_context("mark_uploading", std::move(e)); };
    if (attempt_id.empty()) {
        return fail(error(errc::invalid_argument, "the attempt id is empty"));
    }
    auto txn = sqlite::transaction::begin(db_, sqlite::transaction::kind::immediate);
    if (!txn) {
        return fail(std::move(txn).err());
    }
    const auto started = to_ms(now());
    for (const auto id : batch_ids) {
        auto stmt = db_.cached(
            "UPDATE outbox_batch SET state = 'uploading', attempt_id = ?2, "
            "attempt_started_at = ?3, attempts = attempts + 1 "
            "WHERE id = ?1 AND state = 'queued'",
            "mark batch uploading");
        if (!stmt) {
            return fail(std::move(stmt).err());
        }
        if (auto done = (*stmt)->bind(1, id).bind(2, attempt_id).bind(3, started).run(); !done) {
            return fail(std::move(done).err());
        }
        if (db_.changes() != 1) {
            // The guard rolls back the batches marked so far: all or none.
            return fail(error(errc::invalid_argument, "batch " + std::to_string(id) +
                                                          " is not queued (missing, or "
                                                          "already uploading)"));
        }
    }
    if (auto recorded = set_upload_versions(db_, attempt_id, versions); !recorded) {
        return fail(std::move(recorded).err());
    }
    if (auto done = txn->commit(); !done) {
        return fail(std::move(done).err());
    }
    return success{};
}

status replica::record_upload_versions(
    std::string_view attempt_id, std::span<const std::pair<std::string, std::string>> versions) {
    const auto fail = [](error e) { return with_context("record_upload_versions", std::move(e)); };
    auto txn = sqlite::transaction::begin(db_, sqlite::transaction::kind::immediate);
    if (!txn) {
        return fail(std::move(txn).err());
    }
    if (auto known = require_attempt(db_, attempt_id, true); !known) {
        return fail(std::move(known).err());
    }
    if (auto recorded = set_upload_versions(db_, attempt_id, versions); !recorded) {
        return fail(std::move(recorded).err());
    }
    if (auto done = txn->commit(); !done) {
        return fail(std::move(done).err());
    }
    return success{};
}

status replica::note_entry_key(std::string_view attempt_id, std::string_view entry_key) {
    const auto fail = [](error e) { return with_context("note_entry_key", std::move(e)); };
    auto txn = sqlite::transaction::begin(db_, sqlite::transaction::kind::immediate);
    if (!txn) {
        return fail(std::move(txn).err());
    }
    if (auto known = require_attempt(db_, attempt_id, false); !known) {
        return fail(std::move(known).err());
    }
    auto stmt = db_.cached(
        "INSERT OR IGNORE INTO outbox_entry (attempt_id, entry_key, noted_at) "
        "VALUES (?1, ?2, ?3)",
        "record entry key");
    if (!stmt) {
        return fail(std::move(stmt).err());
    }
    if (auto done = (*stmt)->bind(1, attempt_id).bind(2, entry_key).bind(3, to_ms(now())).run();
        !done) {
        return fail(std::move(done).err());
    }
    if (auto done = txn->commit(); !done) {
        return fail(std::move(done).err());
    }
    return success{};
}

result<std::vector<change>> replica::complete_upload(std::span<const std::int64_t> batch_ids,
                                                     std::span<const remote_change> confirmed) {
    const auto fail = [](error e) { return with_context("complete_upload", std::move(e)); };
    auto txn = sqlite::transaction::begin(db_, sqlite::transaction::kind::immediate);
    if (!txn) {
        return fail(std::move(txn).err());
    }
    auto keys = batch_keys(db_, batch_ids);
    if (!keys) {
        return fail(std::move(keys).err());
    }
    for (const auto& c : confirmed) {
        keys->push_back(c.key);
    }
    // Versions do not count here: the overlay giving way to the same value, now confirmed,
    // is not a change anyone should be told about again.
    auto emitted = track_visible(*keys, change_origin::remote, false, [&]() -> status {
        for (const auto& c : confirmed) {
            if (auto done = write_kv(c.key, c.value); !done) {
                return done;
            }
        }
        return delete_batches(db_, batch_ids);
    });
    if (!emitted) {
        return fail(std::move(emitted).err());
    }
    if (auto done = txn->commit(); !done) {
        return fail(std::move(done).err());
    }
    return emitted;
}

status replica::requeue(std::span<const std::int64_t> batch_ids) {
    const auto fail = [](error e) { return with_context("requeue", std::move(e)); };
    auto txn = sqlite::transaction::begin(db_, sqlite::transaction::kind::immediate);
    if (!txn) {
        return fail(std::move(txn).err());
    }
    for (const auto id : batch_ids) {
        auto batch = db_.cached(
            "UPDATE outbox_batch SET state = 'queued', attempt_id = NULL, "
            "attempt_started_at = NULL WHERE id = ?1 AND state = 'uploading'",
            "requeue batch");
        if (!batch) {
            return fail(std::move(batch).err());
        }
        if (auto done = (*batch)->bind(1, id).run(); !done) {
            return fail(std::move(done).err());
        }
        // A new attempt picks new versions (content objects are immutable: the old ones, if
        // PUT, stay unreferenced and harmless).
        auto ops = db_.cached("UPDATE outbox SET upload_version = NULL WHERE batch_id = ?1",
                              "clear upload versions");
        if (!ops) {
            return fail(std::move(ops).err());
        }
        if (auto done = (*ops)->bind(1, id).run(); !done) {
            return fail(std::move(done).err());
        }
    }
    if (auto done = delete_batches(db_, {}); !done) {  // drops the abandoned attempts' entries
        return fail(std::move(done).err());
    }
    if (auto done = txn->commit(); !done) {
        return fail(std::move(done).err());
    }
    return success{};
}

result<std::vector<change>> replica::discard_batches(std::span<const std::int64_t> batch_ids) {
    const auto fail = [](error e) { return with_context("discard_batches", std::move(e)); };
    auto txn = sqlite::transaction::begin(db_, sqlite::transaction::kind::immediate);
    if (!txn) {
        return fail(std::move(txn).err());
    }
    auto keys = batch_keys(db_, batch_ids);
    if (!keys) {
        return fail(std::move(keys).err());
    }
    auto emitted = track_visible(*keys, change_origin::local, false,
                                 [&]() -> status { return delete_batches(db_, batch_ids); });
    if (!emitted) {
        return fail(std::move(emitted).err());
    }
    if (auto done = txn->commit(); !done) {
        return fail(std::move(done).err());
    }
    return emitted;
}

result<outbox_stats> replica::outbox_status() {
    auto stmt = db_.cached(
        "SELECT (SELECT count(*) FROM outbox), "
        "(SELECT count(*) FROM outbox_batch WHERE state = 'queued'), "
        "(SELECT count(*) FROM outbox_batch WHERE state = 'uploading'), "
        "(SELECT min(queued_at) FROM outbox_batch), "
        "(SELECT min(id) FROM outbox_batch), (SELECT max(id) FROM outbox_batch)",
        "count outbox");
    if (!stmt) {
        return with_context("outbox_status", std::move(stmt).err());
    }
    auto row = (*stmt)->step();
    if (!row) {
        return with_context("outbox_status", std::move(row).err());
    }
    outbox_stats stats;
    stats.queued_ops = (*stmt)->column_int64(0);
    stats.queued_batches = (*stmt)->column_int64(1);
    stats.uploading_batches = (*stmt)->column_int64(2);
    if (!(*stmt)->column_is_null(3)) {
        stats.oldest_queued_at = from_ms((*stmt)->column_int64(3));
    }
    if (!(*stmt)->column_is_null(4)) {
        stats.oldest_batch_id = (*stmt)->column_int64(4);
        stats.newest_batch_id = (*stmt)->column_int64(5);
    }
    return stats;
}

}  // namespace mps3::replica
