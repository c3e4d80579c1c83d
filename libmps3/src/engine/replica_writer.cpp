#include "engine/replica_writer.hpp"

#include <boost/asio/post.hpp>

#include <pthread.h>

#include <exception>
#include <span>
#include <utility>

namespace mps3::engine {

std::shared_ptr<replica_writer> replica_writer::start(replica::replica db, executor_type io) {
    std::shared_ptr<replica_writer> writer(new replica_writer(std::move(db), std::move(io)));
    writer->thread_ = std::thread([raw = writer.get()] { raw->thread_main(); });
    // Named, so that top -H, perf and gdb show which thread waits for the disk.
    (void)pthread_setname_np(writer->thread_.native_handle(), "mps3-writer");
    return writer;
}

replica_writer::replica_writer(replica::replica db, executor_type io)
    : db_(std::move(db)), io_(std::move(io)) {}

replica_writer::~replica_writer() {
    stop();
}

void replica_writer::stop() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    work_ready_.notify_all();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) {
        thread_.join();
    }
}

void replica_writer::submit_local(std::shared_ptr<local_write> write, completion done) {
    enqueue({.work = {}, .write = std::move(write), .done = std::move(done)});
}

void replica_writer::submit(task work, completion done) {
    enqueue({.work = std::move(work), .write = nullptr, .done = std::move(done)});
}

void replica_writer::enqueue(item next) {
    {
        std::unique_lock lock(mutex_);
        if (!stopping_) {
            queue_.push_back(std::move(next));
            lock.unlock();
            work_ready_.notify_one();
            return;
        }
    }
    // Stopped: the item never runs; its completion still does, so nobody waits for ever.
    if (next.write) {
        next.write->committed.emplace(error(errc::cancelled, "the store is closing"));
    }
    if (next.done) {
        next.done();
    }
}

void replica_writer::wait_idle() {
    {
        std::unique_lock lock(mutex_);
        idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
    }
    run_completions();
}

void replica_writer::run_completions() {
    // One at a time, taken under the lock: a completion may itself wait (wait_idle) and run the
    // ones behind it, and the order stays the submission order.
    while (true) {
        completion next;
        {
            const std::lock_guard lock(mutex_);
            if (done_.empty()) {
                completions_posted_ = false;
                return;
            }
            next = std::move(done_.front());
            done_.pop_front();
        }
        if (next) {
            next();
        }
    }
}

void replica_writer::finished(std::vector<completion> done) {
    bool post = false;
    {
        const std::lock_guard lock(mutex_);
        for (auto& d : done) {
            done_.push_back(std::move(d));
        }
        post = !completions_posted_;
        completions_posted_ = true;
    }
    if (post) {
        boost::asio::post(io_, [weak = weak_from_this()] {
            if (auto self = weak.lock()) {
                self->run_completions();
            }
        });
    }
}

void replica_writer::thread_main() {
    while (true) {
        std::vector<item> batch;
        {
            std::unique_lock lock(mutex_);
            work_ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) {
                return;  // stopping, and everything submitted has run
            }
            // Everything queued while the last commit ran: the next group.
            batch.reserve(queue_.size());
            for (auto& next : queue_) {
                batch.push_back(std::move(next));
            }
            queue_.clear();
            busy_ = true;
        }
        run_batch(batch);
        {
            const std::lock_guard lock(mutex_);
            busy_ = false;
            if (queue_.empty()) {
                idle_.notify_all();
            }
        }
    }
}

void replica_writer::run_batch(std::vector<item>& batch) {
    std::size_t i = 0;
    while (i < batch.size()) {
        if (batch[i].write) {
            std::size_t end = i;
            while (end < batch.size() && batch[end].write) {
                ++end;
            }
            commit_group(batch, i, end);
            i = end;
            continue;
        }
        try {
            batch[i].work(db_);
        } catch (const std::exception&) {
            // The task's result stays unset: its awaiter reports the write as not made.
        }
        batch[i].work = nullptr;  // what it captured goes now, on this thread
        std::vector<completion> done;
        done.push_back(std::move(batch[i].done));
        finished(std::move(done));
        ++i;
    }
}

void replica_writer::commit_group(std::vector<item>& batch, std::size_t begin, std::size_t end) {
    std::vector<std::span<const write_op>> ops;
    ops.reserve(end - begin);
    for (std::size_t i = begin; i < end; ++i) {
        ops.emplace_back(batch[i].write->ops);
    }
    std::optional<result<std::vector<result<replica::enqueued>>>> committed;
    try {
        committed.emplace(db_.enqueue_local_writes(ops));
    } catch (const std::exception& e) {
        committed.emplace(error(errc::storage, std::string("group commit failed: ") + e.what()));
    }
    if (*committed) {
        groups_.fetch_add(1, std::memory_order_relaxed);
    }
    std::vector<completion> done;
    done.reserve(end - begin);
    std::uint64_t written = 0;
    for (std::size_t i = begin; i < end; ++i) {
        auto& write = *batch[i].write;
        if (!*committed) {
            write.committed.emplace(committed->err());
        } else {
            auto& one = (**committed)[i - begin];
            written += one ? 1U : 0U;
            write.committed.emplace(std::move(one));
        }
        done.push_back(std::move(batch[i].done));
        // Let go of the write before its completion can run: the io thread must drop the last
        // reference, since what the store hangs on it (a timer) belongs to the io thread.
        batch[i].write.reset();
    }
    grouped_writes_.fetch_add(written, std::memory_order_relaxed);
    finished(std::move(done));
}

}  // namespace mps3::engine
