// What a method handler sees of the client connection it serves: its subscriptions and the
// notifications sent through them. The server's session implements it; handlers keep a
// weak_ptr to notify later (the connection may close first).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace mps3::ipc {

class dispatcher;

class connection {
  public:
    /// What a subscription keeps alive (e.g. the store's subscription); destroyed when the
    /// subscription ends: unsubscribe, lag, or the connection closing.
    struct attachment {
        virtual ~attachment() = default;
    };

    virtual ~connection() = default;

    [[nodiscard]] virtual std::uint64_t id() const = 0;

    // Subscriptions. A handler opens one (getting its id), answers the request with the id, and
    // notifies through it; `start_seq` is what lagged reports when nothing was delivered yet.
    /// nullopt when the connection already has max_subscriptions() (nothing is kept then).
    virtual std::optional<std::uint64_t> open_subscription(std::uint64_t start_seq,
                                                           std::unique_ptr<attachment> keep) = 0;
    /// Ends a subscription of this connection; false when it has none of that id.
    virtual bool close_subscription(std::uint64_t subscription_id) = 0;
    [[nodiscard]] virtual std::size_t subscription_count() const = 0;
    /// Subscriptions one connection may hold at once (session_limits).
    [[nodiscard]] virtual std::size_t max_subscriptions() const = 0;
    /// Queues a notification line of a subscription (`line` includes its '\n', e.g. from
    /// notification_line). Ignored when the subscription has ended.
    virtual void notify(std::uint64_t subscription_id, std::uint64_t seq, std::string line) = 0;
    /// Completes once the subscription has at most half its queue bound waiting (or has ended,
    /// or the connection closed: false then). A producer of many notifications (a replay) waits
    /// on it between pages so that it paces itself to the client instead of lagging it.
    virtual boost::asio::awaitable<bool> wait_for_capacity(std::uint64_t subscription_id) = 0;
    /// Ends a subscription the way an overflow does: its queued notifications are dropped and
    /// one `lagged` notification tells the client the last seq it got.
    virtual void end_with_lagged(std::uint64_t subscription_id) = 0;

  protected:
    connection() = default;
    connection(const connection&) = default;
    connection& operator=(const connection&) = default;
};

/// Registers the methods of one new connection.
using install_fn = std::function<void(dispatcher&, const std::shared_ptr<connection>&)>;

}  // namespace mps3::ipc
