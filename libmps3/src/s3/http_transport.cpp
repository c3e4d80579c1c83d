#include "s3/http_transport.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <sys/socket.h>

#include <cerrno>
#include <functional>
#include <list>
#include <map>
#include <optional>

namespace mps3::s3::detail {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;
using steady = std::chrono::steady_clock;
constexpr auto use_awaitable = asio::use_awaitable;

struct connection {
    std::string host;
    std::unique_ptr<beast::tcp_stream> plain;
    std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
    beast::flat_buffer buffer;
    steady::time_point idle_since;

    beast::tcp_stream& tcp() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
};

struct pool_waiter {
    asio::steady_timer timer;
    bool woken = false;
};

// What one exchange on one connection produced.
struct exchange_outcome {
    std::optional<http_response> response;
    error failure;
    bool nothing_received = false;  // the server sent not one byte: a stale pooled connection
    bool keep_alive = false;
};

// Whether an idle keep-alive connection is still worth a request: the peer has not closed it
// (a read would return EOF) and sent nothing (an HTTP/1.1 server sends nothing unasked; TLS
// close_notify counts too). Servers close idle connections on their own schedule (Node, and
// so s3rver: after 5 s), and a pool of 64 would otherwise hand out one dead connection after
// another to a request's every attempt. A peek that does not block; curl checks the same way.
bool still_open(connection& conn) {
    auto& socket = conn.tcp().socket();
    if (!socket.is_open()) {
        return false;
    }
    char byte = 0;
    const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

bool is_ip_literal(const std::string& host) {
    error_code ec;
    (void)asio::ip::make_address(host, ec);
    return !ec;
}

}  // namespace

struct http_transport::impl : std::enable_shared_from_this<impl> {
    asio::any_io_executor executor;
    transport_options options;
    asio::ssl::context tls_context{asio::ssl::context::tls_client};
    std::string tls_setup_error;

    std::vector<std::unique_ptr<connection>> idle;
    std::size_t in_use = 0;
    std::size_t opened = 0;
    std::list<pool_waiter*> waiters;

    // cancel_all() bumps the generation; an operation that started under an older generation
    // reports errc::cancelled. The hooks abort whatever each operation is blocked on.
    std::uint64_t generation = 0;
    std::uint64_t next_hook_id = 0;
    std::map<std::uint64_t, std::function<void()>> cancel_hooks;

    impl(asio::any_io_executor ex, transport_options opts)
        : executor(std::move(ex)), options(std::move(opts)) {
        error_code ec;
        tls_context.set_default_verify_paths(ec);
        if (!options.ca_file.empty()) {
            tls_context.load_verify_file(options.ca_file, ec);
            if (ec) {
                tls_setup_error = "cannot load CA file " + options.ca_file + ": " + ec.message();
            }
        }
        tls_context.set_verify_mode(options.verify_tls ? asio::ssl::verify_peer
                                                       : asio::ssl::verify_none);
    }

    // Registers a cancel hook for the lifetime of the guard.
    class hook_guard {
      public:
        hook_guard(impl& owner, std::function<void()> hook)
            : owner_(owner), id_(owner.next_hook_id++) {
            owner_.cancel_hooks.emplace(id_, std::move(hook));
        }
        ~hook_guard() { owner_.cancel_hooks.erase(id_); }
        hook_guard(const hook_guard&) = delete;
        hook_guard& operator=(const hook_guard&) = delete;

      private:
        impl& owner_;
        std::uint64_t id_;
    };

    class slot_guard {
      public:
        explicit slot_guard(impl& owner) : owner_(owner) {}
        ~slot_guard() { owner_.release_slot(); }
        slot_guard(const slot_guard&) = delete;
        slot_guard& operator=(const slot_guard&) = delete;

      private:
        impl& owner_;
    };

    [[nodiscard]] std::string where() const {
        return options.server.host + ":" + std::to_string(options.server.port);
    }

    error transport_error(const error_code& ec, std::string_view stage, std::uint64_t gen) const {
        if (gen != generation) {
            return {errc::cancelled, std::string(stage) + " " + where() + ": cancelled"};
        }
        if (ec == beast::error::timeout || ec == asio::error::timed_out) {
            return {errc::timeout, std::string(stage) + " " + where() + ": deadline exceeded"};
        }
        if (ec.category() == asio::error::get_ssl_category() ||
            ec == asio::ssl::error::stream_truncated) {
            return {errc::tls, std::string(stage) + " " + where() + ": " + ec.message()};
        }
        return {errc::network, std::string(stage) + " " + where() + ": " + ec.message()};
    }

    // The connection is dropped with the body unread (the outcome has no response).
    error too_large(std::size_t limit) const {
        return {errc::too_large, "the response from " + where() + " is larger than the limit of " +
                                     std::to_string(limit) + " bytes; not read"};
    }

    asio::awaitable<status> acquire_slot(deadline until, std::uint64_t gen) {
        while (in_use >= options.max_connections) {
            if (gen != generation) {
                co_return error(errc::cancelled, "waiting for a connection: cancelled");
            }
            if (steady::now() >= until) {
                co_return error(errc::timeout,
                                "no free connection to " + where() + " before the deadline");
            }
            pool_waiter waiter{asio::steady_timer(executor, until)};
            auto position = waiters.insert(waiters.end(), &waiter);
            error_code ec;
            co_await waiter.timer.async_wait(asio::redirect_error(use_awaitable, ec));
            if (!waiter.woken) {
                waiters.erase(position);
            }
        }
        ++in_use;
        co_return success{};
    }

    void release_slot() {
        --in_use;
        if (!waiters.empty()) {
            pool_waiter* next = waiters.front();
            waiters.pop_front();
            next->woken = true;
            next->timer.cancel();
        }
    }

    std::unique_ptr<connection> take_idle(const std::string& host) {
        const auto now = steady::now();
        std::unique_ptr<connection> found;
        for (auto it = idle.begin(); it != idle.end();) {
            if (now - (*it)->idle_since > options.max_idle) {
                it = idle.erase(it);  // the server has probably closed it: don't gamble
            } else if (!found && (*it)->host == host && !still_open(**it)) {
                it = idle.erase(it);  // closed by the server meanwhile
            } else if (!found && (*it)->host == host) {
                found = std::move(*it);
                it = idle.erase(it);
            } else {
                ++it;
            }
        }
        return found;
    }

    void return_idle(std::unique_ptr<connection> conn) {
        conn->idle_since = steady::now();
        if (idle.size() >= options.max_connections) {
            idle.erase(idle.begin());
        }
        idle.push_back(std::move(conn));
    }

    asio::awaitable<result<std::unique_ptr<connection>>> connect(const std::string& host,
                                                                 deadline until,
                                                                 std::uint64_t gen) {
        if (!tls_setup_error.empty() && options.server.tls) {
            co_return error(errc::tls, tls_setup_error);
        }
        auto conn = std::make_unique<connection>();
        conn->host = host;
        if (options.server.tls) {
            conn->secure =
                std::make_unique<beast::ssl_stream<beast::tcp_stream>>(executor, tls_context);
        } else {
            conn->plain = std::make_unique<beast::tcp_stream>(executor);
        }
        const std::string port = std::to_string(options.server.port);

        asio::ip::tcp::resolver::results_type endpoints;
        error_code ec;
        if (is_ip_literal(host)) {
            endpoints = asio::ip::tcp::resolver::results_type::create(
                asio::ip::tcp::endpoint(asio::ip::make_address(host), options.server.port), host,
                port);
        } else {
            // The resolver has no deadline of its own: a timer cancels it.
            asio::ip::tcp::resolver resolver(executor);
            asio::steady_timer resolve_deadline(executor, until);
            resolve_deadline.async_wait([&resolver](const error_code& wait_ec) {
                if (!wait_ec) {
                    resolver.cancel();
                }
            });
            hook_guard hook(*this, [&resolver] { resolver.cancel(); });
            endpoints = co_await resolver.async_resolve(host, port,
                                                        asio::redirect_error(use_awaitable, ec));
            resolve_deadline.cancel();
            if (ec) {
                if (ec == asio::error::operation_aborted && gen == generation) {
                    co_return error(errc::timeout, "resolving " + host + ": deadline exceeded");
                }
                co_return transport_error(ec, "resolving", gen);
            }
        }

        hook_guard hook(*this, [c = conn.get()] { c->tcp().cancel(); });
        conn->tcp().expires_at(until);
        co_await conn->tcp().async_connect(endpoints, asio::redirect_error(use_awaitable, ec));
        if (ec) {
            co_return transport_error(ec, "connecting to", gen);
        }
        ++opened;
        if (conn->secure) {
            SSL* ssl = conn->secure->native_handle();
            if (!is_ip_literal(host)) {
                // SNI; the macro SSL_set_tlsext_host_name hides a C-style cast.
                SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                         const_cast<char*>(host.c_str()));
            }
            if (options.verify_tls) {
                conn->secure->set_verify_callback(asio::ssl::host_name_verification(host));
            }
            co_await conn->secure->async_handshake(asio::ssl::stream_base::client,
                                                   asio::redirect_error(use_awaitable, ec));
            if (ec) {
                co_return transport_error(ec, "TLS handshake with", gen);
            }
        }
        co_return std::move(conn);
    }

    template <class Stream>
    asio::awaitable<exchange_outcome> exchange_on(Stream& stream, connection& conn,
                                                  const http_request& request, deadline until,
                                                  std::uint64_t gen) {
        exchange_outcome outcome;
        http::request<http::string_body> message{http::string_to_verb(request.method),
                                                 request.target, 11};
        message.set(http::field::host, request.host_header);
        for (const auto& [name, value] : request.headers) {
            message.set(name, value);
        }
        message.keep_alive(true);
        message.body() = request.body;
        message.prepare_payload();

        hook_guard hook(*this, [&conn] { conn.tcp().cancel(); });
        conn.tcp().expires_at(until);
        http_response response;
        response.sent_at = clock::now();
        error_code ec;
        co_await http::async_write(stream, message, asio::redirect_error(use_awaitable, ec));
        if (ec) {
            outcome.failure = transport_error(ec, "sending to", gen);
            outcome.nothing_received = true;
            co_return outcome;
        }

        http::response_parser<http::string_body> parser;
        const std::size_t body_limit =
            request.max_response_body != 0 ? request.max_response_body : options.max_response_body;
        parser.body_limit(body_limit);
        if (request.method == "HEAD") {
            parser.skip(true);
        }
        co_await http::async_read_header(stream, conn.buffer, parser,
                                         asio::redirect_error(use_awaitable, ec));
        if (ec == http::error::body_limit) {  // Content-Length over the limit: not one byte read
            outcome.failure = too_large(body_limit);
            co_return outcome;
        }
        if (ec) {
            outcome.failure = transport_error(ec, "reading the response from", gen);
            outcome.nothing_received = !parser.got_some();
            co_return outcome;
        }
        response.received_at = clock::now();
        if (!parser.is_done()) {
            co_await http::async_read(stream, conn.buffer, parser,
                                      asio::redirect_error(use_awaitable, ec));
            if (ec == http::error::body_limit) {  // chunked: stopped at the limit
                outcome.failure = too_large(body_limit);
                co_return outcome;
            }
            if (ec) {
                outcome.failure = transport_error(ec, "reading the response body from", gen);
                co_return outcome;
            }
        }
        auto parsed = parser.release();
        response.status = parsed.result_int();
        for (const auto& field : parsed) {
            response.headers.emplace_back(std::string(field.name_string()),
                                          std::string(field.value()));
        }
        response.body = std::move(parsed.body());
        outcome.keep_alive = parsed.keep_alive();
        outcome.response = std::move(response);
        co_return outcome;
    }
};

http_transport::http_transport(boost::asio::any_io_executor executor, transport_options options)
    : impl_(std::make_shared<impl>(std::move(executor), std::move(options))) {}

http_transport::~http_transport() {
    cancel_all();
}

boost::asio::awaitable<result<http_response>> http_transport::async_exchange(http_request request,
                                                                             deadline until) {
    const std::shared_ptr<impl> self = impl_;  // outlives the transport while we are suspended
    const std::uint64_t gen = self->generation;
    if (auto slot = co_await self->acquire_slot(until, gen); !slot) {
        co_return std::move(slot).err();
    }
    impl::slot_guard slot(*self);

    // Two passes at most: the second only when a pooled connection turned out to be dead.
    for (int pass = 0; pass < 2; ++pass) {
        std::unique_ptr<connection> conn = self->take_idle(request.host);
        const bool reused = conn != nullptr;
        if (!conn) {
            auto connected = co_await self->connect(request.host, until, gen);
            if (!connected) {
                co_return std::move(connected).err();
            }
            conn = std::move(*connected);
        }
        // Not a conditional expression: GCC 12 mishandles co_await inside ?: (the temporary
        // is destroyed twice).
        exchange_outcome outcome;
        if (conn->secure) {
            outcome = co_await self->exchange_on(*conn->secure, *conn, request, until, gen);
        } else {
            outcome = co_await self->exchange_on(*conn->plain, *conn, request, until, gen);
        }
        if (outcome.response) {
            if (outcome.keep_alive && gen == self->generation) {
                self->return_idle(std::move(conn));
            }
            co_return std::move(*outcome.response);
        }
        const bool stale = reused && outcome.nothing_received &&
                           outcome.failure.code == make_error_code(errc::network);
        if (!stale) {
            co_return std::move(outcome.failure);
        }
    }
    co_return error(errc::network, "connection to " + self->where() + " closed twice in a row");
}

void http_transport::cancel_all() {
    ++impl_->generation;
    auto hooks = impl_->cancel_hooks;  // a hook may complete an operation that unregisters it
    for (auto& [id, hook] : hooks) {
        hook();
    }
    for (pool_waiter* waiter : impl_->waiters) {
        waiter->woken = true;
        waiter->timer.cancel();
    }
    impl_->waiters.clear();
    impl_->idle.clear();
}

std::size_t http_transport::idle_connections() const noexcept {
    return impl_->idle.size();
}
std::size_t http_transport::connections_opened() const noexcept {
    return impl_->opened;
}

}  // namespace mps3::s3::detail
