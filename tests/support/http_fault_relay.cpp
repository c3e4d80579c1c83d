#include "http_fault_relay.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <sstream>
#include <string>

namespace mps3::test {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

template <class Message>
std::string wire_bytes(const Message& m) {
    std::ostringstream out;
    out << m;
    return out.str();
}

// A response head as the server sent it (fields in order), with the framing set by the caller.
std::string head_bytes(const http::response<http::string_body>& response) {
    std::string out = "HTTP/1.1 " + std::to_string(response.result_int()) + " " +
                      std::string(response.reason()) + "\r\n";
    for (const auto& field : response) {
        out += std::string(field.name_string()) + ": " + std::string(field.value()) + "\r\n";
    }
    return out + "\r\n";
}

// What S3 answers when it refuses a request: the status, and an XML error body (none for HEAD).
std::string s3_error(http_fault fault, const http::request<http::string_body>& req) {
    const bool slow_down = fault == http_fault::slow_down_503;
    const std::string code = slow_down ? "SlowDown" : "InternalError";
    const std::string message = slow_down ? "Please reduce your request rate."
                                          : "We encountered an internal error. Please try again.";
    const std::string body = R"(<?xml version="1.0" encoding="UTF-8"?>)"
                             "\n<Error><Code>" +
                             code + "</Code><Message>" + message + "</Message><Resource>" +
                             std::string(req.target()) +
                             "</Resource><RequestId>fault-proxy</RequestId></Error>";
    std::string out = slow_down ? "HTTP/1.1 503 Slow Down\r\n" : "HTTP/1.1 500 Internal Error\r\n";
    out += "Content-Type: application/xml\r\nContent-Length: " + std::to_string(body.size()) +
           "\r\nx-amz-request-id: fault-proxy\r\n\r\n";
    if (req.method() != http::verb::head) {
        out += body;
    }
    return out;
}

// Closes with a TCP RST rather than a FIN: the client sees "connection reset by peer".
void reset(tcp::socket& s) {
    boost::system::error_code ignored;
    s.set_option(asio::socket_base::linger(true, 0), ignored);
    s.close(ignored);
}

void close(tcp::socket& s) {
    boost::system::error_code ignored;
    s.shutdown(tcp::socket::shutdown_both, ignored);
    s.close(ignored);
}

// Reads (and drops) what the client sends until it closes the connection.
asio::awaitable<void> until_closed(tcp::socket& client) {
    std::array<char, 4096> buf{};
    for (;;) {
        auto [ec, n] = co_await client.async_read_some(asio::buffer(buf), use_tuple);
        (void)n;
        if (ec) {
            co_return;
        }
    }
}

}  // namespace

asio::awaitable<void> relay_http(std::shared_ptr<tcp::socket> client,
                                 std::shared_ptr<tcp::socket> server,
                                 std::shared_ptr<fault_plan> plan, relay_hooks hooks) {
    boost::beast::flat_buffer from_client;
    boost::beast::flat_buffer from_server;
    for (;;) {
        http::request_parser<http::string_body> request_parser;
        request_parser.body_limit(boost::none);
        auto [rec, request_bytes] =
            co_await http::async_read(*client, from_client, request_parser, use_tuple);
        (void)request_bytes;
        if (rec) {
            if (rec != http::error::end_of_stream && rec != asio::error::eof &&
                rec != asio::error::operation_aborted && rec != asio::error::connection_reset &&
                rec != asio::error::bad_descriptor) {
                hooks.on_unparsed();
            }
            break;
        }
        auto request = request_parser.release();
        const auto kind = classify_request(request.method_string(), request.target());
        hooks.on_request(kind);
        const auto fault = plan->next(kind);

        if (fault == http_fault::internal_error_500 || fault == http_fault::slow_down_503) {
            const std::string answer = s3_error(fault, request);
            auto [wec, w] = co_await asio::async_write(*client, asio::buffer(answer), use_tuple);
            (void)w;
            if (wec) {
                break;
            }
            continue;  // the connection stays usable, as with S3
        }
        if (fault == http_fault::never_answer) {
            co_await until_closed(*client);
            break;
        }

        if (const auto delay = hooks.delay(); delay.count() > 0) {
            asio::steady_timer wait(client->get_executor(), delay);
            co_await wait.async_wait(use_tuple);
        }
        const std::string request_wire = wire_bytes(request);
        auto [fec, forwarded] =
            co_await asio::async_write(*server, asio::buffer(request_wire), use_tuple);
        if (fec) {
            break;
        }
        hooks.on_bytes(forwarded, 0);

        http::response_parser<http::string_body> response_parser;
        response_parser.body_limit(boost::none);
        response_parser.skip(request.method() == http::verb::head);
        auto [sec, response_bytes] =
            co_await http::async_read(*server, from_server, response_parser, use_tuple);
        if (sec) {
            break;
        }
        hooks.on_bytes(0, response_bytes);
        auto response = response_parser.release();
        const bool keep_alive = response.keep_alive();
        if (request.method() != http::verb::head) {
            // One framing for every fault: a Content-Length (a chunked body becomes one).
            response.chunked(false);
            response.content_length(response.body().size());
        }
        // A HEAD response keeps the Content-Length of the object and has no body.
        const std::string response_wire = head_bytes(response) + response.body();

        if (fault == http_fault::none) {
            auto [wec, w] =
                co_await asio::async_write(*client, asio::buffer(response_wire), use_tuple);
            (void)w;
            if (wec || !keep_alive) {
                break;
            }
            continue;
        }
        if (fault == http_fault::reset_before_response) {
            reset(*client);
            break;
        }
        if (fault == http_fault::stall) {
            asio::steady_timer hold(client->get_executor(), plan->stall());
            co_await hold.async_wait(use_tuple);
            break;
        }
        // Half the body, or half the head when there is no body: either way the client gets
        // less than the head announced.
        const auto head_size = response_wire.find("\r\n\r\n") + 4;
        const auto body_size = response_wire.size() - head_size;
        const auto cut = body_size > 0 ? head_size + body_size / 2 : head_size / 2;
        auto [wec, w] =
            co_await asio::async_write(*client, asio::buffer(response_wire.data(), cut), use_tuple);
        (void)w;
        (void)wec;
        if (fault == http_fault::reset_mid_response) {
            reset(*client);
        }
        break;  // truncate_body: a clean close
    }
    close(*client);
    close(*server);
}

}  // namespace mps3::test
