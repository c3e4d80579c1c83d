// mps3d under systemd: readiness and status for Type=notify units (sd_notify), and the listening
// socket a .socket unit passes in (socket activation). Outside systemd every call is a no-op or
// answers "not activated", so the daemon runs the same way from a terminal.
#pragma once

#include <mps3/result.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace mps3::daemon {

/// The status text as sent: control characters (a newline would start a new sd_notify
/// assignment, a NUL would cut the text) become spaces.
std::string sanitize_status(std::string_view status);

/// "READY=1" plus STATUS=: the daemon serves. Call once, after the socket accepts and the
/// stores are open. Nothing happens when NOTIFY_SOCKET is unset.
void notify_ready(std::string_view status);

/// STATUS=: what `systemctl status mps3d` shows (e.g. "2 stores, 3 writes queued").
void notify_status(std::string_view status);

/// "STOPPING=1" plus STATUS=: shutdown started (flushing queued writes).
void notify_stopping(std::string_view status);

/// "WATCHDOG=1", for a unit with WatchdogSec= (the shipped units set 30 s).
void notify_watchdog();

/// How often to send WATCHDOG=1: half the unit's WatchdogSec= (sd_watchdog_enabled, which reads
/// WATCHDOG_USEC and WATCHDOG_PID), or nullopt when systemd expects none.
std::optional<std::chrono::microseconds> watchdog_interval();

/// The socket systemd passed (LISTEN_FDS, LISTEN_PID), checked to be one listening AF_UNIX
/// stream socket: its fd (close-on-exec set), or nullopt when the process was not socket
/// activated. More than one fd, or an fd of another kind, is an invalid_argument error that says
/// what to fix in the .socket unit. The LISTEN_* variables are unset either way, so child
/// processes do not inherit them.
result<std::optional<int>> adopt_activated_socket();

}  // namespace mps3::daemon
