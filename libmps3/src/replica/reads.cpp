// Reads over the merged view: get, get_many (one snapshot) and list (prefix range with a
// cursor). Prefixes are turned into byte ranges, never LIKE patterns: keys may hold '%' and
// '_', and a range scan uses the primary-key index.
#include "replica/internal.hpp"
#include "replica/replica.hpp"

#include <string>
#include <utility>

namespace mps3::replica {

using detail::with_context;

namespace {

// The smallest string greater than every string that starts with prefix, in byte order:
// drop trailing 0xff bytes, then increment the last byte. nullopt when there is none (an
// empty prefix, or only 0xff bytes): the range is then unbounded above.
std::optional<std::string> prefix_successor(std::string_view prefix) {
    std::string next(prefix);
    while (!next.empty() && static_cast<unsigned char>(next.back()) == 0xff) {
        next.pop_back();
    }
    if (next.empty()) {
        return std::nullopt;
    }
    next.back() = static_cast<char>(static_cast<unsigned char>(next.back()) + 1);
    return next;
}

// One cursor of the merge in list(): the next row of a statement ordered by key.
struct cursor {
    sqlite::statement_lease stmt;
    bool has_row = false;

    status advance() {
        auto row = stmt->step();
        if (!row) {
            return std::move(row).err();
        }
        has_row = *row;
        return success{};
    }
    [[nodiscard]] std::string key() const { return stmt->column_text(0); }
};

}  // namespace

result<std::optional<entry>> replica::get(std::string_view key) {
    // A read transaction around the two lookups (overlay, then kv): another connection's
    // commit between them could otherwise pair an old overlay miss with a newer kv row.
    auto txn = sqlite::transaction::begin_read(db_);
    if (!txn) {
        return with_context("get", std::move(txn).err());
    }
    auto value = visible(key);
    if (!value) {
        return with_context("get", std::move(value).err());
    }
    if (auto done = txn->commit(); !done) {
        return with_context("get", std::move(done).err());
    }
    return value;
}

result<std::vector<std::optional<entry>>> replica::get_many(std::span<const std::string> keys) {
    // One read transaction: every key is read from the same snapshot, even if another
    // connection commits in between.
    auto txn = sqlite::transaction::begin_read(db_);
    if (!txn) {
        return with_context("get_many", std::move(txn).err());
    }
    std::vector<std::optional<entry>> out;
    out.reserve(keys.size());
    for (const auto& key : keys) {
        auto value = visible(key);
        if (!value) {
            return with_context("get_many", std::move(value).err());
        }
        out.push_back(std::move(*value));
    }
    if (auto done = txn->commit(); !done) {
        return with_context("get_many", std::move(done).err());
    }
    return out;
}

result<list_page> replica::list(std::string_view prefix, std::size_t limit,
                                std::optional<std::string_view> after) {
    list_page page;
    if (limit == 0) {
        return page;
    }
    // The lower bound: after the cursor when it lies inside or past the prefix range,
    // otherwise the prefix itself (inclusive).
    const bool exclusive = after && *after >= prefix;
    const std::string lower(exclusive ? *after : prefix);
    const auto upper = prefix_successor(prefix);
    if (upper && lower >= *upper) {
        return page;
    }

    const auto fail = [](error e) { return with_context("list", std::move(e)); };
    auto txn = sqlite::transaction::begin_read(db_);
    if (!txn) {
        return fail(std::move(txn).err());
    }
    // Two ordered scans merged here, so a page costs O(limit + overlay rows in range) however
    // big kv is: kv rows, and per key the newest outbox op (SQLite takes the bare columns of
    // a max() aggregate from the row holding the max). "No upper bound" binds an empty BLOB,
    // which sorts after every TEXT.
    const char* kv_sql = exclusive ? "SELECT key, value, version FROM kv "
                                     "WHERE key > ?1 AND key < ?2 ORDER BY key"
                                   : "SELECT key, value, version FROM kv "
                                     "WHERE key >= ?1 AND key < ?2 ORDER BY key";
    const char* ob_sql = exclusive ? "SELECT key, value, max(seq) FROM outbox "
                                     "WHERE key > ?1 AND key < ?2 GROUP BY key ORDER BY key"
                                   : "SELECT key, value, max(seq) FROM outbox "
                                     "WHERE key >= ?1 AND key < ?2 GROUP BY key ORDER BY key";
    auto kv_stmt = db_.cached(kv_sql, "list kv");
    if (!kv_stmt) {
        return fail(std::move(kv_stmt).err());
    }
    auto ob_stmt = db_.cached(ob_sql, "list outbox overlay");
    if (!ob_stmt) {
        return fail(std::move(ob_stmt).err());
    }
    for (auto* stmt : {&*kv_stmt, &*ob_stmt}) {
        (*stmt)->bind(1, std::string_view(lower));
        if (upper) {
            (*stmt)->bind(2, std::string_view(*upper));
        } else {
            (*stmt)->bind_empty_blob(2);
        }
    }
    cursor kv{std::move(*kv_stmt)};
    cursor ob{std::move(*ob_stmt)};
    if (auto ok = kv.advance(); !ok) {
        return fail(std::move(ok).err());
    }
    if (auto ok = ob.advance(); !ok) {
        return fail(std::move(ok).err());
    }

    // One row more than asked tells whether another page exists.
    std::vector<entry> items;
    while (items.size() <= limit && (kv.has_row || ob.has_row)) {
        std::string kv_key = kv.has_row ? kv.key() : std::string();
        std::string ob_key = ob.has_row ? ob.key() : std::string();
        const bool take_kv = kv.has_row && (!ob.has_row || kv_key < ob_key);
        if (take_kv) {
            items.push_back(
                entry{std::move(kv_key), kv.stmt->column_text(1), kv.stmt->column_text(2), false});
            if (auto ok = kv.advance(); !ok) {
                return fail(std::move(ok).err());
            }
            continue;
        }
        // The overlay wins over a kv row of the same key; a queued delete hides it.
        if (auto value = ob.stmt->column_optional_text(1)) {
            items.push_back(entry{ob_key, std::move(*value), std::nullopt, true});
        }
        if (kv.has_row && kv_key == ob_key) {
            if (auto ok = kv.advance(); !ok) {
                return fail(std::move(ok).err());
            }
        }
        if (auto ok = ob.advance(); !ok) {
            return fail(std::move(ok).err());
        }
    }
    if (items.size() > limit) {
        items.pop_back();
        page.next_after = items.back().key;
    }
    page.items = std::move(items);
    return page;
}

}  // namespace mps3::replica
