#include "methods/list_snapshots.hpp"

#include "methods/method_env.hpp"

#include <utility>

namespace mps3::daemon {

list_snapshots::list_snapshots(boost::asio::any_io_executor executor, std::size_t max_open,
                               std::chrono::steady_clock::duration idle_limit)
    : max_open_(max_open), idle_limit_(idle_limit), timer_(std::move(executor)) {}

ipc::rpc_result<std::string> list_snapshots::open(mps3::store& s, std::string_view store_name) {
    expire_idle();
    if (held_.size() >= max_open_) {
        return ipc::rpc_error(ipc::rpc_code::invalid_params,
                              "Invalid params: " + std::to_string(max_open_) +
                                  " list snapshots are open on this connection already; finish "
                                  "one (read to its last page) or wait for it to expire");
    }
    auto snapshot = s.open_snapshot();
    if (!snapshot) {
        return methods_detail::to_answer(snapshot.err());
    }
    std::string id = "s" + std::to_string(next_id_++);
    held_.emplace(
        id, held{std::move(*snapshot), std::string(store_name), std::chrono::steady_clock::now()});
    arm_timer();
    return id;
}

ipc::rpc_result<mps3::store_snapshot*> list_snapshots::find(std::string_view id,
                                                            std::string_view store_name) {
    expire_idle();
    const auto it = held_.find(id);
    if (it == held_.end() || it->second.store_name != store_name) {
        return ipc::rpc_error(
            ipc::rpc_code::not_found,
            "Not found: no list snapshot " + std::string(id) +
                " of this store on this connection (it ended with its last "
                "page, or expired after " +
                std::to_string(
                    std::chrono::duration_cast<std::chrono::seconds>(idle_limit_).count()) +
                " s unused)");
    }
    it->second.last_use = std::chrono::steady_clock::now();
    return it->second.snapshot.get();
}

void list_snapshots::close(std::string_view id) {
    if (const auto it = held_.find(id); it != held_.end()) {
        held_.erase(it);
    }
}

void list_snapshots::expire_idle() {
    const auto now = std::chrono::steady_clock::now();
    std::erase_if(held_, [&](const auto& h) { return now - h.second.last_use >= idle_limit_; });
}

// One timer for the table, at the earliest expiry; it holds only a weak reference, so a closed
// connection's table (and its snapshots) goes away at once.
void list_snapshots::arm_timer() {
    if (held_.empty()) {
        return;
    }
    auto earliest = held_.begin()->second.last_use;
    for (const auto& [id, h] : held_) {
        earliest = std::min(earliest, h.last_use);
    }
    timer_.expires_at(earliest + idle_limit_);
    timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
        auto self = weak.lock();
        if (ec || !self) {
            return;
        }
        self->expire_idle();
        self->arm_timer();
    });
}

}  // namespace mps3::daemon
