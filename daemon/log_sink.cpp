#include "log_sink.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>

namespace mps3::daemon {
namespace {

// sd-daemon(3) priorities: err 3, warning 4, info 6, debug 7.
char syslog_priority(log_level level) {
    switch (level) {
        case log_level::error:
            return '3';
        case log_level::warn:
            return '4';
        case log_level::info:
            return '6';
        default:
            return '7';
    }
}

// A logfmt value: quoted, with quotes, backslashes and control characters escaped, so one
// record is always one line whatever a message holds.
void append_quoted(std::string& out, std::string_view text) {
    out += '"';
    for (const char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20) {
                    static constexpr char hex[] = "0123456789abcdef";
                    out += "\\x";
                    out += hex[(static_cast<unsigned char>(c) >> 4) & 0xF];
                    out += hex[static_cast<unsigned char>(c) & 0xF];
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

std::string utc_now() {
    const auto now =
        std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
    const auto day = std::chrono::floor<std::chrono::days>(now);
    const std::chrono::year_month_day ymd(day);
    const std::chrono::hh_mm_ss time(now - day);
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02ld:%02ld:%02ld.%03ldZ",
                  static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()), static_cast<long>(time.hours().count()),
                  static_cast<long>(time.minutes().count()),
                  static_cast<long>(time.seconds().count()),
                  static_cast<long>(time.subseconds().count()));
    return buffer;
}

}  // namespace

std::string format_log_line(log_level level, std::string_view component, std::string_view message,
                            const log_format& format) {
    std::string line;
    if (format.journald) {
        line += '<';
        line += syslog_priority(level);
        line += '>';
    } else if (format.timestamps) {
        line += "ts=" + utc_now() + ' ';
    }
    line += "level=";
    line += to_string(level);
    line += " component=";
    line += component;
    line += " msg=";
    append_quoted(line, message);
    line += '\n';
    return line;
}

log_sink make_log_sink(log_level threshold, log_format format, std::FILE* out) {
    return [threshold, format, out](log_level level, std::string_view component,
                                    std::string_view message) {
        if (level < threshold || threshold == log_level::off) {
            return;
        }
        const std::string line = format_log_line(level, component, message, format);
        std::fwrite(line.data(), 1, line.size(), out);
        std::fflush(out);
    };
}

bool journal_stream_names(std::string_view journal_stream, int fd) {
    const auto colon = journal_stream.find(':');
    if (colon == std::string_view::npos) {
        return false;
    }
    const auto number = [](std::string_view text, std::uintmax_t& out) {
        const auto* end = text.data() + text.size();
        auto [at, ec] = std::from_chars(text.data(), end, out);
        return ec == std::errc() && at == end && !text.empty();
    };
    std::uintmax_t device = 0;
    std::uintmax_t inode = 0;
    if (!number(journal_stream.substr(0, colon), device) ||
        !number(journal_stream.substr(colon + 1), inode)) {
        return false;
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        return false;
    }
    return static_cast<std::uintmax_t>(st.st_dev) == device &&
           static_cast<std::uintmax_t>(st.st_ino) == inode;
}

bool stderr_is_journald() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    return stream != nullptr && journal_stream_names(stream, STDERR_FILENO);
}

}  // namespace mps3::daemon
