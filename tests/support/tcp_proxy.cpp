#include "tcp_proxy.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <array>
#include <future>
#include <list>
#include <stdexcept>
#include <thread>

namespace mps3::test {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct tcp_proxy::impl : std::enable_shared_from_this<impl> {
    asio::io_context io;
    tcp::acceptor acceptor{io};
    tcp::endpoint target;
    std::atomic<bool> passing{true};
    std::atomic<std::uint64_t> accepted{0};
    std::atomic<std::uint64_t> forwarded{0};
    std::list<std::shared_ptr<tcp::socket>> open;  // proxy thread only
    std::thread thread;
    unsigned short port = 0;

    asio::awaitable<void> pump(std::shared_ptr<tcp::socket> from, std::shared_ptr<tcp::socket> to,
                               bool count) {
        std::array<char, 16384> buf{};
        for (;;) {
            auto [ec, n] = co_await from->async_read_some(asio::buffer(buf), use_tuple);
            if (ec) {
                break;
            }
            if (count) {
                forwarded += n;
            }
            auto [wec, w] = co_await asio::async_write(*to, asio::buffer(buf.data(), n), use_tuple);
            (void)w;
            if (wec) {
                break;
            }
        }
        boost::system::error_code ignored;
        from->close(ignored);
        to->close(ignored);
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
        asio::co_spawn(io, pump(client, server, true), asio::detached);
        asio::co_spawn(io, pump(server, client, false), asio::detached);
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
            ++accepted;
            asio::co_spawn(io, serve(client), asio::detached);
        }
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

std::uint64_t tcp_proxy::connections() const {
    return impl_->accepted;
}

std::uint64_t tcp_proxy::bytes_to_server() const {
    return impl_->forwarded;
}

}  // namespace mps3::test
