// mps3ctl's exit codes: what a script can branch on. The same table is printed in every
// --help footer and documented in docs/mps3ctl.md.
#pragma once

#include <string_view>

namespace mps3::ctl {

enum exit_code : int {
    exit_ok = 0,
    exit_daemon_error = 1,    // mps3d answered with an error (other than a timeout); health:
                              // a store is unhealthy
    exit_usage = 2,           // bad arguments, a value that is not JSON
    exit_absent = 3,          // get: the key has no value
    exit_unreachable = 4,     // no answer: cannot connect, connection lost, mps3ctl's own timeout
    exit_daemon_timeout = 5,  // mps3d reported a timeout (-32004), e.g. flush or --await remote
};

/// The exit code table as the --help footer shows it.
inline constexpr std::string_view exit_codes_help =
    "Exit codes:\n"
    "  0  success\n"
    "  1  mps3d answered with an error (printed as: mps3ctl: MESSAGE (code N));\n"
    "     health: a store is unhealthy (the reason is printed)\n"
    "  2  usage error: bad arguments, or a value that is not JSON\n"
    "  3  get: the key is absent\n"
    "  4  mps3d cannot be reached: connect failed, connection lost, or --timeout passed\n"
    "  5  mps3d reported a timeout (code -32004), e.g. flush or --await remote\n";

}  // namespace mps3::ctl
