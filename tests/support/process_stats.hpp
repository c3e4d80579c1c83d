// What benches and tests read about processes and the machine: CPU seconds from /proc/PID/stat,
// resident memory from /proc/PID/status, the test server's processes, a one-line description of
// the machine for a bench's heading and JSON.
#pragma once

#include "test_server.hpp"

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace mps3::test {

/// CPU seconds (user + system, all threads) a process has used so far; 0 when it is gone.
double cpu_seconds(pid_t pid);
/// The sum over several processes.
double cpu_seconds(const std::vector<pid_t>& pids);

/// Resident memory of a process now (VmRSS), in bytes; 0 when it is gone.
std::uint64_t rss_bytes(pid_t pid);
/// The most resident memory the process has had (VmHWM), in bytes, since it started or since
/// the last reset_peak_rss; 0 when it is gone.
std::uint64_t peak_rss_bytes(pid_t pid);
/// Starts a new peak (writes 5 to /proc/PID/clear_refs; our own processes only). False when the
/// kernel refused, and peak_rss_bytes then still counts from the start.
bool reset_peak_rss(pid_t pid);

/// The processes of a test server: s3rver's one Node process (its command line names the port),
/// or RGW's radosgw, ceph-osd and ceph-mon (a bench starts one cluster).
std::vector<pid_t> server_pids(const test_server& server);

/// CPU seconds the whole machine has been busy so far (every CPU: /proc/stat minus idle and
/// iowait). What a bench's processes did not use of it is other work on the machine.
double machine_busy_seconds();

/// "2 CPUs, Linux 6.1.0-..., 2026-01-01T00:00:00Z".
std::string machine_text();

}  // namespace mps3::test
