#include "metrics_listener.hpp"

#include "metrics/registry.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <map>

namespace mps3::daemon {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

}  // namespace

struct metrics_listener::state {
    state(tcp::acceptor a, render_fn r, log_sink l, metrics_listener_options o)
        : acceptor(std::move(a)), render(std::move(r)), log(std::move(l)), options(o) {}

    tcp::acceptor acceptor;
    render_fn render;
    log_sink log;
    metrics_listener_options options;
    std::map<std::uint64_t, beast::tcp_stream*> open;  // to close them at stop()
    std::uint64_t next_id = 1;
    bool stopped = false;

    void note(log_level level, const std::string& message) const {
        if (log) {
            log(level, "metrics", message);
        }
    }
};

namespace {

http::response<http::string_body> answer(metrics_listener::state& s,
                                         const http::request<http::empty_body>& request) {
    http::response<http::string_body> out;
    out.version(request.version());
    out.keep_alive(request.keep_alive());
    const std::string_view target = request.target();
    const bool metrics_path = target == "/metrics" || target.starts_with("/metrics?");
    if (!metrics_path) {
        out.result(http::status::not_found);
        out.set(http::field::content_type, "text/plain; charset=utf-8");
        out.body() = "Not found: the metrics are at /metrics\n";
    } else if (request.method() != http::verb::get) {
        out.result(http::status::method_not_allowed);
        out.set(http::field::allow, "GET");
        out.set(http::field::content_type, "text/plain; charset=utf-8");
        out.body() = "Method not allowed: use GET\n";
    } else {
        out.result(http::status::ok);
        out.set(http::field::content_type, metrics::exposition_content_type);
        out.body() = s.render();
    }
    out.prepare_payload();
    return out;
}

asio::awaitable<void> serve(std::shared_ptr<metrics_listener::state> s, tcp::socket socket) {
    const auto id = s->next_id++;
    beast::tcp_stream stream(std::move(socket));
    s->open.emplace(id, &stream);
    beast::flat_buffer buffer(s->options.max_header_bytes);
    while (!s->stopped) {
        http::request_parser<http::empty_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(s->options.max_header_bytes));
        parser.body_limit(0);  // a scrape has no body
        stream.expires_after(s->options.idle_timeout);
        auto [read_ec, read_bytes] =
            co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        (void)read_bytes;
        if (read_ec) {
            if (read_ec != http::error::end_of_stream &&
                read_ec != asio::error::operation_aborted && read_ec != beast::error::timeout) {
                s->note(log_level::debug, "request refused: " + read_ec.message());
            }
            break;
        }
        auto response = answer(*s, parser.get());
        stream.expires_after(s->options.idle_timeout);
        auto [write_ec, written] =
            co_await http::async_write(stream, response, asio::as_tuple(asio::use_awaitable));
        (void)written;
        if (write_ec || !response.keep_alive()) {
            break;
        }
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream.socket().close(ignored);
    s->open.erase(id);
}

asio::awaitable<void> accept_loop(std::shared_ptr<metrics_listener::state> s) {
    while (!s->stopped) {
        auto [ec, socket] = co_await s->acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
        if (ec) {
            if (ec == asio::error::operation_aborted || s->stopped) {
                co_return;
            }
            // EMFILE and the like: the socket clients matter more; try again.
            s->note(log_level::warn, "accept failed: " + ec.message());
            continue;
        }
        if (s->open.size() >= s->options.max_connections) {
            boost::system::error_code ignored;
            socket.close(ignored);
            s->note(log_level::debug,
                    "connection refused: " + std::to_string(s->options.max_connections) +
                        " already open");
            continue;
        }
        asio::co_spawn(s->acceptor.get_executor(), serve(s, std::move(socket)), asio::detached);
    }
}

}  // namespace

result<std::unique_ptr<metrics_listener>> metrics_listener::open(asio::any_io_executor executor,
                                                                 const metrics::listen_address& at,
                                                                 render_fn render, log_sink log,
                                                                 metrics_listener_options options) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(at.host, ec);
    tcp::acceptor acceptor(executor);
    const tcp::endpoint where(address, at.port);
    if (!ec) {
        acceptor.open(where.protocol(), ec);
    }
    if (!ec) {
        acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        acceptor.bind(where, ec);
    }
    if (!ec) {
        acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        return error(errc::network,
                     "cannot listen for metrics on " + at.to_string() + ": " + ec.message());
    }
    auto s =
        std::make_shared<state>(std::move(acceptor), std::move(render), std::move(log), options);
    return std::unique_ptr<metrics_listener>(new metrics_listener(std::move(s)));
}

metrics_listener::metrics_listener(std::shared_ptr<state> s) : state_(std::move(s)) {}

metrics_listener::~metrics_listener() {
    stop();
}

void metrics_listener::start() {
    asio::co_spawn(state_->acceptor.get_executor(), accept_loop(state_), asio::detached);
}

void metrics_listener::stop() {
    if (state_->stopped) {
        return;
    }
    state_->stopped = true;
    boost::system::error_code ignored;
    state_->acceptor.close(ignored);
    for (auto& [id, stream] : state_->open) {
        stream->socket().close(ignored);
    }
}

result<std::unique_ptr<metrics_listener>> serve_metrics(asio::any_io_executor executor,
                                                        const observability_settings& settings,
                                                        metrics_listener::render_fn render,
                                                        const log_sink& log) {
    if (settings.metrics_listen.empty()) {
        return std::unique_ptr<metrics_listener>();
    }
    auto at = metrics::parse_listen_address(settings.metrics_listen);
    if (!at) {
        return std::move(at).err();
    }
    auto listener = metrics_listener::open(std::move(executor), *at, std::move(render), log);
    if (!listener) {
        return listener;
    }
    (*listener)->start();
    auto bound = *at;
    bound.port = (*listener)->port();
    if (log) {
        log(log_level::info, "daemon", "metrics on http://" + bound.to_string() + "/metrics");
    }
    return listener;
}

std::uint16_t metrics_listener::port() const {
    boost::system::error_code ec;
    return state_->acceptor.local_endpoint(ec).port();
}

}  // namespace mps3::daemon
