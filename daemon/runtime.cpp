#include "runtime.hpp"

#include "daemon_metrics.hpp"
#include "log_sink.hpp"
#include "methods/method_env.hpp"
#include "metrics_listener.hpp"
#include "store_factory.hpp"
#include "systemd_integration.hpp"

#include <mps3/ipc/server.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mps3::daemon {
namespace {

namespace asio = boost::asio;

// What SIGHUP needs of a store: its credentials, and the endpoint it started with.
struct reloadable_store {
    const store_settings* settings = nullptr;
    std::shared_ptr<s3::credential_source> credentials;
    s3::endpoint server;
};

struct daemon_state {
    const daemon_settings& settings;
    const s3::environment& env;
    runtime_options options;
    log_sink log;
    store_registry stores;
    std::optional<ipc::server> server;
    bool owns_socket_file = false;  // false under socket activation: systemd owns it
    bool stopping = false;
    int exit = exit_flushed;
    std::vector<reloadable_store> reloadable;
    std::unique_ptr<metrics_listener> metrics_http;  // when metrics_listen is set
};

std::string describe_stores(const store_registry& stores) {
    const auto n = stores.all().size();
    return std::to_string(n) + (n == 1 ? " store" : " stores");
}

result<ipc::unix_acceptor> open_listener(asio::any_io_executor ex, daemon_state& d) {
    auto activated = adopt_activated_socket();
    if (!activated) {
        return std::move(activated).err();
    }
    if (activated->has_value()) {
        d.log(log_level::info, "daemon", "using the socket passed by systemd");
        return ipc::adopt_listener(ex, **activated);
    }
    d.owns_socket_file = true;
    ipc::listen_options modes;
    if (!d.settings.allowed_uids.empty() || !d.settings.allowed_gids.empty()) {
        // Other users are to be let in: the file system lets everyone reach the socket and
        // SO_PEERCRED decides who is served.
        modes.socket_mode = 0666;
        modes.directory_mode = 0755;
    }
    return ipc::listen_unix(ex, d.settings.socket_path, modes);
}

// The replicas hold the user's data: their directory is created private (0700), whatever the
// umask. An existing directory is left as its owner set it.
status prepare_state_dir(const std::filesystem::path& dir) {
    std::error_code ec;
    if (std::filesystem::exists(dir, ec)) {
        return success{};
    }
    std::filesystem::create_directories(dir, ec);
    if (!ec) {
        std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
    }
    if (ec) {
        return error(errc::storage,
                     "cannot create the state directory " + dir.string() + ": " + ec.message());
    }
    return success{};
}

// Connections cost a file descriptor each: raise the soft limit to the hard one (as far as
// 65,536) and keep the connection limit below it, so that the limit's refusal line is what a
// client meets, not a silent EMFILE at accept.
std::size_t connection_budget(std::size_t wanted) {
    rlimit files{};
    if (::getrlimit(RLIMIT_NOFILE, &files) != 0) {
        return wanted;
    }
    const rlim_t target = std::min<rlim_t>(files.rlim_max, 65'536);
    if (files.rlim_cur < target) {
        files.rlim_cur = target;
        ::setrlimit(RLIMIT_NOFILE, &files);
        ::getrlimit(RLIMIT_NOFILE, &files);
    }
    // Room for the replicas (3 files each), S3 connections, the listener and the log.
    constexpr rlim_t reserved = 128;
    const auto usable = files.rlim_cur > reserved ? files.rlim_cur - reserved : 1;
    return std::min<std::size_t>(wanted, static_cast<std::size_t>(usable));
}

// Flushes every store within one shared deadline; true when nothing is left queued.
asio::awaitable<bool> flush_all(daemon_state& d) {
    bool all_flushed = true;
    const auto deadline = std::chrono::steady_clock::now() + d.options.shutdown_flush;
    for (auto& s : d.stores.all()) {
        const auto st = s.store->get_status();
        if (st.queued_writes == 0) {
            continue;
        }
        if (!st.online) {
            d.log(log_level::warn, "daemon",
                  "store " + s.name + " is offline: " + std::to_string(st.queued_writes) +
                      " queued writes stay in the replica for the next start");
            all_flushed = false;
            continue;
        }
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        const auto budget = std::max(left, std::chrono::milliseconds(1));
        auto flushed = co_await s.store->async_flush(budget);
        if (!flushed) {
            const auto queued = s.store->get_status().queued_writes;
            d.log(log_level::warn, "daemon",
                  "store " + s.name + ": " + std::to_string(queued) +
                      " writes not uploaded before stopping (" + flushed.err().describe() +
                      "); they stay in the replica for the next start");
            all_flushed = false;
        }
    }
    co_return all_flushed;
}

// What `systemctl status mps3d` shows, refreshed every 10 s: queue and connectivity. A store
// whose syncs fail is still "online" (its traffic is not paused), so failing ones are counted
// apart: the first place an operator looks says that someone must act.
asio::awaitable<void> report_status(daemon_state& d, asio::steady_timer& timer) {
    // Under WatchdogSec= this loop also says it is alive, at half the interval: a wedged io
    // thread stops both, and systemd restarts mps3d.
    const auto watchdog = watchdog_interval();
    const std::chrono::steady_clock::duration period =
        watchdog
            ? std::min<std::chrono::steady_clock::duration>(std::chrono::seconds(10), *watchdog)
            : std::chrono::seconds(10);
    while (!d.stopping) {
        std::uint64_t queued = 0;
        std::size_t offline = 0;
        std::size_t failing = 0;
        std::size_t persistent = 0;
        for (const auto& s : d.stores.all()) {
            const auto st = s.store->get_status();
            queued += st.queued_writes;
            offline += st.online ? 0 : 1;
            failing += st.error_kind == sync_error_kind::none ? 0 : 1;
            persistent += st.error_kind == sync_error_kind::persistent ? 1 : 0;
        }
        std::string syncs;
        if (failing > 0) {
            syncs = std::to_string(failing) + " failing to sync" +
                    (persistent > 0 ? " (" + std::to_string(persistent) + " persistent)" : "") +
                    ", ";
        }
        notify_status(describe_stores(d.stores) + ", " + std::to_string(offline) + " offline, " +
                      syncs + std::to_string(queued) + " writes queued, " +
                      std::to_string(d.server->connections()) + " connections");
        if (watchdog) {
            notify_watchdog();
        }
        timer.expires_after(period);
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        (void)ec;
    }
}

asio::awaitable<void> shut_down(daemon_state& d, int signal_number) {
    d.log(log_level::info, "daemon",
          std::string("stopping on ") + (signal_number == SIGINT ? "SIGINT" : "SIGTERM") +
              ": flushing queued writes for at most " +
              std::to_string(d.options.shutdown_flush.count()) + " ms");
    notify_stopping("flushing queued writes");
    d.server->stop_accepting();
    d.server->close_sessions();
    if (d.metrics_http) {
        d.metrics_http->stop();
    }
    const bool flushed = co_await flush_all(d);
    if (!flushed) {
        // The deadline passed: cancel the requests still in flight (an upload of thousands of
        // objects would otherwise hold the stop for as long as it takes). What they leave
        // half done is what a crash leaves, and the next start settles it (durability.md).
        for (auto& s : d.stores.all()) {
            s.store->set_online(false);
        }
    }
    for (auto& s : d.stores.all()) {
        co_await s.store->async_close();
    }
    if (d.owns_socket_file) {
        ::unlink(d.settings.socket_path.c_str());
    }
    d.exit = flushed ? exit_flushed : exit_not_flushed;
    d.log(log_level::info, "daemon",
          flushed ? "stopped; every write is in the bucket"
                  : "stopped with writes still queued (exit code 3)");
}

bool same_server(const s3::endpoint& a, const s3::endpoint& b) {
    return a.tls == b.tls && a.host == b.host && a.port == b.port && a.region == b.region &&
           a.addressing == b.addressing;
}

void reload_on_hangup(daemon_state& d) {
    d.log(log_level::info, "daemon",
          "SIGHUP: re-reading the credentials of " + describe_stores(d.stores) +
              " (mps3d.conf is not reloaded)");
    for (const auto& r : d.reloadable) {
        r.credentials->invalidate();
        // The AWS config file may also name another endpoint, region or addressing: the
        // connections in place are kept, so that needs a restart. Say so rather than ignore it.
        auto now = resolve_store_endpoint(*r.settings, d.env);
        if (!now) {
            d.log(log_level::warn, "daemon", now.err().describe() + "; keeping the running one");
        } else if (!same_server(*now, r.server)) {
            d.log(log_level::warn, "daemon",
                  "store " + r.settings->name +
                      ": the AWS configuration now gives another endpoint, region or addressing "
                      "style; restart mps3d to apply it");
        }
    }
    for (auto& s : d.stores.all()) {
        s.store->retry_now();
    }
}

}  // namespace

int run_daemon(const daemon_settings& settings, const s3::environment& env,
               const runtime_options& options) {
    // A client that disconnects mid-answer must cost an EPIPE, never the process.
    std::signal(SIGPIPE, SIG_IGN);  // NOLINT: the C API
    // Before the io_context: a reply or request destroyed with it still reports to the metrics.
    daemon_metrics metrics;
    const auto started = std::chrono::system_clock::now();
    auto identities = std::make_shared<std::vector<store_identity>>();
    asio::io_context io(1);
    log_format format;
    format.journald = stderr_is_journald();
    format.timestamps = !format.journald;
    daemon_state d{settings,     env, options, make_log_sink(settings.level, format),
                   {},           {},  false,   false,
                   exit_flushed, {}};

    // Every store's configuration first: one that can never work stops mps3d before anything
    // is created or opened, with exit code 2 (no restart: systemd's RestartPreventExitStatus).
    std::vector<store_config> configs;
    for (const auto& s : settings.stores) {
        auto config = make_store_config(s, settings, env, d.log);
        if (!config) {
            d.log(log_level::error, "daemon", config.err().describe());
            return exit_usage;
        }
        d.reloadable.push_back({&s, config->s3.credential_source, config->s3.server});
        config->s3.observer = metrics.s3_observer(s.name);
        identities->push_back(identify(s.name, *config));
        configs.push_back(std::move(*config));
    }
    // Versioned stores: a bucket whose versioning is definitely not Enabled stops mps3d now
    // (exit 2), as a bad configuration does. One that cannot be reached does not: the store is
    // offline-first, and checks again before it syncs.
    if (!settings.start_offline) {
        for (std::size_t i = 0; i < settings.stores.size(); ++i) {
            if (!configs[i].versioning) {
                continue;
            }
            const auto& s = settings.stores[i];
            auto config = configs[i];
            config.s3.retry.max_attempts = 2;  // a start-up check, not a sync: keep it short
            config.s3.request_timeout = std::min<std::chrono::milliseconds>(
                config.s3.request_timeout, std::chrono::seconds(10));
            std::optional<status> verdict;
            asio::co_spawn(
                io,
                [&verdict, check = std::move(config),
                 ex = io.get_executor()]() mutable -> asio::awaitable<void> {
                    verdict = co_await async_check_bucket_versioning(ex, std::move(check));
                },
                asio::detached);
            io.run();
            io.restart();
            if (!verdict) {
                d.log(log_level::error, "daemon",
                      "store '" + s.name + "': the versioning check did not finish");
                return exit_fatal;
            }
            if (*verdict) {
                d.log(log_level::info, "daemon",
                      "store " + s.name + ": bucket " + s.bucket +
                          " has S3 versioning Enabled (versioned mode)");
            } else if (verdict->err().code == make_error_code(errc::invalid_argument)) {
                d.log(log_level::error, "daemon",
                      "store '" + s.name + "' (" + s.origin + "): " + verdict->err().describe());
                return exit_usage;
            } else {
                d.log(log_level::warn, "daemon",
                      "store " + s.name + ": " + verdict->err().describe() +
                          "; starting anyway, the store checks again before it syncs");
            }
        }
    }
    if (auto dir = prepare_state_dir(settings.state_dir); !dir) {
        d.log(log_level::error, "daemon", dir.err().describe());
        return exit_fatal;
    }
    for (std::size_t i = 0; i < settings.stores.size(); ++i) {
        const auto& s = settings.stores[i];
        auto opened = store::open(io.get_executor(), std::move(configs[i]));
        if (!opened) {
            d.log(log_level::error, "daemon",
                  "store '" + s.name + "' (" + s.origin + "): " + opened.err().describe());
            // A replica that belongs to another bucket or manifest is the configuration's
            // mistake too; a replica that cannot be opened or read is not.
            const bool configuration = opened.err().code == make_error_code(errc::invalid_argument);
            return configuration ? exit_usage : exit_fatal;
        }
        d.log(log_level::info, "daemon",
              "store " + s.name + ": bucket " + s.bucket + ", manifest " + s.manifest +
                  ", replica " + s.replica.string() + (settings.start_offline ? ", offline" : ""));
        d.stores.add(s.name, std::move(*opened));
    }

    auto listener = open_listener(io.get_executor(), d);
    if (!listener) {
        d.log(log_level::error, "daemon", listener.err().describe());
        return exit_fatal;
    }
    // The path clients use: under socket activation, the one systemd bound, not our default.
    boost::system::error_code path_ec;
    const auto listening_on = listener->local_endpoint(path_ec).path();
    ipc::server_options server_opts;
    server_opts.session.max_frame = settings.max_frame_bytes;
    server_opts.session.max_queued_bytes = settings.max_queued_bytes;
    server_opts.session.max_queued_notifications = settings.max_queued_notifications;
    server_opts.session.max_subscriptions = settings.max_subscriptions_per_connection;
    server_opts.session.max_answer_bytes = settings.max_answer_bytes;
    server_opts.max_connections = connection_budget(settings.max_connections);
    if (server_opts.max_connections < settings.max_connections) {
        d.log(log_level::warn, "daemon",
              "max_connections lowered to " + std::to_string(server_opts.max_connections) +
                  ": the open-files limit (RLIMIT_NOFILE) allows no more");
    }
    server_opts.own_uid = static_cast<std::uint32_t>(::geteuid());
    server_opts.allowed_uids = settings.allowed_uids;
    server_opts.allowed_gids = settings.allowed_gids;
    server_opts.log = d.log;
    method_env env_for_methods;
    env_for_methods.stores = &d.stores;
    env_for_methods.executor = io.get_executor();
    env_for_methods.log = d.log;
    env_for_methods.observability = {
        identities, started, settings.observability.health_max_sync_age,
        [&metrics] { return metrics.render(); }, metrics.rpc_observer()};
    env_for_methods.limits.max_value_bytes = settings.max_value_bytes;
    env_for_methods.limits.max_answer_bytes = settings.max_answer_bytes;
    d.server.emplace(std::move(*listener), server_opts,
                     [env_for_methods](ipc::dispatcher& methods,
                                       const std::shared_ptr<ipc::connection>& connection) {
                         install_methods(methods, connection, env_for_methods);
                     });
    d.server->start();
    metrics.sample_from({&d.stores, [&d] { return d.server->connections(); }, started,
                         settings.observability.health_max_sync_age});
    auto metrics_http = serve_metrics(
        io.get_executor(), settings.observability, [&metrics] { return metrics.render(); }, d.log);
    if (!metrics_http) {
        d.log(log_level::error, "daemon", metrics_http.err().describe());
        return exit_fatal;
    }
    d.metrics_http = std::move(*metrics_http);

    asio::steady_timer status_timer(io);
    asio::signal_set hangup(io, SIGHUP);
    asio::signal_set stop_signals(io, SIGTERM, SIGINT);
    stop_signals.async_wait([&](const boost::system::error_code& ec, int signal_number) {
        if (ec) {
            return;
        }
        d.stopping = true;
        status_timer.cancel();
        hangup.cancel();
        asio::co_spawn(io, shut_down(d, signal_number), [&](std::exception_ptr e) {
            if (e) {
                d.log(log_level::error, "daemon", "shutdown failed");
                d.exit = exit_fatal;
            }
            io.stop();
        });
    });

    // SIGHUP: re-read every store's credentials (the AWS files, a credential_process) and try
    // to sync at once; connections stay open. mps3d's own configuration is not reloaded.
    std::function<void()> watch_hangup = [&] {
        hangup.async_wait([&](const boost::system::error_code& ec, int) {
            if (ec) {
                return;
            }
            reload_on_hangup(d);
            watch_hangup();
        });
    };
    watch_hangup();

    const auto ready = "serving " + describe_stores(d.stores) + " on " + listening_on;
    d.log(log_level::info, "daemon", ready);
    notify_ready(ready);
    asio::co_spawn(io, report_status(d, status_timer), asio::detached);
    io.run();
    return d.exit;
}

}  // namespace mps3::daemon
