// The snapshots a connection holds open for `list` with `snapshot` (docs/ipc-protocol.md, list):
// pages of one listing read from one point in time, for exports. Each pins a read transaction on
// a replica connection of its own, which stops WAL checkpoints from passing it, so there are few
// of them per connection and each is closed after its last page or after a minute unused.
#pragma once

#include <mps3/ipc/rpc_result.hpp>

#include <mps3/store.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

namespace mps3::daemon {

class list_snapshots : public std::enable_shared_from_this<list_snapshots> {
  public:
    static constexpr std::size_t default_max_open = 4;
    static constexpr std::chrono::seconds default_idle_limit{60};

    list_snapshots(boost::asio::any_io_executor executor, std::size_t max_open,
                   std::chrono::steady_clock::duration idle_limit);
    list_snapshots(const list_snapshots&) = delete;
    list_snapshots& operator=(const list_snapshots&) = delete;

    /// A new snapshot of `s` (named store_name), or -32602 when max_open are open already and
    /// -32006 when the replica cannot be opened. Returns its id.
    ipc::rpc_result<std::string> open(mps3::store& s, std::string_view store_name);
    /// The snapshot with this id, taken of store_name; -32007 when it is unknown, expired or of
    /// another store. Counts as a use (restarts its idle time).
    ipc::rpc_result<mps3::store_snapshot*> find(std::string_view id, std::string_view store_name);
    void close(std::string_view id);
    [[nodiscard]] std::size_t open_count() const { return held_.size(); }

  private:
    struct held {
        std::unique_ptr<mps3::store_snapshot> snapshot;
        std::string store_name;
        std::chrono::steady_clock::time_point last_use;
    };
    void expire_idle();
    void arm_timer();

    std::size_t max_open_;
    std::chrono::steady_clock::duration idle_limit_;
    boost::asio::steady_timer timer_;
    std::map<std::string, held, std::less<>> held_;
    std::uint64_t next_id_ = 1;
};

}  // namespace mps3::daemon
