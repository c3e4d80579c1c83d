#include "observability_settings.hpp"

#include "config_values.hpp"
#include "metrics/listen_address.hpp"

namespace mps3::daemon {

bool is_observability_key(std::string_view key) {
    return key == "metrics_listen" || key == "metrics_allow_remote" || key == "health_max_sync_age";
}

status apply_observability_entry(observability_settings& s, const ini::entry& e) {
    if (e.key == "metrics_listen") {
        if (!e.value.empty()) {
            if (auto parsed = metrics::parse_listen_address(e.value); !parsed) {
                return bad_value(e, parsed.err().message);
            }
        }
        s.metrics_listen = e.value;
    } else if (e.key == "metrics_allow_remote") {
        auto allow = parse_bool(e);
        if (!allow) {
            return std::move(allow).err();
        }
        s.metrics_allow_remote = *allow;
    } else if (e.key == "health_max_sync_age") {
        constexpr std::uint64_t a_week = 7 * 24 * 3600;
        auto seconds = parse_number(e, 1, a_week);
        if (!seconds) {
            return std::move(seconds).err();
        }
        s.health_max_sync_age = std::chrono::seconds(static_cast<std::int64_t>(*seconds));
    } else {
        return bad_value(e, "unknown key in [daemon]");
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
