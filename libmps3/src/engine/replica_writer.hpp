// The replica's one writer: a thread of its own, named "mps3-writer", with its own SQLite
// connection, that makes every write to the replica file in the order the io thread submitted
// them. It earns its thread: with synchronous=FULL every commit waits for an fsync (0.2-2 ms on
// an SSD, far more on a busy disk), and on the io thread that wait stalled every connection's
// reads. The io thread keeps a connection of its own, read-only (WAL readers never wait for the
// writer), and only ever reads.
//
// Two kinds of work, one queue (FIFO, so seqs and notifications keep the order of submission):
// - local writes (store::async_put_all), group-committed: the writes queued while a commit runs
//   go together in the next transaction, one savepoint each and one fsync for the group (the
//   leveldb writer queue);
// - tasks: any other write (the sync loop's), one call on the replica each.
// Each finished item's completion runs on the io thread, in submission order.
#pragma once

#include "replica/replica.hpp"

#include <mps3/write.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

namespace mps3::engine {

/// A local write as the writer thread sees it: the ops, fixed before it is submitted, and what
/// the replica answered once its group's transaction is over.
struct local_write {
    std::vector<write_op> ops;
    std::optional<result<replica::enqueued>> committed;  // set on the writer thread
};

class replica_writer : public std::enable_shared_from_this<replica_writer> {
  public:
    using executor_type = boost::asio::any_io_executor;
    /// Runs on the writer thread. It must own what it reads (capture by value): the coroutine
    /// that submitted it may be destroyed meanwhile.
    using task = std::function<void(replica::replica&)>;
    /// Runs on the io thread once the item is done (committed, or failed).
    using completion = std::function<void()>;

    /// Starts the thread, which owns `db` from now on. Completions are posted to `io`.
    static std::shared_ptr<replica_writer> start(replica::replica db, executor_type io);
    /// Finishes everything submitted (nothing acknowledged may be lost), then joins the thread.
    ~replica_writer();
    replica_writer(const replica_writer&) = delete;
    replica_writer& operator=(const replica_writer&) = delete;

    void submit_local(std::shared_ptr<local_write> write, completion done);
    void submit(task work, completion done);

    /// Blocks the calling io thread until everything submitted so far has run, then runs the
    /// completions ready (for the synchronous store API: store::put_all, a read that must see
    /// writes still in flight).
    void wait_idle();
    /// Runs, in order, the completions of the items done so far. Io thread only.
    void run_completions();
    /// Finishes the queue and joins the thread; later submissions are refused (their
    /// completions run with the item not done). Idempotent.
    void stop();

    /// Transactions that committed local writes, and the writes they committed.
    [[nodiscard]] std::uint64_t groups() const { return groups_.load(std::memory_order_relaxed); }
    [[nodiscard]] std::uint64_t grouped_writes() const {
        return grouped_writes_.load(std::memory_order_relaxed);
    }

  private:
    replica_writer(replica::replica db, executor_type io);

    struct item {
        task work;                           // a task, or
        std::shared_ptr<local_write> write;  // a local write
        completion done;
    };
    void enqueue(item next);
    void thread_main();
    /// Runs items [begin, end) of a batch taken off the queue: consecutive local writes as one
    /// group commit, tasks one by one; each finished item's completion is handed back at once.
    void run_batch(std::vector<item>& batch);
    void commit_group(std::vector<item>& batch, std::size_t begin, std::size_t end);
    void finished(std::vector<completion> done);

    replica::replica db_;  // the writer thread's only
    executor_type io_;
    std::mutex mutex_;
    std::condition_variable work_ready_;
    std::condition_variable idle_;
    std::deque<item> queue_;  // submitted, not yet taken by the thread
    bool busy_ = false;       // the thread is running items it took
    bool stopping_ = false;
    std::deque<completion> done_;      // finished, completion not yet run
    bool completions_posted_ = false;  // a run_completions is posted to io_
    std::atomic<std::uint64_t> groups_{0};
    std::atomic<std::uint64_t> grouped_writes_{0};
    std::thread thread_;
};

/// Runs `work(replica)` on the writer thread after everything submitted before it, then
/// `after(result)` on the io thread in the writer's completion order (before any later item's
/// completion: what must happen together with the write becoming visible, such as notifying
/// subscribers, goes there), and resumes the calling coroutine with what `after` returned. R
/// (status or result<T>) must be constructible from an error: `after` gets one when the writer
/// stopped before the work ran. `work` and `after` own what they use: capture by value.
template <class Work, class After, class R = std::invoke_result_t<Work&, replica::replica&>,
          class Out = std::invoke_result_t<After&, R>>
boost::asio::awaitable<Out> async_write_then(std::shared_ptr<replica_writer> writer, Work work,
                                             After after) {
    struct state {
        explicit state(const boost::asio::any_io_executor& ex)
            : wake(ex, std::chrono::steady_clock::time_point::max()) {}
        std::optional<R> out;       // set on the writer thread, read by the completion
        std::optional<Out> answer;  // set by the completion, on the io thread
        boost::asio::steady_timer wake;
    };
    auto shared = std::make_shared<state>(co_await boost::asio::this_coro::executor);
    writer->submit(
        [shared, work = std::move(work)](replica::replica& db) mutable {
            shared->out.emplace(work(db));
        },
        [shared, after = std::move(after)]() mutable {
            if (shared->out) {
                shared->answer.emplace(after(std::move(*shared->out)));
            } else {
                shared->answer.emplace(after(
                    R(error(errc::storage, "the replica writer stopped before this write ran"))));
            }
            shared->wake.cancel();
        });
    while (!shared->answer) {
        boost::system::error_code ec;
        co_await shared->wake.async_wait(
            boost::asio::redirect_error(boost::asio::use_awaitable, ec));
    }
    co_return std::move(*shared->answer);
}

/// async_write_then with nothing to do on the io thread but resume the caller.
template <class Work, class R = std::invoke_result_t<Work&, replica::replica&>>
boost::asio::awaitable<R> async_write(std::shared_ptr<replica_writer> writer, Work work) {
    return async_write_then(std::move(writer), std::move(work), [](R r) { return r; });
}

}  // namespace mps3::engine
