// The whole of mps3ctl as a function, so that tests can run it end to end against a peer on a
// real socket: parse the command line, plan the conversation, find and connect to the socket,
// run it, and return the exit code (exit_codes.hpp).
#pragma once

#include <mps3/s3/credentials.hpp>

#include <cstdint>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

namespace mps3::ctl {

struct app_context {
    std::istream& in;   // read by `put KEY -` and `import`
    std::ostream& out;  // standard output
    std::ostream& err;  // standard error
    s3::environment env;
    std::uint32_t uid = 0;
    /// Let SIGINT/SIGTERM end a watch cleanly (exit 0). Only the real program sets it: the
    /// handlers are process-wide.
    bool handle_signals = false;
    /// Standard error is a terminal: import shows its progress there.
    bool err_is_terminal = false;
};

/// args: the arguments after the program name.
int run_mps3ctl(const std::vector<std::string>& args, const app_context& context);

}  // namespace mps3::ctl
