// The remote side of the replica: applying a resolved diff from the bucket, and reading the
// confirmed state back (the manifest "files" map a writer needs).
#include "replica/internal.hpp"
#include "replica/replica.hpp"

#include <map>
#include <string>
#include <utility>

namespace mps3::replica {

using detail::with_context;

result<std::vector<change>> replica::apply_remote(
    std::span<const remote_change> diff,
    std::span<const std::pair<std::string, std::string>> meta) {
    const auto fail = [](error e) { return with_context("apply_remote", std::move(e)); };
    auto txn = sqlite::transaction::begin(db_, sqlite::transaction::kind::immediate);
    if (!txn) {
        return fail(std::move(txn).err());
    }
    // The last change per key decides (the diff is applied in order), reported once per key
    // in first-seen order.
    std::vector<const remote_change*> last;
    {
        std::map<std::string_view, std::size_t> index;
        for (const auto& c : diff) {
            const auto [it, fresh] = index.try_emplace(c.key, last.size());
            if (fresh) {
                last.push_back(&c);
            } else {
                last[it->second] = &c;
            }
        }
    }
    // One pass: the view after the write is known without reading it back. A shadowed key
    // (queued local ops) reads from the overlay before and after, so it yields no row now;
    // its kv change shows when the overlay goes (complete_upload / discard_batches).
    // Versions count: a remote rewrite of the same value is still a remote write.
    std::vector<change> emitted;
    for (const auto* c : last) {
        auto before = lookup(c->key);
        if (!before) {
            return fail(std::move(before).err());
        }
        if (auto done = write_kv(c->key, c->value); !done) {
            return fail(std::move(done).err());
        }
        if (before->shadowed) {
            continue;
        }
        std::optional<entry> after;
        if (c->value) {
            after = entry{c->key, c->value->value, c->value->version, false};
        }
        auto row = log_if_changed(c->key, before->visible, after, change_origin::remote, true);
        if (!row) {
            return fail(std::move(row).err());
        }
        if (*row) {
            emitted.push_back(std::move(**row));
        }
    }
    if (auto done = write_meta(meta); !done) {
        return fail(std::move(done).err());
    }
    if (auto done = txn->commit(); !done) {
        return fail(std::move(done).err());
    }
    return emitted;
}

result<std::vector<confirmed_file>> replica::confirmed_files() {
    const auto fail = [](error e) { return with_context("confirmed_files", std::move(e)); };
    auto stmt = db_.cached("SELECT key, bucket, version, replication FROM kv ORDER BY key",
                           "read confirmed files");
    if (!stmt) {
        return fail(std::move(stmt).err());
    }
    std::vector<confirmed_file> files;
    for (;;) {
        auto row = (*stmt)->step();
        if (!row) {
            return fail(std::move(row).err());
        }
        if (!*row) {
            break;
        }
        files.push_back(confirmed_file{(*stmt)->column_text(0), (*stmt)->column_text(1),
                                       (*stmt)->column_text(2), (*stmt)->column_optional_text(3)});
    }
    return files;
}

}  // namespace mps3::replica
