#include "s3/time_format.hpp"

#include <array>
#include <chrono>

namespace mps3::s3::detail {
namespace {

namespace chr = std::chrono;

constexpr std::array<std::string_view, 7> weekday_names = {"Sun", "Mon", "Tue", "Wed",
                                                           "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 12> month_names = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/// Reads exactly `count` ASCII digits (std::isdigit would depend on the locale).
bool read_digits(std::string_view& text, std::size_t count, int& out) {
    if (text.size() < count) {
        return false;
    }
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
        const char c = text[i];
        if (c < '0' || c > '9') {
            return false;
        }
        value = value * 10 + (c - '0');
    }
    out = value;
    text.remove_prefix(count);
    return true;
}

bool consume(std::string_view& text, std::string_view literal) {
    if (!text.starts_with(literal)) {
        return false;
    }
    text.remove_prefix(literal.size());
    return true;
}

bool consume_either(std::string_view& text, char a, char b) {
    if (text.empty() || (text.front() != a && text.front() != b)) {
        return false;
    }
    text.remove_prefix(1);
    return true;
}

/// Index of `text`'s 3-letter prefix in `names`, consumed; -1 when it is none of them.
template <std::size_t N>
int read_name(std::string_view& text, const std::array<std::string_view, N>& names) {
    for (std::size_t i = 0; i < N; ++i) {
        if (consume(text, names[i])) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

struct civil_time {
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
};

/// Validates every field (including February 29th) instead of letting chrono normalise
/// "2026-02-30" into March.
std::optional<clock::time_point> to_time_point(const civil_time& t) {
    if (t.hour > 23 || t.minute > 59 || t.second > 59 || t.month < 1 || t.day < 1) {
        return std::nullopt;
    }
    const chr::year_month_day date{chr::year{t.year}, chr::month{static_cast<unsigned>(t.month)},
                                   chr::day{static_cast<unsigned>(t.day)}};
    if (!date.ok()) {
        return std::nullopt;
    }
    const auto time = chr::sys_days{date} + chr::hours{t.hour} + chr::minutes{t.minute} +
                      chr::seconds{t.second} + chr::milliseconds{t.millis};
    // system_clock counts nanoseconds in 64 bits, 1677-09-21 to 2262-04-11: a year 9999 (or
    // 0001) from a server is refused instead of overflowing. The day of margin leaves room for
    // the UTC offset parse_iso8601 subtracts afterwards.
    const auto limit = chr::floor<chr::milliseconds>(clock::duration::max()) - chr::days{1};
    if (time.time_since_epoch() > limit || time.time_since_epoch() < -limit) {
        return std::nullopt;
    }
    return clock::time_point{chr::duration_cast<clock::duration>(time.time_since_epoch())};
}

void append_number(std::string& out, int value, int width) {
    std::array<char, 8> digits{};
    for (int i = width - 1; i >= 0; --i) {
        digits[static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    out.append(digits.data(), static_cast<std::size_t>(width));
}

struct split_time {
    chr::year_month_day date;
    chr::weekday weekday;
    chr::hh_mm_ss<chr::milliseconds> time_of_day;
};

split_time split(clock::time_point time) {
    const auto millis = chr::floor<chr::milliseconds>(time);
    const auto days = chr::floor<chr::days>(millis);
    return {chr::year_month_day{days}, chr::weekday{days},
            chr::hh_mm_ss<chr::milliseconds>{millis - days}};
}

}  // namespace

std::optional<clock::time_point> parse_iso8601(std::string_view text) {
    civil_time t;
    if (!read_digits(text, 4, t.year) || !consume(text, "-") || !read_digits(text, 2, t.month) ||
        !consume(text, "-") || !read_digits(text, 2, t.day) || !consume_either(text, 'T', 't') ||
        !read_digits(text, 2, t.hour) || !consume(text, ":") || !read_digits(text, 2, t.minute) ||
        !consume(text, ":") || !read_digits(text, 2, t.second)) {
        return std::nullopt;
    }
    if (consume(text, ".")) {
        // Servers send 3 (AWS), 6 or 9 digits: keep milliseconds, ignore the rest.
        std::size_t count = 0;
        int scale = 100;
        while (!text.empty() && text.front() >= '0' && text.front() <= '9') {
            if (count < 3) {
                t.millis += (text.front() - '0') * scale;
                scale /= 10;
            }
            ++count;
            text.remove_prefix(1);
        }
        if (count == 0) {
            return std::nullopt;
        }
    }
    chr::minutes offset{0};
    if (!consume_either(text, 'Z', 'z')) {
        if (text.empty() || (text.front() != '+' && text.front() != '-')) {
            return std::nullopt;
        }
        const bool negative = text.front() == '-';
        text.remove_prefix(1);
        int hours = 0;
        int minutes = 0;
        if (!read_digits(text, 2, hours) || !consume(text, ":") || !read_digits(text, 2, minutes) ||
            hours > 23 || minutes > 59) {
            return std::nullopt;
        }
        offset = chr::hours{hours} + chr::minutes{minutes};
        if (negative) {
            offset = -offset;
        }
    }
    if (!text.empty()) {
        return std::nullopt;
    }
    auto local = to_time_point(t);
    if (!local) {
        return std::nullopt;
    }
    // "13:00+02:00" is 11:00 UTC.
    return *local - offset;
}

std::optional<clock::time_point> parse_http_date(std::string_view text) {
    civil_time t;
    if (read_name(text, weekday_names) < 0 || !consume(text, ", ") ||
        !read_digits(text, 2, t.day) || !consume(text, " ")) {
        return std::nullopt;
    }
    const int month = read_name(text, month_names);
    if (month < 0 || !consume(text, " ") || !read_digits(text, 4, t.year) || !consume(text, " ") ||
        !read_digits(text, 2, t.hour) || !consume(text, ":") || !read_digits(text, 2, t.minute) ||
        !consume(text, ":") || !read_digits(text, 2, t.second) || !consume(text, " GMT") ||
        !text.empty()) {
        return std::nullopt;
    }
    t.month = month + 1;
    return to_time_point(t);
}

std::string format_http_date(clock::time_point time) {
    const split_time s = split(time);
    std::string out;
    out.reserve(29);
    out += weekday_names[s.weekday.c_encoding()];
    out += ", ";
    append_number(out, static_cast<int>(static_cast<unsigned>(s.date.day())), 2);
    out += ' ';
    out += month_names[static_cast<unsigned>(s.date.month()) - 1];
    out += ' ';
    append_number(out, static_cast<int>(s.date.year()), 4);
    out += ' ';
    append_number(out, static_cast<int>(s.time_of_day.hours().count()), 2);
    out += ':';
    append_number(out, static_cast<int>(s.time_of_day.minutes().count()), 2);
    out += ':';
    append_number(out, static_cast<int>(s.time_of_day.seconds().count()), 2);
    out += " GMT";
    return out;
}

}  // namespace mps3::s3::detail

namespace mps3::s3 {

std::string format_iso8601(clock::time_point time) {
    using detail::append_number;
    const detail::split_time s = detail::split(time);
    std::string out;
    out.reserve(24);
    append_number(out, static_cast<int>(s.date.year()), 4);
    out += '-';
    append_number(out, static_cast<int>(static_cast<unsigned>(s.date.month())), 2);
    out += '-';
    append_number(out, static_cast<int>(static_cast<unsigned>(s.date.day())), 2);
    out += 'T';
    append_number(out, static_cast<int>(s.time_of_day.hours().count()), 2);
    out += ':';
    append_number(out, static_cast<int>(s.time_of_day.minutes().count()), 2);
    out += ':';
    append_number(out, static_cast<int>(s.time_of_day.seconds().count()), 2);
    out += '.';
    append_number(out, static_cast<int>(s.time_of_day.subseconds().count()), 3);
    out += 'Z';
    return out;
}

}  // namespace mps3::s3
