// store::open_snapshot and store_snapshot: a read-only replica connection pinned to one
// snapshot (replica::hold_snapshot), for listings that must be one point in time.
#include "engine/store_impl.hpp"

#include <mps3/store.hpp>

namespace mps3 {

struct store_snapshot::impl {
    replica::replica db;
};

store_snapshot::store_snapshot(std::unique_ptr<impl> state) : impl_(std::move(state)) {}

store_snapshot::~store_snapshot() = default;

result<list_result> store_snapshot::list(const std::string& prefix, std::size_t limit,
                                         const std::string& after) {
    return list_page_of(impl_->db, prefix, limit, after);
}

result<std::unique_ptr<store_snapshot>> store::open_snapshot() {
    // Writes made before the call are in the snapshot: wait for those still being committed.
    impl_->settle_before_read("", true);
    auto db = replica::replica::open(impl_->config.replica_path, replica_options(impl_->config));
    if (!db) {
        return std::move(db).err();
    }
    if (auto read_only = db->forbid_writes(); !read_only) {
        return std::move(read_only).err();
    }
    if (auto pinned = db->hold_snapshot(); !pinned) {
        return std::move(pinned).err();
    }
    auto state = std::make_unique<store_snapshot::impl>(store_snapshot::impl{std::move(*db)});
    return std::make_unique<store_snapshot>(std::move(state));
}

}  // namespace mps3
