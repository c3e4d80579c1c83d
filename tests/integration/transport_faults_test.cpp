// Transport behaviour no S3 server can be made to show on demand: a peer that never answers
// (deadline), and TLS certificate and host-name verification against a local TLS peer.
#include <doctest/doctest.h>

#include "async_test.hpp"
#include "engine_fixture.hpp"
#include "test_server.hpp"

#include <mps3/s3/client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <cstdlib>
#include <filesystem>
#include <memory>

namespace {

using namespace mps3;
using mps3::test::run_async;
namespace asio = boost::asio;
using asio::ip::tcp;

s3::client_config local_config(std::string url) {
    s3::client_config config;
    auto ep = s3::endpoint::parse(url);
    REQUIRE_MESSAGE(ep.has_value(), url);
    config.server = *ep;
    config.credentials = {.access_key_id = "AKIDTEST", .secret_access_key = "secret"};
    return config;
}

// Accepts connections until the acceptor closes, handing each to `take(socket)`.
template <class Take>
asio::awaitable<void> accept_each(std::shared_ptr<tcp::acceptor> acceptor, Take take) {
    while (acceptor->is_open()) {
        boost::system::error_code ec;
        tcp::socket socket =
            co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            co_return;
        }
        take(std::move(socket));
    }
}

// Accepts connections and holds them open without ever answering.
asio::awaitable<void> silent_peer(std::shared_ptr<tcp::acceptor> acceptor,
                                  std::shared_ptr<std::vector<tcp::socket>> held) {
    // Named: a temporary with a destructor inside co_await is destroyed twice by GCC 12.
    auto hold = [held](tcp::socket socket) { held->push_back(std::move(socket)); };
    co_await accept_each(std::move(acceptor), std::move(hold));
}

// A minimal HTTPS peer: completes the TLS handshake and answers every request with "ok".
asio::awaitable<void> tls_peer(std::shared_ptr<tcp::acceptor> acceptor,
                               std::shared_ptr<asio::ssl::context> context) {
    while (acceptor->is_open()) {
        boost::system::error_code ec;
        tcp::socket socket =
            co_await acceptor->async_accept(asio::redirect_error(asio::use_awaitable, ec));
        if (ec) {
            co_return;
        }
        asio::co_spawn(
            acceptor->get_executor(),
            [s = std::move(socket), context]() mutable -> asio::awaitable<void> {
                asio::ssl::stream<tcp::socket> stream(std::move(s), *context);
                boost::system::error_code io_ec;
                co_await stream.async_handshake(asio::ssl::stream_base::server,
                                                asio::redirect_error(asio::use_awaitable, io_ec));
                if (io_ec) {
                    co_return;  // the client refused our certificate: expected in some cases
                }
                asio::streambuf request;
                co_await asio::async_read_until(stream, request, "\r\n\r\n",
                                                asio::redirect_error(asio::use_awaitable, io_ec));
                const std::string reply =
                    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
                co_await asio::async_write(stream, asio::buffer(reply),
                                           asio::redirect_error(asio::use_awaitable, io_ec));
            },
            asio::detached);
    }
}

// A loopback listener that accepts and never answers, closed when the test ends.
struct silent_listener {
    std::shared_ptr<tcp::acceptor> acceptor;
    std::shared_ptr<std::vector<tcp::socket>> held = std::make_shared<std::vector<tcp::socket>>();

    explicit silent_listener(const asio::any_io_executor& ex)
        : acceptor(std::make_shared<tcp::acceptor>(
              ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0))) {
        asio::co_spawn(ex, silent_peer(acceptor, held), asio::detached);
    }
    ~silent_listener() { acceptor->close(); }
    silent_listener(const silent_listener&) = delete;
    silent_listener& operator=(const silent_listener&) = delete;

    [[nodiscard]] std::string url() const {
        return "http://127.0.0.1:" + std::to_string(acceptor->local_endpoint().port());
    }
};

// Answers every request "200 ok" and keeps the connection alive, until close_all() closes
// every connection it holds, as a server does with idle keep-alive connections (Node: 5 s).
struct keep_alive_peer {
    std::shared_ptr<tcp::acceptor> acceptor;
    std::shared_ptr<std::vector<std::shared_ptr<tcp::socket>>> open =
        std::make_shared<std::vector<std::shared_ptr<tcp::socket>>>();

    explicit keep_alive_peer(const asio::any_io_executor& ex)
        : acceptor(std::make_shared<tcp::acceptor>(
              ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0))) {
        asio::co_spawn(ex, accept_loop(acceptor, open), asio::detached);
    }
    ~keep_alive_peer() {
        acceptor->close();
        close_all();
    }
    keep_alive_peer(const keep_alive_peer&) = delete;
    keep_alive_peer& operator=(const keep_alive_peer&) = delete;

    void close_all() {
        for (auto& s : *open) {
            boost::system::error_code ignored;
            s->close(ignored);
        }
        open->clear();
    }
    [[nodiscard]] std::string url() const {
        return "http://127.0.0.1:" + std::to_string(acceptor->local_endpoint().port());
    }

    static asio::awaitable<void> serve(std::shared_ptr<tcp::socket> socket) {
        for (;;) {
            boost::system::error_code ec;
            asio::streambuf request;
            co_await asio::async_read_until(*socket, request, "\r\n\r\n",
                                            asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                co_return;
            }
            const std::string reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
            co_await asio::async_write(*socket, asio::buffer(reply),
                                       asio::redirect_error(asio::use_awaitable, ec));
            if (ec) {
                co_return;
            }
        }
    }
    static asio::awaitable<void> accept_loop(
        std::shared_ptr<tcp::acceptor> acceptor,
        std::shared_ptr<std::vector<std::shared_ptr<tcp::socket>>> open) {
        const auto executor = acceptor->get_executor();
        auto keep_and_serve = [open, executor](tcp::socket socket) {
            auto held = std::make_shared<tcp::socket>(std::move(socket));
            open->push_back(held);
            asio::co_spawn(executor, serve(held), asio::detached);
        };
        co_await accept_each(std::move(acceptor), std::move(keep_and_serve));
    }
};

struct self_signed_certificate {
    std::filesystem::path dir = test::make_temp_dir("tls");
    std::filesystem::path cert = dir / "cert.pem";
    std::filesystem::path key = dir / "key.pem";

    self_signed_certificate() {
        const std::string command =
            "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=mps3-test -keyout " +
            key.string() + " -out " + cert.string() +
            " -addext subjectAltName=IP:127.0.0.1,DNS:mps3-test.invalid 2>/dev/null";
        REQUIRE_MESSAGE(std::system(command.c_str()) == 0, "openssl could not make a certificate");
    }
    ~self_signed_certificate() { std::filesystem::remove_all(dir); }
};

}  // namespace

TEST_CASE("a peer that never answers: each attempt ends at its deadline, then errc::timeout") {
    run_async([&](auto ex) -> asio::awaitable<int> {
        silent_listener peer(ex);

        auto config = local_config(peer.url());
        config.request_timeout = std::chrono::milliseconds(300);
        config.retry = {.max_attempts = 3,
                        .base_delay = std::chrono::milliseconds(10),
                        .max_delay = std::chrono::milliseconds(20),
                        .max_elapsed = std::chrono::seconds(10)};
        s3::client client(ex, config);
        const auto started = std::chrono::steady_clock::now();
        auto got = co_await client.async_get_object("some-bucket", "k");
        const auto elapsed = std::chrono::steady_clock::now() - started;
        REQUIRE_FALSE(got.has_value());
        CHECK(got.err().code == make_error_code(errc::timeout));
        CHECK(got.err().attempts == 3);
        CHECK(elapsed >= std::chrono::milliseconds(900));
        CHECK(elapsed < std::chrono::seconds(5));
        co_return 0;
    });
}

TEST_CASE("pooled connections the server closed are never handed to a request") {
    run_async([&](auto ex) -> asio::awaitable<int> {
        keep_alive_peer peer(ex);
        auto config = local_config(peer.url());
        config.max_connections = 16;
        config.retry.max_attempts = 1;  // a dead connection handed out would fail the request
        s3::client client(ex, config);

        // 16 requests at once: 16 connections, all kept alive in the pool.
        std::size_t ok = 0;
        auto one = [&]() -> asio::awaitable<void> {
            auto got = co_await client.async_get_object("some-bucket", "k");
            ok += got.has_value() ? 1U : 0U;
        };
        for (int i = 0; i < 16; ++i) {
            asio::co_spawn(ex, one(), asio::detached);
        }
        REQUIRE(co_await test::eventually([&] { return ok == 16; }, std::chrono::seconds(10)));
        REQUIRE(client.stats().idle_connections == 16);

        // The server drops them all (idle timeout); on loopback the FINs are queued at once.
        peer.close_all();
        for (int i = 0; i < 3; ++i) {
            auto got = co_await client.async_get_object("some-bucket", "k");
            REQUIRE_MESSAGE(got.has_value(), (got ? "" : got.err().describe()));
            CHECK(got->body == "ok");
        }
        CHECK(client.stats().retries == 0);
        CHECK(client.stats().connections_opened == 17);  // one new one, reused since
        co_return 0;
    });
}

TEST_CASE("cancel_all aborts a request in flight with errc::cancelled") {
    run_async([&](auto ex) -> asio::awaitable<int> {
        silent_listener peer(ex);
        auto config = local_config(peer.url());
        config.request_timeout = std::chrono::seconds(30);
        s3::client client(ex, config);
        asio::steady_timer later(ex, std::chrono::milliseconds(200));
        later.async_wait([&](auto) { client.cancel_all(); });
        const auto started = std::chrono::steady_clock::now();
        auto got = co_await client.async_get_object("some-bucket", "k");
        REQUIRE_FALSE(got.has_value());
        CHECK(got.err().code == make_error_code(errc::cancelled));
        CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
        co_return 0;
    });
}

TEST_CASE("TLS: certificates and host names are verified") {
    self_signed_certificate certificate;
    run_async([&](auto ex) -> asio::awaitable<int> {
        auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
        context->use_certificate_chain_file(certificate.cert.string());
        context->use_private_key_file(certificate.key.string(), asio::ssl::context::pem);
        auto acceptor = std::make_shared<tcp::acceptor>(
            ex, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        asio::co_spawn(ex, tls_peer(acceptor, context), asio::detached);
        const std::string port = std::to_string(acceptor->local_endpoint().port());

        auto untrusted_config = local_config("https://127.0.0.1:" + port);
        s3::client untrusted(ex, untrusted_config);
        auto refused = co_await untrusted.async_get_object("some-bucket", "k");
        REQUIRE_FALSE(refused.has_value());
        CHECK(refused.err().code == make_error_code(errc::tls));
        CHECK(refused.err().attempts == 1);
        MESSAGE("untrusted: " << refused.err().describe());

        // Trusted issuer, and the address is in the certificate's subjectAltName.
        auto trusted_config = local_config("https://127.0.0.1:" + port);
        trusted_config.ca_file = certificate.cert.string();
        s3::client trusted(ex, trusted_config);
        auto ok = co_await trusted.async_get_object("some-bucket", "k");
        REQUIRE_MESSAGE(ok.has_value(), (ok ? "" : ok.err().describe()));
        CHECK(ok->body == "ok");

        // Trusted issuer, but "localhost" is not a name the certificate holds.
        auto wrong_name_config = local_config("https://localhost:" + port);
        wrong_name_config.ca_file = certificate.cert.string();
        s3::client wrong_name(ex, wrong_name_config);
        auto mismatch = co_await wrong_name.async_get_object("some-bucket", "k");
        REQUIRE_FALSE(mismatch.has_value());
        CHECK(mismatch.err().code == make_error_code(errc::tls));
        MESSAGE("wrong host name: " << mismatch.err().describe());
        acceptor->close();
        co_return 0;
    });
}
