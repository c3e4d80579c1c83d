// Opening a replica, and the helpers every part shares: the visible value of a key (the
// overlay rule), change-log rows, kv and meta writes. The public operations live in
// reads.cpp, outbox.cpp, remote.cpp, changes.cpp and cache_meta.cpp.
#include "replica/replica.hpp"

#include "replica/internal.hpp"
#include "replica/schema.hpp"

#include <algorithm>
#include <set>
#include <string>
#include <utility>

namespace mps3::replica {

using detail::to_ms;
using detail::with_context;

namespace {

// Switches the connection to the settings every replica runs with. The file has been checked
// to be ours (or empty) already: journal_mode=WAL rewrites the header.
status configure(sqlite::database& db, const options& opts, std::string_view name) {
    const auto ctx = [&](error e) {
        return with_context("replica " + std::string(name), std::move(e));
    };

    if (auto done = db.exec("PRAGMA busy_timeout = " + std::to_string(opts.busy_timeout.count()),
                            "set busy_timeout");
        !done) {
        return ctx(std::move(done).err());
    }
    // WAL: readers never block the writer and a commit is one sequential append (+ fsync).
    auto mode = db.pragma_text("journal_mode = WAL");
    if (!mode) {
        return ctx(std::move(mode).err());
    }
    if (*mode != "wal") {
        return ctx(error(errc::storage, "cannot switch to WAL mode (journal_mode is " + *mode +
                                            "; is the file on a network file system?)"));
    }
    const char* sync = opts.synchronous == sync_mode::full ? "FULL" : "NORMAL";
    if (auto done = db.exec(std::string("PRAGMA synchronous = ") + sync, "set synchronous");
        !done) {
        return ctx(std::move(done).err());
    }
    // Checkpoint every 4,096 WAL pages (16 MB), not SQLite's 1,000: the commit that crosses the
    // mark copies the WAL into the file and fsyncs it before it returns, so its group's puts
    // wait for that. With 1,000 it was every ~50 groups and the puts' p99 under 8 writers was
    // 6-7 ms; with 4,096, 1.8-1.9 ms (docs/benchmarks.md), and a page written many times is
    // copied once. journal_size_limit truncates the WAL back to 16 MB after a checkpoint.
    if (auto done = db.exec("PRAGMA wal_autocheckpoint = 4096", "set wal_autocheckpoint"); !done) {
        return ctx(std::move(done).err());
    }
    if (auto set = db.pragma_int("journal_size_limit = 16777216"); !set) {
        return ctx(std::move(set).err());
    }
    if (auto done = db.exec("PRAGMA foreign_keys = ON", "enable foreign keys"); !done) {
        return ctx(std::move(done).err());
    }
    if (opts.max_file_bytes != 0) {
        auto page = db.pragma_int("page_size");
        if (!page) {
            return ctx(std::move(page).err());
        }
        const auto pages = std::max<std::uint64_t>(
            1, opts.max_file_bytes / static_cast<std::uint64_t>(std::max<std::int64_t>(1, *page)));
        if (auto set = db.pragma_int("max_page_count = " + std::to_string(pages)); !set) {
            return ctx(std::move(set).err());
        }
    }
    return success{};
}

}  // namespace

result<replica> replica::open(const std::filesystem::path& path, options opts) {
    if (!opts.clock) {
        opts.clock = [] {
            return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
        };
    }
    const std::string name = path.string();
    auto db = sqlite::database::open(name, opts.create);
    if (!db) {
        return std::move(db).err();
    }
    if (auto ok = schema::check_file(*db, name, schema_version); !ok) {
        return std::move(ok).err();
    }
    if (auto ok = configure(*db, opts, name); !ok) {
        return std::move(ok).err();
    }
    if (auto ok = schema::migrate(*db, name, schema::migrations()); !ok) {
        return std::move(ok).err();
    }
    return replica(std::move(*db), path, std::move(opts));
}

result<connection_settings> replica::settings() {
    connection_settings out;
    const auto fail = [](error e) { return with_context("settings", std::move(e)); };
    auto mode = db_.pragma_text("journal_mode");
    if (!mode) {
        return fail(std::move(mode).err());
    }
    out.journal_mode = std::move(*mode);
    const std::pair<const char*, std::int64_t*> ints[] = {
        {"synchronous", &out.synchronous},     {"busy_timeout", &out.busy_timeout_ms},
        {"page_size", &out.page_size},         {"max_page_count", &out.max_page_count},
        {"user_version", &out.schema_version},
    };
    for (const auto& [pragma, target] : ints) {
        auto value = db_.pragma_int(pragma);
        if (!value) {
            return fail(std::move(value).err());
        }
        *target = *value;
    }
    auto fk = db_.pragma_int("foreign_keys");
    if (!fk) {
        return fail(std::move(fk).err());
    }
    out.foreign_keys = *fk != 0;
    return out;
}

time_point replica::now() const {
    return opts_.clock();
}

// The overlay rule: the newest queued op for the key wins (a queued delete hides the key);
// without one, the confirmed value in kv.
result<replica::lookup_result> replica::lookup(std::string_view key) {
    {
        auto op = db_.cached("SELECT value FROM outbox WHERE key = ?1 ORDER BY seq DESC LIMIT 1",
                             "read outbox overlay");
        if (!op) {
            return std::move(op).err();
        }
        auto row = (*op)->bind(1, key).step();
        if (!row) {
            return std::move(row).err();
        }
        if (*row) {
            lookup_result out{std::nullopt, true};
            if (auto value = (*op)->column_optional_text(0)) {
                out.visible = entry{std::string(key), std::move(*value), std::nullopt, true};
            }
            return out;
        }
    }
    auto kv = db_.cached("SELECT value, version FROM kv WHERE key = ?1", "read kv");
    if (!kv) {
        return std::move(kv).err();
    }
    auto row = (*kv)->bind(1, key).step();
    if (!row) {
        return std::move(row).err();
    }
    if (!*row) {
        return lookup_result{};
    }
    return lookup_result{
        entry{std::string(key), (*kv)->column_text(0), (*kv)->column_text(1), false}, false};
}

result<std::optional<entry>> replica::visible(std::string_view key) {
    auto found = lookup(key);
    if (!found) {
        return std::move(found).err();
    }
    return std::move(found->visible);
}

result<change> replica::append_change(std::string_view key,
                                      const std::optional<std::string>& old_value,
                                      const std::optional<std::string>& new_value,
                                      const std::optional<std::string>& version,
                                      change_origin origin, std::optional<std::int64_t> batch_id) {
    auto stmt = db_.cached(
        "INSERT INTO changes (key, old_value, new_value, version, origin, at, batch_id) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        "append change row");
    if (!stmt) {
        return std::move(stmt).err();
    }
    const time_point at = now();
    (*stmt)
        ->bind(1, key)
        .bind(2, old_value)
        .bind(3, new_value)
        .bind(4, version)
        .bind(5, std::string_view(origin == change_origin::local ? "local" : "remote"))
        .bind(6, to_ms(at));
    if (batch_id) {
        (*stmt)->bind(7, *batch_id);
    } else {
        (*stmt)->bind_null(7);
    }
    if (auto done = (*stmt)->run(); !done) {
        return std::move(done).err();
    }
    return change{detail::seq_from_sql(db_.last_insert_rowid()),
                  std::string(key),
                  old_value,
                  new_value,
                  version,
                  origin,
                  at,
                  batch_id};
}

status replica::write_kv(std::string_view key, const std::optional<confirmed_value>& value) {
    if (!value) {
        auto stmt = db_.cached("DELETE FROM kv WHERE key = ?1", "delete kv row");
        if (!stmt) {
            return std::move(stmt).err();
        }
        return (*stmt)->bind(1, key).run();
    }
    auto stmt = db_.cached(
        "INSERT INTO kv (key, value, version, bucket, replication, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value, version = excluded.version, "
        "bucket = excluded.bucket, replication = excluded.replication, "
        "updated_at = excluded.updated_at",
        "write kv row");
    if (!stmt) {
        return std::move(stmt).err();
    }
    return (*stmt)
        ->bind(1, key)
        .bind(2, std::string_view(value->value))
        .bind(3, std::string_view(value->version))
        .bind(4, std::string_view(value->bucket))
        .bind(5, value->replication)
        .bind(6, to_ms(now()))
        .run();
}

status replica::write_meta(std::span<const std::pair<std::string, std::string>> values) {
    for (const auto& [name, value] : values) {
        auto stmt = db_.cached(
            "INSERT INTO meta (name, value) VALUES (?1, ?2) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            "write meta");
        if (!stmt) {
            return std::move(stmt).err();
        }
        if (auto done =
                (*stmt)->bind(1, std::string_view(name)).bind(2, std::string_view(value)).run();
            !done) {
            return done;
        }
    }
    return success{};
}

result<std::vector<change>> replica::track_visible(const std::vector<std::string>& keys,
                                                   change_origin origin, bool count_version,
                                                   const std::function<status()>& mutate) {
    // Each key once, in first-seen order: one change row per key per operation.
    std::vector<std::string_view> distinct;
    distinct.reserve(keys.size());
    {
        std::set<std::string_view> seen;
        for (const auto& key : keys) {
            if (seen.insert(key).second) {
                distinct.emplace_back(key);
            }
        }
    }
    std::vector<std::optional<entry>> before;
    before.reserve(distinct.size());
    for (auto key : distinct) {
        auto value = visible(key);
        if (!value) {
            return std::move(value).err();
        }
        before.push_back(std::move(*value));
    }
    if (auto done = mutate(); !done) {
        return std::move(done).err();
    }
    std::vector<change> emitted;
    for (std::size_t i = 0; i < distinct.size(); ++i) {
        auto after = visible(distinct[i]);
        if (!after) {
            return std::move(after).err();
        }
        auto row = log_if_changed(distinct[i], before[i], *after, origin, count_version);
        if (!row) {
            return std::move(row).err();
        }
        if (*row) {
            emitted.push_back(std::move(**row));
        }
    }
    return emitted;
}

result<std::optional<change>> replica::log_if_changed(std::string_view key,
                                                      const std::optional<entry>& before,
                                                      const std::optional<entry>& after,
                                                      change_origin origin, bool count_version) {
    const bool presence_changed = before.has_value() != after.has_value();
    const bool value_changed = before && after && before->value != after->value;
    const bool version_changed =
        count_version && before && after && before->version != after->version;
    if (!presence_changed && !value_changed && !version_changed) {
        return std::optional<change>{};
    }
    auto row = append_change(key, before ? std::optional<std::string>(before->value) : std::nullopt,
                             after ? std::optional<std::string>(after->value) : std::nullopt,
                             after ? after->version : std::nullopt, origin, std::nullopt);
    if (!row) {
        return std::move(row).err();
    }
    return std::optional<change>(std::move(*row));
}

status replica::hold_snapshot() {
    // WAL: BEGIN takes no snapshot; the first read does.
    if (auto done = db_.exec("BEGIN DEFERRED; SELECT count(*) FROM meta", "hold a snapshot");
        !done) {
        return with_context("replica " + path_.string(), std::move(done).err());
    }
    return success{};
}

status replica::forbid_writes() {
    if (auto done = db_.exec("PRAGMA query_only = 1", "set query_only"); !done) {
        return with_context("replica " + path_.string(), std::move(done).err());
    }
    return success{};
}

}  // namespace mps3::replica
