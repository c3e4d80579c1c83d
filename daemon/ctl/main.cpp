// mps3ctl: the command-line client of mps3d (docs/mps3ctl.md). Parses the command line, plans
// the conversation with mps3d (commands.hpp), connects to its socket and runs it.
#include "cli.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "interrupt.hpp"
#include "runner.hpp"
#include "socket_client.hpp"
#include "socket_path.hpp"

#include <mps3/s3/credentials.hpp>

#include <unistd.h>

#include <iostream>
#include <iterator>
#include <string>
#include <vector>

using namespace mps3::ctl;

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    auto parsed = parse_command_line(args, std::cout, std::cerr);
    if (!parsed.inv) {
        return parsed.exit_code;
    }
    invocation& inv = *parsed.inv;
    if (inv.command == "put" && inv.args.size() == 2 && inv.args[1] == "-") {
        inv.args[1].assign(std::istreambuf_iterator<char>(std::cin), {});
    }
    auto talk = plan(inv);
    if (!talk) {
        std::cerr << "mps3ctl: " << talk.err().message << '\n';
        return exit_usage;
    }

    const auto path =
        resolve_socket_path(inv.socket, inv.system, mps3::s3::process_environment(), ::getuid());
    auto client = socket_client::connect(path);
    if (!client) {
        std::cerr << "mps3ctl: " << client.err().message << '\n';
        return exit_unreachable;
    }
    if (inv.command == "watch") {
        // A watch ends with Ctrl-C or SIGTERM: let the wait end and the command exit cleanly.
        // Without the pipe (it cannot fail short of running out of descriptors) the signals
        // keep their default action, which ends the watch too, only less tidily.
        if (auto interrupt_fd = install_interrupt_pipe()) {
            client->set_interrupt_fd(*interrupt_fd);
        }
    }
    return run_conversation(**talk, *client, std::cout, std::cerr);
}
