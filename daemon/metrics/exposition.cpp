#include "metrics/exposition.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>

namespace mps3::metrics {
namespace {

bool is_letter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

}  // namespace

std::string format_value(double value) {
    if (std::isnan(value)) {
        return "NaN";
    }
    if (std::isinf(value)) {
        return value > 0 ? "+Inf" : "-Inf";
    }
    std::array<char, 32> text{};
    // Counts and most gauges are whole numbers: print them as such, never as "1e+06".
    constexpr double exact_limit = 9007199254740992.0;  // 2^53
    if (std::trunc(value) == value && std::fabs(value) < exact_limit) {
        const auto [end, ec] =
            std::to_chars(text.data(), text.data() + text.size(), static_cast<std::int64_t>(value));
        return ec == std::errc() ? std::string(text.data(), end) : "NaN";
    }
    // %g style with the fewest digits that read back exactly: "0.0005" rather than "5e-04"
    // (what Prometheus' own clients write for bucket bounds), "1e+20" for large values.
    const auto [end, ec] =
        std::to_chars(text.data(), text.data() + text.size(), value, std::chars_format::general);
    return ec == std::errc() ? std::string(text.data(), end) : "NaN";
}

std::string escape_label_value(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '"') {
            out += "\\\"";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

std::string escape_help(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        if (c == '\\') {
            out += "\\\\";
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

bool valid_metric_name(std::string_view name) {
    if (name.empty() || is_digit(name.front())) {
        return false;
    }
    for (const char c : name) {
        if (!is_letter(c) && !is_digit(c) && c != '_' && c != ':') {
            return false;
        }
    }
    return true;
}

bool valid_label_name(std::string_view name) {
    if (name.empty() || is_digit(name.front()) || name.starts_with("__")) {
        return false;
    }
    for (const char c : name) {
        if (!is_letter(c) && !is_digit(c) && c != '_') {
            return false;
        }
    }
    return true;
}

}  // namespace mps3::metrics
