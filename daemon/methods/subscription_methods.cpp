// subscribe / unsubscribe and the `changed` notifications. A subscription belongs to its
// connection (the session keeps the store's subscription alive) and ends with it, with
// unsubscribe, or when the client falls behind (`lagged`, see mps3/ipc/connection.hpp).
#include "methods/method_env.hpp"

#include <mps3/ipc/json_builder.hpp>
#include <mps3/ipc/response.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <string>
#include <utility>
#include <vector>

namespace mps3::daemon::methods_detail {
namespace {

namespace asio = boost::asio;
using ipc::json_builder;
using ipc::rpc_result;

// Replay reads the change log in pages, so a long absence does not load it all at once.
constexpr std::size_t replay_page = 512;

// Live changes that arrive while a replay is still being sent wait here, so that the client
// gets every change once, in seq order.
struct live_gate {
    bool open = false;
    std::vector<change_event> held;
};

// What a subscription watches: one key, or every key with a prefix.
struct key_filter {
    std::string match;
    bool prefix = false;
    [[nodiscard]] bool matches(const std::string& key) const {
        return prefix ? key.starts_with(match) : key == match;
    }
};

struct store_subscription final : ipc::connection::attachment {
    explicit store_subscription(mps3::subscription s) : sub(std::move(s)) {}
    mps3::subscription sub;
};

std::optional<std::string> changed_line(std::uint64_t subscription_id, const change_event& c) {
    json_builder params;
    params.begin_object().key("subscription").uinteger(subscription_id).key("key").string(c.key);
    if (c.new_value) {
        params.key("value").raw(*c.new_value);
    } else {
        params.key("deleted").boolean(true);
    }
    params.key("version")
        .string(c.version)
        .key("origin")
        .string(c.origin == change_origin::local ? "local" : "remote")
        .key("seq")
        .uinteger(c.seq)
        .end_object();
    if (!params.ok()) {
        return std::nullopt;
    }
    return ipc::notification_line("changed", params.str());
}

void deliver(const std::weak_ptr<ipc::connection>& connection, std::uint64_t subscription_id,
             const change_event& c) {
    auto s = connection.lock();
    if (!s) {
        return;
    }
    if (auto line = changed_line(subscription_id, c)) {
        s->notify(subscription_id, c.seq, std::move(*line));
    }
}

// Sends the changes in (after, until] from the change log, page by page, pacing itself to
// the client; then the live changes held meanwhile, and opens the gate to live delivery.
asio::awaitable<void> replay(std::weak_ptr<ipc::connection> weak_connection,
                             std::shared_ptr<live_gate> gate, std::uint64_t id, key_filter filter,
                             mps3::store* target, std::uint64_t after, std::uint64_t until,
                             method_env env) {
    // Let the subscribe response go out first (the dispatcher writes it after the handler).
    co_await asio::post(env.executor, asio::use_awaitable);
    while (after < until) {
        auto connection = weak_connection.lock();
        if (!connection) {
            co_return;
        }
        // (Not folded into one condition: GCC 12 mishandles co_await in a conditional operand.)
        const bool may_send = co_await connection->wait_for_capacity(id);
        if (!may_send) {
            co_return;  // the connection or the subscription ended
        }
        auto page = target->changes_since(after, replay_page);
        if (!page || page->empty()) {
            if (!page && env.log) {
                env.log(log_level::error, "ipc",
                        "subscription replay failed: " + page.err().describe());
            }
            if (!page) {
                // The client learns it through `lagged` and resubscribes from where it got to.
                connection->end_with_lagged(id);
                co_return;
            }
            break;
        }
        for (const auto& c : *page) {
            if (c.seq > until) {
                break;
            }
            if (filter.matches(c.key)) {
                deliver(weak_connection, id, c);
            }
        }
        after = page->back().seq;
    }
    for (const auto& c : gate->held) {
        if (c.seq > until) {
            deliver(weak_connection, id, c);
        }
    }
    gate->held.clear();
    gate->open = true;
}

void subscribe(const ipc::request& r, ipc::reply& answer, const method_env& env,
               const std::weak_ptr<ipc::connection>& weak_connection) {
    const auto args = r.args();
    if (auto unknown = args.only({"key", "prefix", "since", "store"})) {
        return answer.error(*unknown);
    }
    auto target = store_of(args, env);
    auto key = args.optional_string("key");
    auto prefix = args.optional_string("prefix");
    auto since = args.optional_int("since", 0);
    if (!target) {
        return answer.error(target.err());
    }
    if (!key) {
        return answer.error(key.err());
    }
    if (!prefix) {
        return answer.error(prefix.err());
    }
    if (!since) {
        return answer.error(since.err());
    }
    if (key->has_value() == prefix->has_value()) {
        return answer.error(ipc::params::invalid("key", "exactly one of 'key' or 'prefix'",
                                                 "give exactly one of 'key' or 'prefix'"));
    }
    auto connection = weak_connection.lock();
    if (!connection) {
        return;  // the connection is gone: nobody to answer
    }
    auto& store = *(*target)->store;
    const auto now_seq = store.get_status().last_seq;
    const std::uint64_t start_seq =
        since->has_value() ? static_cast<std::uint64_t>(**since) : now_seq;
    const bool replaying = since->has_value() && start_seq < now_seq;
    // Whether the log still reaches back to `since` (seqs are contiguous while it is intact),
    // which the response reports.
    bool complete = start_seq <= now_seq;
    if (replaying) {
        auto probe = store.changes_since(start_seq, 1);
        if (!probe) {
            return answer.error(to_answer(probe.err()));
        }
        complete = !probe->empty() && probe->front().seq == start_seq + 1;
    }
    auto gate = std::make_shared<live_gate>();
    gate->open = !replaying;
    // The session assigns the id and the store's handler needs it: open the subscription, then
    // attach the store's to it (nothing else runs in between, one thread).
    auto holder = std::make_unique<store_subscription>(mps3::subscription());
    auto* slot = holder.get();
    const auto opened = connection->open_subscription(start_seq, std::move(holder));
    if (!opened) {
        const auto max = connection->max_subscriptions();
        return answer.error(ipc::rpc_error(
            ipc::rpc_code::limit_exceeded,
            "Limit exceeded: this connection already has " + std::to_string(max) +
                " subscriptions (max_subscriptions_per_connection); unsubscribe one first",
            "{\"maxSubscriptionsPerConnection\":" + std::to_string(max) + "}"));
    }
    const auto id = *opened;
    const auto max_held = env.max_held_changes;
    auto live = [weak_connection, gate, id, max_held](const change_event& c) {
        if (gate->open) {
            deliver(weak_connection, id, c);
            return;
        }
        // A replay is still going out: hold live changes (bounded) to keep seq order.
        if (gate->held.size() < max_held) {
            gate->held.push_back(c);
        } else if (auto s = weak_connection.lock()) {
            s->end_with_lagged(id);
        }
    };
    const key_filter filter{std::string(key->has_value() ? **key : **prefix), prefix->has_value()};
    slot->sub = filter.prefix ? store.subscribe_prefix(filter.match, live)
                              : store.subscribe_key(filter.match, live);
    json_builder out;
    out.begin_object().key("subscription").uinteger(id).key("seq").uinteger(now_seq);
    if (!complete) {
        out.key("complete").boolean(false);
    }
    out.end_object();
    answer.result(out.str());
    if (replaying) {
        asio::co_spawn(env.executor,
                       replay(weak_connection, gate, id, filter, &store, start_seq, now_seq, env),
                       asio::detached);
    }
}

rpc_result<std::string> unsubscribe(const ipc::request& r,
                                    const std::weak_ptr<ipc::connection>& weak_connection) {
    const auto args = r.args();
    if (auto unknown = args.only({"subscription"})) {
        return *unknown;
    }
    auto id = args.required_int("subscription", 1);
    if (!id) {
        return std::move(id).err();
    }
    auto connection = weak_connection.lock();
    if (!connection || !connection->close_subscription(static_cast<std::uint64_t>(*id))) {
        return ipc::rpc_error(
            ipc::rpc_code::not_found,
            "Not found: this connection has no subscription " + std::to_string(*id));
    }
    return std::string("{}");
}

}  // namespace

void install_subscription_methods(ipc::dispatcher& methods,
                                  const std::shared_ptr<ipc::connection>& connection,
                                  const method_env& env) {
    std::weak_ptr<ipc::connection> weak = connection;
    methods.add("subscribe",
                [env, weak](const ipc::request& r, ipc::reply& a) { subscribe(r, a, env, weak); });
    methods.add_sync("unsubscribe", [weak](const ipc::request& r) { return unsubscribe(r, weak); });
}

}  // namespace mps3::daemon::methods_detail
