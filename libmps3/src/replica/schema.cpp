#include "replica/schema.hpp"

#include "replica/replica.hpp"

#include <array>
#include <string>

namespace mps3::replica::schema {
namespace {

// Version 1. Column meanings are in docs/replica.md; the comments here say why.
constexpr std::string_view schema_v1 = R"sql(
-- The confirmed remote state. A rowid table (not WITHOUT ROWID): values may be large JSON.
CREATE TABLE kv (
    key         TEXT PRIMARY KEY NOT NULL,
    value       TEXT NOT NULL,
    version     TEXT NOT NULL,
    bucket      TEXT NOT NULL,
    replication TEXT,
    updated_at  INTEGER NOT NULL
);

-- Batch-level upload state. AUTOINCREMENT: ids are never reused, so an uploader holding the
-- id of a completed batch can never complete a newer one by mistake.
CREATE TABLE outbox_batch (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    queued_at          INTEGER NOT NULL,
    state              TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'uploading')),
    attempt_id         TEXT,
    attempt_started_at INTEGER,
    attempts           INTEGER NOT NULL DEFAULT 0,
    CHECK ((state = 'uploading') = (attempt_id IS NOT NULL))
);

-- The queued ops, in order. value NULL is a delete (JSON null is the text 'null').
CREATE TABLE outbox (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id       INTEGER NOT NULL REFERENCES outbox_batch (id) ON DELETE CASCADE,
    key            TEXT NOT NULL,
    value          TEXT,
    upload_version TEXT
);
-- The overlay lookup (newest op per key) and the cascade from outbox_batch.
CREATE INDEX outbox_by_key ON outbox (key, seq);
CREATE INDEX outbox_by_batch ON outbox (batch_id);

-- Entry keys an upload attempt may have PUT: after a crash the engine looks for them.
CREATE TABLE outbox_entry (
    attempt_id TEXT NOT NULL,
    entry_key  TEXT NOT NULL,
    noted_at   INTEGER NOT NULL,
    PRIMARY KEY (attempt_id, entry_key)
) WITHOUT ROWID;

-- The change log. AUTOINCREMENT: seqs keep increasing even after every row is trimmed.
CREATE TABLE changes (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    key       TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    version   TEXT,
    origin    TEXT NOT NULL CHECK (origin IN ('local', 'remote')),
    at        INTEGER NOT NULL,
    batch_id  INTEGER
);
CREATE INDEX changes_by_time ON changes (at);

-- Immutable content objects <key>@<version>. The tuple, not the joined string: keys may
-- contain '@'.
CREATE TABLE content_cache (
    key       TEXT NOT NULL,
    version   TEXT NOT NULL,
    value     TEXT NOT NULL,
    cached_at INTEGER NOT NULL,
    PRIMARY KEY (key, version)
);

CREATE TABLE meta (
    name  TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) WITHOUT ROWID;
)sql";

constexpr std::array<migration, 1> all_migrations = {{
    {1, schema_v1},
}};

std::string prefix(std::string_view name) {
    return "replica " + std::string(name) + ": ";
}

error with_prefix(std::string_view name, error e) {
    e.message = prefix(name) + e.message;
    return e;
}

}  // namespace

std::span<const migration> migrations() {
    return all_migrations;
}

status check_file(sqlite::database& db, std::string_view name, std::int64_t supported) {
    // The first read of the file: a non-SQLite file fails here with SQLITE_NOTADB.
    auto app = db.pragma_int("application_id");
    if (!app) {
        return with_prefix(name, std::move(app).err());
    }
    auto version = db.pragma_int("user_version");
    if (!version) {
        return with_prefix(name, std::move(version).err());
    }
    if (*app != 0 && *app != application_id) {
        return error(errc::storage, prefix(name) + "not an mps3d replica (application_id " +
                                        std::to_string(*app) + ", expected " +
                                        std::to_string(application_id) + ")");
    }
    if (*app == 0) {
        // Not stamped yet: only an empty database is ours to initialise. A version or a table
        // means another program's database, which we must not alter.
        auto tables = db.prepare("SELECT count(*) FROM sqlite_schema", "count tables");
        if (!tables) {
            return with_prefix(name, std::move(tables).err());
        }
        auto row = tables->step();
        if (!row) {
            return with_prefix(name, std::move(row).err());
        }
        if (*version != 0 || tables->column_int64(0) != 0) {
            return error(errc::storage, prefix(name) +
                                            "an SQLite database of another application (no "
                                            "mps3d application_id, user_version " +
                                            std::to_string(*version) + ")");
        }
    }
    if (*version > supported) {
        return error(errc::storage, prefix(name) + "written by a newer mps3d (schema version " +
                                        std::to_string(*version) + ", this build supports up to " +
                                        std::to_string(supported) +
                                        "); upgrade mps3d or use another state directory");
    }
    return success{};
}

status migrate(sqlite::database& db, std::string_view name, std::span<const migration> steps) {
    // The common case, an up-to-date file, needs no write lock (which another connection
    // could hold for a while).
    auto seen = db.pragma_int("user_version");
    if (!seen) {
        return with_prefix(name, std::move(seen).err());
    }
    if (!steps.empty() && *seen >= steps.back().version) {
        return success{};
    }
    auto txn = sqlite::transaction::begin(db, sqlite::transaction::kind::immediate);
    if (!txn) {
        return with_prefix(name, std::move(txn).err());
    }
    // Read again under the write lock: another process may have migrated in the meantime.
    auto current = db.pragma_int("user_version");
    if (!current) {
        return with_prefix(name, std::move(current).err());
    }
    std::int64_t reached = *current;
    for (const auto& step : steps) {
        if (step.version <= reached) {
            continue;
        }
        if (step.version != reached + 1) {
            return error(errc::storage, prefix(name) + "no migration from schema version " +
                                            std::to_string(reached));
        }
        if (auto done =
                db.exec(step.sql, "migration to schema version " + std::to_string(step.version));
            !done) {
            return with_prefix(name, std::move(done).err());
        }
        reached = step.version;
    }
    if (reached == *current && reached != 0) {
        return success{};  // nothing to do; the guard ends the read-only transaction
    }
    // PRAGMA values cannot be bound; both are integers we produced.
    if (auto done = db.exec("PRAGMA user_version = " + std::to_string(reached) +
                                "; PRAGMA application_id = " + std::to_string(application_id),
                            "stamp schema version");
        !done) {
        return with_prefix(name, std::move(done).err());
    }
    if (auto done = txn->commit(); !done) {
        return with_prefix(name, std::move(done).err());
    }
    return success{};
}

}  // namespace mps3::replica::schema
