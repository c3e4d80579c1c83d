// The daemon's log: one structured line per record on stderr, logfmt style
// (`level=info component=sync msg="..."`). Under systemd (JOURNAL_STREAM set) each line starts
// with the syslog priority prefix "<N>" so journald records the level, and the timestamp is left
// to journald. Messages never contain secrets: libmps3 keeps them out at the source.
#pragma once

#include <mps3/log.hpp>

#include <cstdio>
#include <string>
#include <string_view>

namespace mps3::daemon {

struct log_format {
    bool journald = false;   // "<N>" priority prefix, no timestamp
    bool timestamps = true;  // ts=... (RFC 3339, UTC, milliseconds)
};

/// One line (with the trailing newline) for a record.
std::string format_log_line(log_level level, std::string_view component, std::string_view message,
                            const log_format& format);

/// A sink writing records at or above `threshold` to `out` (stderr by default).
log_sink make_log_sink(log_level threshold, log_format format, std::FILE* out = stderr);

/// journald is our stderr when JOURNAL_STREAM is set (systemd sets it for services).
bool stderr_is_journald();

}  // namespace mps3::daemon
