// One proxied connection served request by request (HTTP/1.1, no pipelining, which is how S3
// clients use a connection), so that a fault_plan can pick a fault per request: answer an S3
// error itself, reset, stall, truncate or never answer (fault_plan.hpp lists them). tcp_proxy
// uses it for the connections it accepts while a plan is set.
#pragma once

#include "fault_plan.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>

namespace mps3::test {

/// What the relay tells its proxy (called on the proxy's thread).
struct relay_hooks {
    std::function<void(request_kind)> on_request;  // a whole request head was read
    std::function<void(std::size_t to_server, std::size_t from_server)> on_bytes;
    std::function<void()> on_unparsed;                 // the client sent what is not HTTP/1.1
    std::function<std::chrono::milliseconds()> delay;  // before forwarding each request
};

/// Serves `client` until it closes or a fault ends the connection; `server` is connected to the
/// real server. Both are closed when it returns.
boost::asio::awaitable<void> relay_http(std::shared_ptr<boost::asio::ip::tcp::socket> client,
                                        std::shared_ptr<boost::asio::ip::tcp::socket> server,
                                        std::shared_ptr<fault_plan> plan, relay_hooks hooks);

}  // namespace mps3::test
