#include "metrics/listen_address.hpp"

#include <boost/asio/ip/address.hpp>

#include <charconv>

namespace mps3::metrics {
namespace {

error bad(std::string_view text, std::string_view why) {
    return {errc::invalid_argument,
            "expected HOST:PORT with an IP address (IPv6 in brackets), not '" + std::string(text) +
                "': " + std::string(why)};
}

}  // namespace

std::string listen_address::to_string() const {
    const bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

result<listen_address> parse_listen_address(std::string_view text) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) {
        return bad(text, "no port");
    }
    std::string_view host = text.substr(0, colon);
    const std::string_view port_text = text.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string_view::npos) {
        return bad(text, "an IPv6 address goes in brackets, as in [::1]:9464");
    }
    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
        port > 65535) {
        return bad(text, "the port must be a number from 0 to 65535");
    }
    if (host == "localhost") {
        host = "127.0.0.1";
    }
    boost::system::error_code address_ec;
    const auto address = boost::asio::ip::make_address(std::string(host), address_ec);
    if (address_ec) {
        return bad(text, "'" + std::string(host) + "' is not an IP address");
    }
    listen_address out;
    out.host = address.to_string();
    out.port = static_cast<std::uint16_t>(port);
    out.loopback = address.is_loopback();
    return out;
}

}  // namespace mps3::metrics
