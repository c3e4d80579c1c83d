#include "tcp_proxy.hpp"

#include "http_fault_relay.hpp"
#include "s3/http_message.hpp"

#include <mps3/text.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <charconv>
#include <deque>
#include <future>
#include <list>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace mps3::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

proxy_traffic operator-(const proxy_traffic& a, const proxy_traffic& b) {
    return {.list = a.list - b.list,
            .get = a.get - b.get,
            .head = a.head - b.head,
            .put = a.put - b.put,
            .del = a.del - b.del,
            .other = a.other - b.other,
            .unparsed = a.unparsed - b.unparsed,
            .bytes_to_server = a.bytes_to_server - b.bytes_to_server,
            .bytes_from_server = a.bytes_from_server - b.bytes_from_server,
            .connections = a.connections - b.connections};
}

namespace {

// A request head larger than this is not what an S3 client sends: stop parsing.
constexpr std::size_t max_head_bytes = 64 * 1024;

using s3::detail::iequals;

using mps3::trim;

// The counter a request goes to.
using counter = std::uint64_t proxy_traffic::*;
counter counter_of(request_kind kind) {
    switch (kind) {
        case request_kind::list:
            return &proxy_traffic::list;
        case request_kind::get:
            return &proxy_traffic::get;
        case request_kind::head:
            return &proxy_traffic::head;
        case request_kind::put:
            return &proxy_traffic::put;
        case request_kind::del:
            return &proxy_traffic::del;
        case request_kind::other:
        case request_kind::any:
            break;
    }
    return &proxy_traffic::other;
}

counter classify(std::string_view method, std::string_view target) {
    return counter_of(classify_request(method, target));
}

// Follows one connection's client -> server stream: request heads, then Content-Length bytes of
// body skipped. Anything else (chunked bodies, no HTTP/1.x request line, a bad length) makes it
// give up on the connection: counting guesses would be worse than counting nothing.
class request_parser {
  public:
    /// Feeds the next bytes; on_request(counter) for every complete request head. False once the
    /// stream could not be parsed (reported once; later feeds are ignored).
    template <class OnRequest>
    bool feed(std::string_view data, OnRequest&& on_request) {
        while (!data.empty() && !failed_) {
            if (body_left_ > 0) {
                const auto skip = std::min<std::uint64_t>(body_left_, data.size());
                body_left_ -= skip;
                data.remove_prefix(static_cast<std::size_t>(skip));
                continue;
            }
            const auto before = head_.size();
            head_.append(data);
            const auto end = head_.find("\r\n\r\n", before >= 3 ? before - 3 : 0);
            if (end == std::string::npos) {
                failed_ = head_.size() > max_head_bytes;
                return !failed_;
            }
            data.remove_prefix(end + 4 - before);
            head_.resize(end);
            failed_ = !parse_head(on_request);
            head_.clear();
        }
        return !failed_;
    }

  private:
    template <class OnRequest>
    bool parse_head(OnRequest& on_request) {
        std::string_view head = head_;
        while (head.starts_with("\r\n")) {  // stray CRLFs between requests are allowed
            head.remove_prefix(2);
        }
        const auto line_end = head.find("\r\n");
        const auto request_line = head.substr(0, line_end);
        const auto sp1 = request_line.find(' ');
        const auto sp2 = request_line.rfind(' ');
        if (sp1 == std::string_view::npos || sp2 == sp1 ||
            !request_line.substr(sp2 + 1).starts_with("HTTP/1.")) {
            return false;
        }
        std::uint64_t length = 0;
        std::string_view rest =
            line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
        while (!rest.empty()) {
            const auto eol = rest.find("\r\n");
            const auto line = rest.substr(0, eol);
            rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 2);
            const auto colon = line.find(':');
            if (colon == std::string_view::npos) {
                return false;
            }
            const auto name = trim(line.substr(0, colon));
            const auto value = trim(line.substr(colon + 1));
            if (iequals(name, "content-length")) {
                const auto [end, ec] =
                    std::from_chars(value.data(), value.data() + value.size(), length);
                if (ec != std::errc() || end != value.data() + value.size()) {
                    return false;
                }
            } else if (iequals(name, "transfer-encoding")) {
                return false;  // chunked: its body cannot be skipped by length
            }
        }
        on_request(
            classify(request_line.substr(0, sp1), request_line.substr(sp1 + 1, sp2 - sp1 - 1)));
        body_left_ = length;
        return true;
    }

    std::string head_;
    std::uint64_t body_left_ = 0;
    bool failed_ = false;
};

// The client -> server direction of one connection: chunks wait here until their time comes.
struct delayed_stream {
    explicit delayed_stream(asio::io_context& io) : wake(io) {}
    std::deque<std::pair<std::chrono::steady_clock::time_point, std::string>> chunks;
    bool ended = false;
    asio::steady_timer wake;  // cancelled to wake the writer
};

}  // namespace

struct tcp_proxy::impl : std::enable_shared_from_this<impl> {
    asio::io_context io;
    tcp::acceptor acceptor{io};
    tcp::endpoint target;
    std::atomic<bool> passing{true};
    std::atomic<std::int64_t> delay_ms{0};
    std::shared_ptr<fault_plan> faults;  // proxy thread only (set by a posted handler)
    mutable std::mutex counts_mutex;
    proxy_traffic counts;                          // guarded by counts_mutex
    std::list<std::shared_ptr<tcp::socket>> open;  // proxy thread only
    std::thread thread;
    unsigned short port = 0;

    void add(counter field, std::size_t n) {
        const std::lock_guard lock(counts_mutex);
        counts.*field += n;
    }

    static void close_both(tcp::socket& a, tcp::socket& b) {
        boost::system::error_code ignored;
        a.close(ignored);
        b.close(ignored);
    }

    // Client -> server, reading side: stamps each chunk, counts its requests, queues it.
    asio::awaitable<void> read_upstream(std::shared_ptr<tcp::socket> client,
                                        std::shared_ptr<delayed_stream> stream) {
        std::array<char, 16384> buf{};
        request_parser parser;
        bool parsing = true;
        for (;;) {
            auto [ec, n] = co_await client->async_read_some(asio::buffer(buf), use_tuple);
            if (ec) {
                break;
            }
            const auto due = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms);
            add(&proxy_traffic::bytes_to_server, n);
            if (parsing) {
                parsing = parser.feed({buf.data(), n}, [this](counter c) { add(c, 1); });
                if (!parsing) {
                    add(&proxy_traffic::unparsed, 1);
                }
            }
            stream->chunks.emplace_back(due, std::string(buf.data(), n));
            stream->wake.cancel();
        }
        stream->ended = true;
        stream->wake.cancel();
    }

    // Client -> server, writing side: forwards each chunk at its time, in order; when the
    // client is done and everything is forwarded, closes both sides.
    asio::awaitable<void> write_upstream(std::shared_ptr<tcp::socket> client,
                                         std::shared_ptr<tcp::socket> server,
                                         std::shared_ptr<delayed_stream> stream) {
        boost::system::error_code ignored;
        for (;;) {
            while (stream->chunks.empty() && !stream->ended) {
                stream->wake.expires_at(std::chrono::steady_clock::time_point::max());
                co_await stream->wake.async_wait(
                    asio::redirect_error(asio::use_awaitable, ignored));
            }
            if (stream->chunks.empty()) {
                break;
            }
            const auto due = stream->chunks.front().first;
            while (std::chrono::steady_clock::now() < due) {
                stream->wake.expires_at(due);  // a new chunk cancels the wait: wait again
                co_await stream->wake.async_wait(
                    asio::redirect_error(asio::use_awaitable, ignored));
            }
            const std::string chunk = std::move(stream->chunks.front().second);
            stream->chunks.pop_front();
            auto [wec, w] = co_await asio::async_write(*server, asio::buffer(chunk), use_tuple);
            (void)w;
            if (wec) {
                break;
            }
        }
        close_both(*client, *server);
    }

    // Server -> client: forwarded at once.
    asio::awaitable<void> pump_downstream(std::shared_ptr<tcp::socket> server,
                                          std::shared_ptr<tcp::socket> client) {
        std::array<char, 16384> buf{};
        for (;;) {
            auto [ec, n] = co_await server->async_read_some(asio::buffer(buf), use_tuple);
            if (ec) {
                break;
            }
            add(&proxy_traffic::bytes_from_server, n);
            auto [wec, w] =
                co_await asio::async_write(*client, asio::buffer(buf.data(), n), use_tuple);
            (void)w;
            if (wec) {
                break;
            }
        }
        close_both(*server, *client);
    }

    asio::awaitable<void> serve(std::shared_ptr<tcp::socket> client) {
        auto server = std::make_shared<tcp::socket>(io);
        auto [ec] = co_await server->async_connect(target, use_tuple);
        if (ec || !passing) {
            boost::system::error_code ignored;
            client->close(ignored);
            co_return;
        }
        open.push_back(client);
        open.push_back(server);
        if (faults) {
            asio::co_spawn(io, relay_http(client, server, faults, make_relay_hooks()),
                           asio::detached);
            co_return;
        }
        auto stream = std::make_shared<delayed_stream>(io);
        asio::co_spawn(io, read_upstream(client, stream), asio::detached);
        asio::co_spawn(io, write_upstream(client, server, stream), asio::detached);
        asio::co_spawn(io, pump_downstream(server, client), asio::detached);
    }

    asio::awaitable<void> accept_loop() {
        for (;;) {
            auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
            if (ec) {
                co_return;
            }
            auto client = std::make_shared<tcp::socket>(std::move(socket));
            if (!passing) {
                boost::system::error_code ignored;
                client->close(ignored);
                continue;
            }
            add(&proxy_traffic::connections, 1);
            asio::co_spawn(io, serve(client), asio::detached);
        }
    }

    relay_hooks make_relay_hooks() {
        return {.on_request = [this](request_kind k) { add(counter_of(k), 1); },
                .on_bytes =
                    [this](std::size_t to_server, std::size_t from_server) {
                        add(&proxy_traffic::bytes_to_server, to_server);
                        add(&proxy_traffic::bytes_from_server, from_server);
                    },
                .on_unparsed = [this] { add(&proxy_traffic::unparsed, 1); },
                .delay = [this] { return std::chrono::milliseconds(delay_ms); }};
    }

    void close_open() {
        for (auto& s : open) {
            boost::system::error_code ignored;
            s->close(ignored);
        }
        open.clear();
    }
};

tcp_proxy::tcp_proxy(const std::string& target_url) : impl_(std::make_shared<impl>()) {
    const auto host_start = target_url.find("://");
    const auto colon = target_url.rfind(':');
    if (host_start == std::string::npos || colon == std::string::npos || colon < host_start + 3) {
        throw std::runtime_error("tcp_proxy: cannot parse " + target_url);
    }
    const auto host = target_url.substr(host_start + 3, colon - host_start - 3);
    const auto port = static_cast<unsigned short>(std::stoi(target_url.substr(colon + 1)));
    impl_->target = tcp::endpoint(asio::ip::make_address(host), port);
    impl_->acceptor.open(tcp::v4());
    impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
    impl_->acceptor.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    impl_->acceptor.listen();
    impl_->port = impl_->acceptor.local_endpoint().port();
    asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
    impl_->thread = std::thread([state = impl_] { state->io.run(); });
}

tcp_proxy::~tcp_proxy() {
    asio::post(impl_->io, [state = impl_] {
        boost::system::error_code ignored;
        state->acceptor.close(ignored);
        state->close_open();
        state->io.stop();
    });
    impl_->thread.join();
}

std::string tcp_proxy::url() const {
    return "http://127.0.0.1:" + std::to_string(impl_->port);
}

void tcp_proxy::cut() {
    impl_->passing = false;
    std::promise<void> done;
    asio::post(impl_->io, [state = impl_, &done] {
        state->close_open();
        done.set_value();
    });
    done.get_future().wait();
}

void tcp_proxy::restore() {
    impl_->passing = true;
}

void tcp_proxy::set_fault_plan(std::shared_ptr<fault_plan> plan) {
    std::promise<void> done;
    asio::post(impl_->io, [state = impl_, &plan, &done] {
        state->faults = std::move(plan);
        done.set_value();
    });
    done.get_future().wait();
}

void tcp_proxy::set_delay(std::chrono::milliseconds delay) {
    impl_->delay_ms = delay.count();
}

std::uint64_t tcp_proxy::connections() const {
    return traffic().connections;
}

std::uint64_t tcp_proxy::bytes_to_server() const {
    return traffic().bytes_to_server;
}

proxy_traffic tcp_proxy::traffic() const {
    const std::lock_guard lock(impl_->counts_mutex);
    return impl_->counts;
}

}  // namespace mps3::test
