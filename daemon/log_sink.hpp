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

/// Whether JOURNAL_STREAM's value ("<device>:<inode>", decimal, as systemd.exec(5) sets it)
/// names the file `fd` is open on. Only then does the fd lead to journald: a shell started from
/// a service inherits the variable with its stderr pointing elsewhere (a terminal, a file).
bool journal_stream_names(std::string_view journal_stream, int fd);
/// journald is our stderr: JOURNAL_STREAM is set and names stderr (journal_stream_names).
bool stderr_is_journald();

}  // namespace mps3::daemon
