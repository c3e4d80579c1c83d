// One client connection: lines in, responses and notifications out, many requests in flight.
//
// Memory is bounded whatever the client does:
// - reading stops while too many lines await their answers, or while too many bytes of output
//   wait for the client to read them (a client that never reads its responses stalls itself);
// - a line longer than the frame limit is answered with one error and skipped unread;
// - each subscription may have a bounded number of notifications waiting; on overflow they are
//   dropped and replaced by one `lagged` notification carrying the last seq delivered, and the
//   subscription ends (the client resubscribes with `since`). Never silent loss.
// One thread: everything runs on the socket's executor.
#pragma once

#include "rpc/dispatcher.hpp"

#include <mps3/log.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace mps3::ipc {

struct session_limits {
    std::size_t max_frame = std::size_t{16} << 20;        // bytes per line, terminator excluded
    std::size_t max_lines_in_flight = 64;                 // lines dispatched, not yet answered
    std::size_t max_queued_bytes = std::size_t{8} << 20;  // output waiting for the client
    std::size_t max_queued_notifications = 1024;          // per subscription
};

class session : public std::enable_shared_from_this<session> {
  public:
    using socket_type = boost::asio::local::stream_protocol::socket;
    /// Registers the methods of this connection (handlers may keep a weak_ptr to the session to
    /// notify it later).
    using install_fn = std::function<void(dispatcher&, const std::shared_ptr<session>&)>;

    /// What a subscription keeps alive (e.g. the store's subscription); destroyed when the
    /// subscription ends: unsubscribe, lag, or the connection closing.
    struct attachment {
        virtual ~attachment() = default;
    };

    session(socket_type socket, std::uint64_t id, session_limits limits, parse_limits parsing,
            log_sink log);
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    /// Starts reading; `on_end` runs once when the connection is over.
    void start(const install_fn& install, std::function<void()> on_end);
    /// Stops reading and writing and ends every subscription now.
    void close();

    [[nodiscard]] std::uint64_t id() const { return id_; }
    [[nodiscard]] bool closed() const { return closed_; }

    // Subscriptions. A handler opens one (getting its id), answers the request with the id, and
    // notifies through it; `start_seq` is what lagged reports when nothing was delivered yet.
    std::uint64_t open_subscription(std::uint64_t start_seq, std::unique_ptr<attachment> keep);
    /// Ends a subscription of this connection; false when it has none of that id.
    bool close_subscription(std::uint64_t subscription_id);
    [[nodiscard]] std::size_t subscription_count() const { return subscriptions_.size(); }
    /// Queues a `changed` line of a subscription (`line` includes its '\n'). Ignored when the
    /// subscription has ended.
    void notify(std::uint64_t subscription_id, std::uint64_t seq, std::string line);
    /// Completes once the subscription has at most half its queue bound waiting (or has ended,
    /// or the connection closed: false then). A producer of many notifications (a replay) waits
    /// on it between pages so that it paces itself to the client instead of lagging it.
    boost::asio::awaitable<bool> wait_for_capacity(std::uint64_t subscription_id);
    /// Ends a subscription the way an overflow does: its queued notifications are dropped and
    /// one `lagged` notification tells the client the last seq it got.
    void end_with_lagged(std::uint64_t subscription_id);

  private:
    struct outgoing {
        std::string line;
        std::uint64_t subscription = 0;  // 0: a response or a lagged line
        std::uint64_t seq = 0;
    };
    struct subscription_state {
        std::unique_ptr<attachment> keep;
        std::uint64_t last_delivered = 0;
        std::size_t queued = 0;
    };
    class in_flight_token;

    boost::asio::awaitable<void> read_loop(std::shared_ptr<session> self);
    boost::asio::awaitable<void> write_loop(std::shared_ptr<session> self);
    boost::asio::awaitable<void> wait_for_room();
    void handle_line(std::string_view line);
    void enqueue(outgoing item);
    void wake_reader();
    [[nodiscard]] bool has_room() const;
    void finish();

    socket_type socket_;
    std::uint64_t id_;
    session_limits limits_;
    log_sink log_;
    dispatcher methods_;
    std::deque<outgoing> queue_;
    std::size_t queued_bytes_ = 0;
    std::size_t lines_in_flight_ = 0;
    bool writing_ = false;
    bool closed_ = false;
    // The reader waits on it for room (and, after the client's EOF, for the last answers).
    boost::asio::steady_timer room_;
    // Cancelled whenever output is written: producers waiting for capacity re-check then.
    boost::asio::steady_timer progress_;
    std::map<std::uint64_t, subscription_state> subscriptions_;
    std::uint64_t next_subscription_ = 1;
    std::function<void()> on_end_;
};

}  // namespace mps3::ipc
