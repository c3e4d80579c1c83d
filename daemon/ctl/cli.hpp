// mps3ctl's command line (CLI11): global options, one subcommand per command, --help on each
// with the exit codes in the footer. Parse errors are usage errors (exit 2), whatever code
// CLI11 would use.
#pragma once

#include "commands.hpp"

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace mps3::ctl {

struct cli_outcome {
    std::optional<invocation> inv;  // set: run it
    int exit_code = 0;              // otherwise exit with this: 0 after --help, 2 after an error
};

/// args: the arguments after the program name. Help goes to out, errors to err.
cli_outcome parse_command_line(const std::vector<std::string>& args, std::ostream& out,
                               std::ostream& err);

}  // namespace mps3::ctl
