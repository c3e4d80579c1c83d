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

#include <mps3/ipc/connection.hpp>
#include <mps3/ipc/dispatcher.hpp>
#include <mps3/ipc/server.hpp>
#include <mps3/log.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

namespace mps3::ipc {

class session final : public connection, public std::enable_shared_from_this<session> {
  public:
    using socket_type = boost::asio::local::stream_protocol::socket;

    session(socket_type socket, std::uint64_t id, session_limits limits, parse_limits parsing,
            log_sink log);
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    /// Starts reading; `on_end` runs once when the connection is over.
    void start(const install_fn& install, std::function<void()> on_end);
    /// Stops reading and writing and ends every subscription now.
    void close();

    [[nodiscard]] std::uint64_t id() const override { return id_; }
    [[nodiscard]] bool closed() const { return closed_; }

    std::optional<std::uint64_t> open_subscription(std::uint64_t start_seq,
                                                   std::unique_ptr<attachment> keep) override;
    bool close_subscription(std::uint64_t subscription_id) override;
    [[nodiscard]] std::size_t subscription_count() const override { return subscriptions_.size(); }
    [[nodiscard]] std::size_t max_subscriptions() const override {
        return limits_.max_subscriptions;
    }
    void notify(std::uint64_t subscription_id, std::uint64_t seq, std::string line) override;
    boost::asio::awaitable<bool> wait_for_capacity(std::uint64_t subscription_id) override;
    void end_with_lagged(std::uint64_t subscription_id) override;

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
    /// Moves queued lines into one chunk of about write_chunk bytes, keeping the accounting.
    std::string take_chunk();
    /// The end of a read burst: writes what its lines answered at once, without the write
    /// loop, when the socket takes it all; otherwise the write loop carries the rest.
    void flush_burst();
    void start_write_loop();
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
    // While the reader serves a burst of lines without suspending: answers queue up for one
    // write at its end (flush_burst) instead of starting the write loop each.
    bool in_burst_ = false;
    std::string unsent_;  // the part of a chunk a direct write could not send; goes first
    // What an idle connection reads into: a request fits (a get is about 80 bytes); a burst
    // that fills it is read on into a buffer that lives only while the burst is served.
    std::array<char, 1024> first_bytes_{};
    // The reader waits on it for room (and, after the client's EOF, for the last answers).
    boost::asio::steady_timer room_;
    // Cancelled whenever output is written: producers waiting for capacity re-check then.
    boost::asio::steady_timer progress_;
    std::map<std::uint64_t, subscription_state> subscriptions_;
    std::uint64_t next_subscription_ = 1;
    std::function<void()> on_end_;
};

}  // namespace mps3::ipc
