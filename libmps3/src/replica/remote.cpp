// The remote side of the replica: applying a resolved diff from the bucket, and reading the
// confirmed state back (the manifest "files" map a writer needs).
#include "replica/internal.hpp"
#include "replica/replica.hpp"

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
    std::vector<std::string> keys;
    keys.reserve(diff.size());
    for (const auto& c : diff) {
        keys.push_back(c.key);
    }
    // Versions count: a remote rewrite of the same value is still a remote write. A shadowed
    // key (queued local writes) reads from the overlay before and after, so it yields no row
    // now; its kv change shows when the overlay goes (complete_upload / discard_batches).
    auto emitted = track_visible(keys, change_origin::remote, true, [&]() -> status {
        for (const auto& c : diff) {
            if (auto done = write_kv(c.key, c.value); !done) {
                return done;
            }
        }
        return write_meta(meta);
    });
    if (!emitted) {
        return fail(std::move(emitted).err());
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
