// The content cache (immutable <key>@<version> objects already fetched) and the per-store
// metadata (session, counters, clock offset, sync position).
#include "replica/internal.hpp"
#include "replica/replica.hpp"

#include <string>
#include <utility>

namespace mps3::replica {

using detail::to_ms;
using detail::with_context;

result<std::optional<std::string>> replica::get_content(std::string_view key,
                                                        std::string_view version) {
    auto stmt = db_.cached("SELECT value FROM content_cache WHERE key = ?1 AND version = ?2",
                           "read content cache");
    if (!stmt) {
        return with_context("get_content", std::move(stmt).err());
    }
    auto row = (*stmt)->bind(1, key).bind(2, version).step();
    if (!row) {
        return with_context("get_content", std::move(row).err());
    }
    if (!*row) {
        return std::optional<std::string>{};
    }
    return std::optional<std::string>((*stmt)->column_text(0));
}

status replica::put_contents(std::span<const content_item> items) {
    const auto fail = [](error e) { return with_context("put_contents", std::move(e)); };
    if (items.empty()) {
        return success{};
    }
    auto txn = sqlite::transaction::begin(db_, sqlite::transaction::kind::immediate);
    if (!txn) {
        return fail(std::move(txn).err());
    }
    // OR IGNORE: <key>@<version> never changes, so the first copy is as good as any.
    auto stmt = db_.cached(
        "INSERT OR IGNORE INTO content_cache (key, version, value, cached_at) "
        "VALUES (?1, ?2, ?3, ?4)",
        "write content cache");
    if (!stmt) {
        return fail(std::move(stmt).err());
    }
    const auto cached_at = to_ms(now());
    for (const auto& item : items) {
        (*stmt)->reset();  // one statement, run once per item
        if (auto done = (*stmt)
                            ->bind(1, item.key)
                            .bind(2, item.version)
                            .bind(3, item.value)
                            .bind(4, cached_at)
                            .run();
            !done) {
            return fail(std::move(done).err());
        }
    }
    if (auto committed = txn->commit(); !committed) {
        return fail(std::move(committed).err());
    }
    return success{};
}

result<std::int64_t> replica::trim_content_cache(std::int64_t keep_last) {
    const auto fail = [](error e) { return with_context("trim_content_cache", std::move(e)); };
    if (keep_last < 0) {
        return fail(error(errc::invalid_argument, "keep_last is negative"));
    }
    auto stmt = db_.cached(
        "DELETE FROM content_cache WHERE rowid NOT IN "
        "(SELECT rowid FROM content_cache ORDER BY cached_at DESC, rowid DESC LIMIT ?1)",
        "trim content cache");
    if (!stmt) {
        return fail(std::move(stmt).err());
    }
    if (auto done = (*stmt)->bind(1, keep_last).run(); !done) {
        return fail(std::move(done).err());
    }
    return db_.changes();
}

result<std::optional<std::string>> replica::get_meta(std::string_view name) {
    auto stmt = db_.cached("SELECT value FROM meta WHERE name = ?1", "read meta");
    if (!stmt) {
        return with_context("get_meta", std::move(stmt).err());
    }
    auto row = (*stmt)->bind(1, name).step();
    if (!row) {
        return with_context("get_meta", std::move(row).err());
    }
    if (!*row) {
        return std::optional<std::string>{};
    }
    return std::optional<std::string>((*stmt)->column_text(0));
}

status replica::set_meta(std::string_view name, std::string_view value) {
    const std::pair<std::string, std::string> one{std::string(name), std::string(value)};
    return set_meta(std::span(&one, 1));
}

status replica::set_meta(std::span<const std::pair<std::string, std::string>> values) {
    const auto fail = [](error e) { return with_context("set_meta", std::move(e)); };
    auto txn = sqlite::transaction::begin(db_, sqlite::transaction::kind::immediate);
    if (!txn) {
        return fail(std::move(txn).err());
    }
    if (auto done = write_meta(values); !done) {
        return fail(std::move(done).err());
    }
    if (auto done = txn->commit(); !done) {
        return fail(std::move(done).err());
    }
    return success{};
}

status replica::erase_meta(std::string_view name) {
    auto stmt = db_.cached("DELETE FROM meta WHERE name = ?1", "delete meta");
    if (!stmt) {
        return with_context("erase_meta", std::move(stmt).err());
    }
    if (auto done = (*stmt)->bind(1, name).run(); !done) {
        return with_context("erase_meta", std::move(done).err());
    }
    return success{};
}

}  // namespace mps3::replica
