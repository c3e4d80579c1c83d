#include <mps3/s3/credential_source.hpp>

#include "s3/aws_files.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <optional>
#include <string>

namespace mps3::s3 {
namespace {

namespace asio = boost::asio;
using steady = std::chrono::steady_clock;

// Runs on the worker thread: everything it needs is its own copy. (An optional because
// co_spawn's completion value must be default-constructible; result is not.)
asio::awaitable<std::optional<result<credentials>>> load_on_worker(credential_options where,
                                                                   environment env) {
    co_return load_credentials(where, env);
}

}  // namespace

struct credential_source::state {
    options opts;
    std::string credentials_path;
    std::string config_path;
    detail::file_stamp credentials_stamp;
    detail::file_stamp config_stamp;
    result<credentials> cached = error(errc::no_credentials, "not loaded yet");
    std::uint64_t invalidations = 0;       // invalidate() calls
    std::uint64_t invalidations_seen = 0;  // those a finished re-read answered
    steady::time_point next_file_check;
    steady::time_point retry_failed_at;  // after a failed re-read: not before this
    std::uint64_t reloads = 0;
    bool reloading = false;
    std::optional<asio::steady_timer> reload_done;  // waiters sleep on it while reloading
    // One thread: re-reads are rare, and a credential_process must not run on the io thread.
    asio::thread_pool worker{1};

    void stamp_files() {
        credentials_stamp = detail::stamp_of(credentials_path);
        config_stamp = detail::stamp_of(config_path);
        next_file_check = steady::now() + opts.file_check_interval;
    }

    [[nodiscard]] bool files_changed() const {
        return detail::stamp_of(credentials_path) != credentials_stamp ||
               detail::stamp_of(config_path) != config_stamp;
    }

    bool stale() {
        const auto now = steady::now();
        if (invalidations != invalidations_seen) {
            return true;
        }
        if (!cached) {
            return now >= retry_failed_at;
        }
        if (cached->expiration &&
            std::chrono::system_clock::now() + opts.expiry_margin >= *cached->expiration) {
            return now >= retry_failed_at;
        }
        if (now >= next_file_check) {
            next_file_check = now + opts.file_check_interval;
            return files_changed();
        }
        return false;
    }

    // `asked`: the invalidations counted when the re-read started (a later one re-reads again).
    void store(result<credentials> loaded, std::uint64_t asked) {
        ++reloads;
        invalidations_seen = asked;
        cached = std::move(loaded);
        stamp_files();
        // Credentials that expire within the margin even when fresh (a short-lived token)
        // would make every request re-read them: a second chance waits a little.
        retry_failed_at =
            steady::now() + std::min(opts.file_check_interval, std::chrono::milliseconds(30'000));
    }
};

credential_source::credential_source(std::unique_ptr<state> s) : state_(std::move(s)) {}

credential_source::~credential_source() {
    state_->worker.join();
}

result<std::shared_ptr<credential_source>> credential_source::load(options opts) {
    auto s = std::make_unique<state>();
    s->opts = std::move(opts);
    s->credentials_path = detail::aws_file_path(s->opts.where.credentials_file, s->opts.env,
                                                "AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
    s->config_path = detail::aws_file_path(s->opts.where.config_file, s->opts.env,
                                           "AWS_CONFIG_FILE", ".aws/config");
    s->cached = load_credentials(s->opts.where, s->opts.env);
    if (!s->cached) {
        return s->cached.err();
    }
    s->stamp_files();
    return std::shared_ptr<credential_source>(new credential_source(std::move(s)));
}

asio::awaitable<result<credentials>> credential_source::async_get() {
    const auto self = shared_from_this();
    state& s = *state_;
    while (s.reloading) {
        boost::system::error_code ec;
        co_await s.reload_done->async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (!s.stale()) {
        co_return s.cached;
    }
    s.reloading = true;
    const std::uint64_t asked = s.invalidations;
    const auto executor = co_await asio::this_coro::executor;
    s.reload_done.emplace(executor, steady::time_point::max());
    // Named, not temporaries inside the co_await: GCC 12 miscompiles those.
    auto work = load_on_worker(s.opts.where, s.opts.env);
    const auto worker = s.worker.get_executor();
    auto on_worker = asio::co_spawn(worker, std::move(work), asio::use_awaitable);
    auto loaded = co_await std::move(on_worker);
    s.store(std::move(*loaded), asked);
    s.reloading = false;
    s.reload_done->cancel();
    // The timer lives only while a reload runs: kept, it would outlive the io_context that
    // made it when the source does (a source used from several short-lived contexts), and its
    // destructor would touch that context's freed timer service. Its waiters, woken by the
    // cancel, re-check `reloading`.
    s.reload_done.reset();
    co_return s.cached;
}

void credential_source::invalidate() {
    ++state_->invalidations;
}

const result<credentials>& credential_source::current() const {
    return state_->cached;
}

std::uint64_t credential_source::reloads() const {
    return state_->reloads;
}

}  // namespace mps3::s3
