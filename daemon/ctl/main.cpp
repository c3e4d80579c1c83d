// mps3ctl: the command-line client of mps3d (docs/mps3ctl.md). All of it is in app.cpp, which
// the unit tests run too.
#include "app.hpp"

#include <mps3/s3/credentials.hpp>

#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    const mps3::ctl::app_context context{.in = std::cin,
                                         .out = std::cout,
                                         .err = std::cerr,
                                         .env = mps3::s3::process_environment(),
                                         .uid = ::getuid(),
                                         .handle_signals = true,
                                         .err_is_terminal = ::isatty(STDERR_FILENO) == 1};
    return mps3::ctl::run_mps3ctl(args, context);
}
