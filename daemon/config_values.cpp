#include "config_values.hpp"

#include <charconv>

namespace mps3::daemon {

error bad_value(const ini::entry& e, const std::string& why) {
    return {errc::invalid_argument, "line " + std::to_string(e.line) + ": " + e.key + ": " + why};
}

result<bool> parse_bool(const ini::entry& e) {
    if (e.value == "true" || e.value == "yes" || e.value == "on" || e.value == "1") {
        return true;
    }
    if (e.value == "false" || e.value == "no" || e.value == "off" || e.value == "0") {
        return false;
    }
    return bad_value(e, "expected true or false, not '" + e.value + "'");
}

result<std::uint64_t> parse_number(const ini::entry& e, std::uint64_t min, std::uint64_t max) {
    std::uint64_t n = 0;
    const char* begin = e.value.data();
    const char* end = begin + e.value.size();
    auto [ptr, ec] = std::from_chars(begin, end, n);
    if (ec != std::errc() || ptr != end || n < min || n > max) {
        return bad_value(e, "expected a whole number from " + std::to_string(min) + " to " +
                                std::to_string(max) + ", not '" + e.value + "'");
    }
    return n;
}

}  // namespace mps3::daemon
