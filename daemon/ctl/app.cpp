#include "app.hpp"

#include "cli.hpp"
#include "commands.hpp"
#include "exit_codes.hpp"
#include "interrupt.hpp"
#include "runner.hpp"
#include "socket_client.hpp"
#include "socket_path.hpp"

#include <iterator>
#include <optional>
#include <string>

namespace mps3::ctl {

int run_mps3ctl(const std::vector<std::string>& args, const app_context& context) {
    auto parsed = parse_command_line(args, context.out, context.err);
    if (!parsed.inv) {
        return parsed.exit_code;
    }
    invocation& inv = *parsed.inv;
    if (inv.command == "put" && inv.args.size() == 2 && inv.args[1] == "-") {
        inv.args[1].assign(std::istreambuf_iterator<char>(context.in), {});
    }
    if (inv.command == "import") {
        std::istream& in = context.in;
        inv.input = [&in]() -> std::optional<std::string> {
            std::string line;
            if (!std::getline(in, line)) {
                return std::nullopt;
            }
            return line;
        };
        inv.progress = context.err_is_terminal;
    }
    auto talk = plan(inv);
    if (!talk) {
        context.err << "mps3ctl: " << talk.err().message << '\n';
        return exit_usage;
    }

    const auto path = resolve_socket_path(inv.socket, inv.system, context.env, context.uid);
    auto client = socket_client::connect(path);
    if (!client) {
        context.err << "mps3ctl: " << client.err().message << '\n';
        return exit_unreachable;
    }
    if (context.handle_signals && inv.command == "watch") {
        // Without the pipe (it cannot fail short of running out of descriptors) the signals
        // keep their default action, which ends the watch too, only less tidily.
        if (auto interrupt_fd = install_interrupt_pipe()) {
            client->set_interrupt_fd(*interrupt_fd);
        }
    }
    return run_conversation(**talk, *client, context.out, context.err);
}

}  // namespace mps3::ctl
