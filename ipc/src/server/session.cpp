#include "server/session.hpp"

#include <mps3/ipc/json_builder.hpp>
#include <mps3/ipc/line_splitter.hpp>
#include <mps3/ipc/response.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

namespace mps3::ipc {
namespace {

namespace asio = boost::asio;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t read_chunk = 64 * 1024;
constexpr std::size_t write_chunk = 64 * 1024;

}  // namespace

// Counts a dispatched line as in flight until its response is written out (or the line turns
// out to need none): the dispatcher keeps the write function, and with it this token, exactly
// that long.
class session::in_flight_token {
  public:
    explicit in_flight_token(std::weak_ptr<session> owner) : owner_(std::move(owner)) {
        if (auto s = owner_.lock()) {
            ++s->lines_in_flight_;
        }
    }
    ~in_flight_token() {
        if (auto s = owner_.lock()) {
            --s->lines_in_flight_;
            s->wake_reader();
        }
    }
    in_flight_token(const in_flight_token&) = delete;
    in_flight_token& operator=(const in_flight_token&) = delete;

  private:
    std::weak_ptr<session> owner_;
};

session::session(socket_type socket, std::uint64_t id, session_limits limits, parse_limits parsing,
                 log_sink log)
    : socket_(std::move(socket)),
      id_(id),
      limits_(limits),
      log_(std::move(log)),
      methods_(parsing, limits.max_answer_bytes),
      room_(socket_.get_executor(), asio::steady_timer::time_point::max()),
      progress_(socket_.get_executor(), asio::steady_timer::time_point::max()) {}

void session::start(const install_fn& install, std::function<void()> on_end) {
    on_end_ = std::move(on_end);
    install(methods_, shared_from_this());
    asio::co_spawn(socket_.get_executor(), read_loop(shared_from_this()), asio::detached);
}

bool session::has_room() const {
    return lines_in_flight_ < limits_.max_lines_in_flight &&
           queued_bytes_ <= limits_.max_queued_bytes;
}

void session::wake_reader() {
    room_.cancel();
    progress_.cancel();
}

asio::awaitable<bool> session::wait_for_capacity(std::uint64_t subscription_id) {
    // Bounded: each pass either returns or waits for the writer's next progress (or close).
    for (;;) {
        auto it = subscriptions_.find(subscription_id);
        if (closed_ || it == subscriptions_.end()) {
            co_return false;
        }
        if (it->second.queued <= limits_.max_queued_notifications / 2 &&
            queued_bytes_ <= limits_.max_queued_bytes / 2) {
            co_return true;
        }
        auto [ec] = co_await progress_.async_wait(use_tuple);
        (void)ec;
    }
}

asio::awaitable<void> session::wait_for_room() {
    // The timers never expire (set in the constructor): waits end only by cancel(), which wakes
    // every waiter. Resetting the expiry here would cancel the other waiters, who would reset
    // it in turn: a busy loop.
    auto [ec] = co_await room_.async_wait(use_tuple);
    (void)ec;  // woken by cancel(): the caller re-checks why
}

// `self` keeps the session alive while the loop runs.
asio::awaitable<void> session::read_loop(std::shared_ptr<session> /*self*/) {
    line_splitter splitter(limits_.max_frame);
    // The burst buffer exists only while a burst is served: an idle connection waits with its
    // 1 KiB first_bytes_ only (64 KiB each made 1,000 idle connections cost 65 MiB;
    // docs/benchmarks.md, "Memory"). Not zero-filled: read_some writes what it returns.
    std::unique_ptr<char[]> buffer;
    boost::system::error_code nb_ec;
    socket_.non_blocking(true, nb_ec);  // read_some below must never block the io thread
    while (!closed_) {
        if (!has_room()) {
            co_await wait_for_room();
            continue;
        }
        buffer.reset();
        // An async read into the session's small buffer, not async_wait: Asio re-arms epoll
        // (an epoll_ctl) for every wait, but not for a read, which it just queues; that was a
        // third of a get's system calls (docs/benchmarks.md, "Read cache").
        auto [read_ec, first] =
            co_await socket_.async_read_some(asio::buffer(first_bytes_), use_tuple);
        if (closed_) {
            break;
        }
        boost::system::error_code ec = read_ec;
        if (!ec) {
            if (first < first_bytes_.size()) {
                splitter.feed(std::string_view(first_bytes_.data(), first));
            } else {
                // More may be waiting (a pipelined burst, a long line): read it into the
                // burst's buffer behind what came first, and feed the two as one chunk.
                buffer.reset(new char[read_chunk]);  // NOLINT(cppcoreguidelines-owning-memory)
                std::memcpy(buffer.get(), first_bytes_.data(), first);
                boost::system::error_code more_ec;
                const auto more = socket_.read_some(
                    asio::buffer(buffer.get() + first, read_chunk - first), more_ec);
                // would_block: nothing more now. EOF or an error: the next read reports it,
                // after the lines already read are served.
                splitter.feed(std::string_view(buffer.get(), first + (more_ec ? 0 : more)));
            }
        }
        if (ec) {
            if (ec == asio::error::eof) {
                // The client shut down its side: serve its last unterminated line, answer
                // what is in flight, then close.
                if (auto last = splitter.finish()) {
                    handle_line(last->text);
                }
            } else {
                close();
            }
            break;
        }
        in_burst_ = true;
        for (;;) {
            // Room is checked before each line, not each read: one read may hold hundreds of
            // small requests, and their answers must not pile up past the bounds.
            while (!closed_ && !has_room()) {
                in_burst_ = false;  // while suspended, every answer is written as it comes
                flush_burst();
                co_await wait_for_room();
                in_burst_ = true;
            }
            if (closed_) {
                break;
            }
            auto frame = splitter.next();
            if (!frame) {
                break;
            }
            if (frame->type == frame::kind::oversized) {
                enqueue(outgoing{oversized_frame_line(limits_.max_frame)});
                if (log_) {
                    log_(log_level::warn, "ipc",
                         "connection " + std::to_string(id_) +
                             ": a line over the frame limit was refused");
                }
                continue;
            }
            handle_line(frame->text);
        }
        in_burst_ = false;
        flush_burst();
    }
    in_burst_ = false;
    flush_burst();
    while (!closed_ && (lines_in_flight_ > 0 || !queue_.empty() || writing_)) {
        co_await wait_for_room();
    }
    close();
}

void session::handle_line(std::string_view line) {
    auto token = std::make_shared<in_flight_token>(weak_from_this());
    methods_.dispatch(line, [weak = weak_from_this(), token](std::string out) {
        if (auto s = weak.lock()) {
            s->enqueue(outgoing{std::move(out)});
        }
    });
}

void session::enqueue(outgoing item) {
    if (closed_) {
        return;
    }
    queued_bytes_ += item.line.size();
    queue_.push_back(std::move(item));
    if (!writing_ && !in_burst_) {
        start_write_loop();
    }
}

void session::start_write_loop() {
    writing_ = true;
    asio::co_spawn(socket_.get_executor(), write_loop(shared_from_this()), asio::detached);
}

std::string session::take_chunk() {
    std::string chunk;
    if (queue_.size() == 1 && queue_.front().subscription == 0) {
        // One answer (an unpipelined client): its line is the chunk, no copy.
        chunk = std::move(queue_.front().line);
        queued_bytes_ -= chunk.size();
        queue_.pop_front();
        return chunk;
    }
    while (!queue_.empty() && chunk.size() < write_chunk) {
        auto& item = queue_.front();
        if (item.subscription != 0) {
            if (auto it = subscriptions_.find(item.subscription); it != subscriptions_.end()) {
                --it->second.queued;
                it->second.last_delivered = item.seq;
            }
        }
        queued_bytes_ -= item.line.size();
        chunk += item.line;
        queue_.pop_front();
    }
    return chunk;
}

void session::flush_burst() {
    if (writing_ || closed_ || queue_.empty()) {
        return;
    }
    // A direct write saves starting the write loop (a coroutine, a post, a composed write) for
    // every unpipelined request: about a tenth of a get's daemon CPU (docs/benchmarks.md). The
    // socket is non-blocking (read_loop), so a full buffer returns would_block, never waits.
    auto chunk = take_chunk();
    boost::system::error_code ec;
    auto sent = socket_.write_some(asio::buffer(chunk), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
        ec = {};
        sent = 0;
    }
    if (ec) {
        close();
        return;
    }
    if (sent < chunk.size()) {
        unsent_ = chunk.substr(sent);
    }
    if (!unsent_.empty() || !queue_.empty()) {
        start_write_loop();
    }
    wake_reader();
}

asio::awaitable<void> session::write_loop(std::shared_ptr<session> /*self*/) {
    std::string chunk;
    while ((!unsent_.empty() || !queue_.empty()) && !closed_) {
        if (!unsent_.empty()) {
            chunk = std::exchange(unsent_, std::string());
        } else {
            chunk = take_chunk();
        }
        auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(chunk), use_tuple);
        (void)n;
        if (ec) {
            close();
            break;
        }
        wake_reader();
    }
    writing_ = false;
    wake_reader();
}

std::optional<std::uint64_t> session::open_subscription(std::uint64_t start_seq,
                                                        std::unique_ptr<attachment> keep) {
    if (closed_ || subscriptions_.size() >= limits_.max_subscriptions) {
        return std::nullopt;
    }
    const auto id = next_subscription_++;
    subscriptions_.emplace(id, subscription_state{std::move(keep), start_seq, 0});
    return id;
}

bool session::close_subscription(std::uint64_t subscription_id) {
    return subscriptions_.erase(subscription_id) > 0;
}

void session::notify(std::uint64_t subscription_id, std::uint64_t seq, std::string line) {
    auto it = subscriptions_.find(subscription_id);
    if (closed_ || it == subscriptions_.end()) {
        return;
    }
    // A subscription with nothing queued may always queue one line, however large: a value near
    // the size limit must not end its subscription before the client had a chance to read it.
    const bool over_bytes =
        it->second.queued > 0 && queued_bytes_ + line.size() > limits_.max_queued_bytes;
    if (it->second.queued >= limits_.max_queued_notifications || over_bytes) {
        end_with_lagged(subscription_id);
        return;
    }
    ++it->second.queued;
    enqueue(outgoing{std::move(line), subscription_id, seq});
}

void session::end_with_lagged(std::uint64_t subscription_id) {
    auto it = subscriptions_.find(subscription_id);
    if (it == subscriptions_.end()) {
        return;
    }
    const auto last = it->second.last_delivered;
    // Drop what this subscription still has queued: the client asks for it again with `since`.
    std::erase_if(queue_, [&](const outgoing& item) {
        if (item.subscription != subscription_id) {
            return false;
        }
        queued_bytes_ -= item.line.size();
        return true;
    });
    subscriptions_.erase(it);
    json_builder params;
    params.begin_object()
        .key("subscription")
        .uinteger(subscription_id)
        .key("lastSeq")
        .uinteger(last)
        .end_object();
    if (auto line = notification_line("lagged", params.str())) {
        enqueue(outgoing{std::move(*line)});
    }
    if (log_) {
        log_(log_level::warn, "ipc",
             "connection " + std::to_string(id_) + ": subscription " +
                 std::to_string(subscription_id) +
                 " lagged (the client does not read its notifications); ended at seq " +
                 std::to_string(last));
    }
    wake_reader();
}

void session::close() {
    if (closed_) {
        return;
    }
    closed_ = true;
    boost::system::error_code ignored;
    socket_.shutdown(socket_type::shutdown_both, ignored);
    socket_.close(ignored);
    subscriptions_.clear();
    queue_.clear();
    unsent_.clear();
    queued_bytes_ = 0;
    wake_reader();
    if (on_end_) {
        // Posted: the owner may drop its last reference to this session in it.
        asio::post(socket_.get_executor(), std::move(on_end_));
        on_end_ = nullptr;
    }
}

}  // namespace mps3::ipc
