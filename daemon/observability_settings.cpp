#include "observability_settings.hpp"

#include "metrics/listen_address.hpp"

#include <charconv>

namespace mps3::daemon {
namespace {

error bad(const ini_entry& e, const std::string& why) {
    return {errc::invalid_argument, "line " + std::to_string(e.line) + ": " + e.key + ": " + why};
}

}  // namespace

bool is_observability_key(std::string_view key) {
    return key == "metrics_listen" || key == "metrics_allow_remote" || key == "health_max_sync_age";
}

status apply_observability_entry(observability_settings& s, const ini_entry& e) {
    if (e.key == "metrics_listen") {
        if (!e.value.empty()) {
            if (auto parsed = metrics::parse_listen_address(e.value); !parsed) {
                return bad(e, parsed.err().message);
            }
        }
        s.metrics_listen = e.value;
    } else if (e.key == "metrics_allow_remote") {
        if (e.value == "true" || e.value == "yes" || e.value == "on" || e.value == "1") {
            s.metrics_allow_remote = true;
        } else if (e.value == "false" || e.value == "no" || e.value == "off" || e.value == "0") {
            s.metrics_allow_remote = false;
        } else {
            return bad(e, "expected true or false, not '" + e.value + "'");
        }
    } else if (e.key == "health_max_sync_age") {
        constexpr std::uint64_t most = 7 * 24 * 3600;  // a week
        std::uint64_t seconds = 0;
        const char* end = e.value.data() + e.value.size();
        const auto [ptr, ec] = std::from_chars(e.value.data(), end, seconds);
        if (ec != std::errc() || ptr != end || seconds < 1 || seconds > most) {
            return bad(e, "expected whole seconds from 1 to " + std::to_string(most) + ", not '" +
                              e.value + "'");
        }
        s.health_max_sync_age = std::chrono::seconds(static_cast<std::int64_t>(seconds));
    } else {
        return bad(e, "unknown key in [daemon]");
    }
    return success{};
}

status check_observability(const observability_settings& s) {
    if (s.metrics_listen.empty()) {
        return success{};
    }
    auto address = metrics::parse_listen_address(s.metrics_listen);
    if (!address) {
        return error(errc::invalid_argument, "metrics_listen: " + address.err().message);
    }
    if (!address->loopback && !s.metrics_allow_remote) {
        return error(errc::invalid_argument,
                     "metrics_listen: " + address->to_string() +
                         " is not a loopback address; the metrics name stores and buckets, so "
                         "listening beyond this machine needs metrics_allow_remote = true");
    }
    return success{};
}

}  // namespace mps3::daemon
