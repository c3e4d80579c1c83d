#include "cli.hpp"

#include "build_info.hpp"
#include "exit_codes.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <string_view>

namespace mps3::ctl {
namespace {

constexpr std::string_view footer_text =
    "Global options (--socket, --system, --store, --timeout) go before or after the command.\n"
    "--timeout SECONDS: how long mps3ctl waits for an answer (default 30). For flush and\n"
    "--await remote it is mps3d's own deadline (timeoutMs): mps3d answers a timeout (exit 5)\n"
    "and mps3ctl waits 5 s more before giving up itself (exit 4).\n"
    "Values are JSON: a string needs its quotes, e.g. mps3ctl put greeting '\"hi\"'.\n"
    "Output: JSON values and JSON lines (one object per line) unless said otherwise.\n\n";

/// Every option and positional of every command; copied into the invocation after parsing.
struct fields {
    std::string socket, store, await = "local", prefix;
    bool system = false, json = false;
    double timeout = 0;
    std::string key, value;
    std::vector<std::string> keys, ops, deletes;
    std::uint64_t since = 0, count = 0, limit = 0;
    bool initial = false;       // flush --initial
    bool dry_run = false;       // import --dry-run
    std::string to;             // move FROM TO
    bool all = false;           // status --all
    std::uint64_t max_age = 0;  // health --max-age
};

CLI::App* command(CLI::App& app, const std::string& name, const std::string& description) {
    CLI::App* sub = app.add_subcommand(name, description);
    sub->footer(std::string(footer_text) + std::string(exit_codes_help));
    return sub;
}

void add_await(CLI::App* sub, fields& f) {
    sub->add_option("--await", f.await,
                    "local: answer once written to the local replica (default); remote: once "
                    "in the bucket")
        ->check(CLI::IsMember({"local", "remote"}));
}

/// put-all's operands in command-line order: CLI11 records every positional argument and every
/// option occurrence in parse_order(), which interleaves the KEY=JSON and -d KEY values.
std::vector<put_all_arg> put_all_in_order(const CLI::App& sub, const CLI::Option* ops,
                                          const CLI::Option* deletes, const fields& f) {
    std::vector<put_all_arg> out;
    std::size_t next_op = 0;
    std::size_t next_delete = 0;
    for (const CLI::Option* seen : sub.parse_order()) {
        if (seen == ops && next_op < f.ops.size()) {
            out.push_back({false, f.ops[next_op++]});
        } else if (seen == deletes && next_delete < f.deletes.size()) {
            out.push_back({true, f.deletes[next_delete++]});
        }
    }
    // Whatever parse_order() did not account for keeps its place at the end (writes, deletes).
    for (; next_op < f.ops.size(); ++next_op) {
        out.push_back({false, f.ops[next_op]});
    }
    for (; next_delete < f.deletes.size(); ++next_delete) {
        out.push_back({true, f.deletes[next_delete]});
    }
    return out;
}

}  // namespace

cli_outcome parse_command_line(const std::vector<std::string>& args, std::ostream& out,
                               std::ostream& err) {
    fields f;
    CLI::App app("Talk to mps3d, the local MPS3 sync daemon, over its Unix socket.", "mps3ctl");
    app.footer(std::string(footer_text) + std::string(exit_codes_help));
    app.require_subcommand(1);
    app.fallthrough();  // global options are also accepted after the command
    app.set_version_flag("--version", daemon::version_line("mps3ctl"),
                         "print mps3ctl's version and exit ('mps3ctl version' asks mps3d too)");

    auto* socket_opt = app.add_option("--socket", f.socket,
                                      "mps3d's socket (default: $MPS3_SOCKET, else the socket "
                                      "of mps3d's configuration or its default path)");
    auto* system_opt =
        app.add_flag("--system", f.system, "talk to the system daemon (/run/mps3/mps3d.sock)");
    socket_opt->excludes(system_opt);
    auto* store_opt =
        app.add_option("--store", f.store, "the store to use (default: mps3d's first store)");
    auto* timeout_opt =
        app.add_option("--timeout", f.timeout, "seconds to wait for an answer (default 30)")
            ->type_name("SECONDS")
            ->check(CLI::Range(0.001, 3600.0));

    CLI::App* put = command(app, "put", "Write a JSON value at a key. Prints {\"seq\":N}.");
    put->add_option("KEY", f.key, "the key")->required();
    put->add_option("JSON", f.value, "the value, as JSON text; - reads standard input")->required();
    add_await(put, f);

    CLI::App* put_all = command(app, "put-all",
                                "Write and delete several keys atomically (one manifest entry), "
                                "in command-line order. Prints {\"seq\":N}.");
    auto* ops_opt = put_all->add_option(
        "KEY=JSON", f.ops, "a key and its value, split at the first '=' (keys cannot hold '=')");
    auto* deletes_opt = put_all->add_option("-d,--delete", f.deletes, "delete KEY (repeatable)")
                            ->type_name("KEY")
                            ->allow_extra_args(false);
    add_await(put_all, f);

    CLI::App* del = command(app, "delete", "Delete a key. Prints {\"seq\":N}.");
    del->add_option("KEY", f.key, "the key")->required();
    add_await(del, f);

    CLI::App* get =
        command(app, "get", "Print the JSON value at a key, on one line (exit 3 when absent).");
    get->add_option("KEY", f.key, "the key")->required();

    CLI::App* get_all = command(app, "get-all",
                                "Read keys from one snapshot; prints one line per key: "
                                "{\"key\":K,\"found\":true,\"value\":V} or "
                                "{\"key\":K,\"found\":false}.");
    get_all->add_option("KEY", f.keys, "the keys")->required();

    CLI::App* list = command(app, "list",
                             "Print the keys with a prefix and their values in key order, one "
                             "line each: {\"key\":K,\"value\":V}.");
    list->add_option("PREFIX", f.prefix, "only keys that start with it (default: all)");
    auto* limit_opt = list->add_option("--limit", f.limit, "print at most N entries")
                          ->type_name("N")
                          ->check(CLI::PositiveNumber);

    CLI::App* export_cmd = command(app, "export",
                                   "Print every key with a prefix and its value, one line each: "
                                   "{\"key\":K,\"value\":V}, all from one snapshot (writes "
                                   "made meanwhile are not in it). mps3ctl import reads it back.");
    export_cmd->add_option("PREFIX", f.prefix, "only keys that start with it (default: all)");

    CLI::App* import_cmd =
        command(app, "import",
                "Write the {\"key\":K,\"value\":V} lines of standard input (mps3ctl export's "
                "output) in atomic batches of up to 1000 keys. Prints "
                "{\"imported\":N,\"batches\":B}. A bad line stops the import (exit 2) before "
                "its batch; earlier batches stay written.");
    import_cmd->add_flag("--dry-run", f.dry_run,
                         "check every line and the store, write nothing; prints "
                         "{\"checked\":N,\"batches\":B}");

    CLI::App* move_cmd = command(app, "move",
                                 "Rename a key: its value written at TO and FROM deleted, "
                                 "atomically (one manifest entry). Prints {\"seq\":N}.");
    move_cmd->add_option("FROM", f.key, "the key to move")->required();
    move_cmd->add_option("TO", f.to, "its new key")->required();
    add_await(move_cmd, f);

    CLI::App* watch = command(app, "watch",
                              "Print every change of a key (or of the keys with a prefix) as a "
                              "JSON line, as it happens, until --count changes or Ctrl-C.");
    auto* watch_key_opt = watch->add_option("KEY", f.key, "the key to watch");
    auto* prefix_opt =
        watch->add_option("--prefix", f.prefix, "watch every key with PREFIX")->type_name("PREFIX");
    auto* since_opt = watch
                          ->add_option("--since", f.since,
                                       "first print the changes after this seq (from a "
                                       "write's {\"seq\":N} or a change's seq)")
                          ->type_name("SEQ")
                          ->check(CLI::NonNegativeNumber);
    auto* count_opt = watch->add_option("--count", f.count, "exit after N changes")
                          ->type_name("N")
                          ->check(CLI::PositiveNumber);

    CLI::App* status = command(app, "status", "Show the store's sync state.");
    status->add_flag("--json", f.json, "print mps3d's status result as JSON");
    status->add_flag("--all", f.all,
                     "show every store's status, one after the other (--json: one line each)");

    command(app, "metrics",
            "Print mps3d's metrics in the Prometheus text format: what its metrics_listen "
            "endpoint serves, without the listener.");
    CLI::App* health = command(app, "health",
                               "Exit 0 when every store synced within the allowed age and has no "
                               "persistent error; else print why per store and exit 1. For "
                               "scripts, ExecStartPost= and container health checks.");
    auto* max_age_opt = health
                            ->add_option("--max-age", f.max_age,
                                         "the allowed age of the last successful sync (default: "
                                         "mps3d's health_max_sync_age, 120 s unless configured)")
                            ->type_name("SECONDS")
                            ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{604800}));

    command(app, "version",
            "Print mps3ctl's version, then mps3d's and the protocol version it speaks.");
    command(app, "online", "Let the store reach the bucket again. Prints {\"online\":true}.");
    command(app, "offline",
            "Stop the store's bucket traffic (writes keep queueing locally). Prints "
            "{\"online\":false}.");
    CLI::App* flush =
        command(app, "flush",
                "Wait until every write accepted so far is in the bucket (--timeout: how long, "
                "default 30 s; exit 5 when it passes).");
    flush->add_flag("--initial", f.initial,
                    "wait instead until the store has read the bucket to the end once since "
                    "mps3d started (a new replica then holds every key)");

    if (args.empty()) {
        err << app.help();
        return {std::nullopt, exit_usage};
    }
    try {
        std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11's order
        app.parse(reversed);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
            app.exit(e, out, err);  // --help
            return {std::nullopt, exit_ok};
        }
        err << "mps3ctl: " << e.what() << "\n"
            << "Run 'mps3ctl --help' or 'mps3ctl COMMAND --help' for usage.\n";
        return {std::nullopt, exit_usage};
    }

    invocation inv;
    inv.socket = f.socket;
    inv.system = f.system;
    if (store_opt->count() > 0) {
        inv.store = f.store;
    }
    if (timeout_opt->count() > 0) {
        inv.timeout_seconds = f.timeout;
    }
    const CLI::App* chosen = app.get_subcommands().front();
    inv.command = chosen->get_name();
    inv.await = f.await;
    if (chosen == flush && f.initial) {
        inv.await = "initial";
    }
    inv.json = f.json;
    inv.dry_run = f.dry_run;
    inv.all = chosen == status && f.all;
    if (chosen == health && max_age_opt->count() > 0) {
        inv.max_age_seconds = f.max_age;
    }
    if (chosen == put) {
        inv.args = {f.key, f.value};
    } else if (chosen == del || chosen == get || (chosen == watch && watch_key_opt->count() > 0)) {
        inv.args = {f.key};
    } else if (chosen == get_all) {
        inv.args = f.keys;
    } else if ((chosen == list || chosen == export_cmd) && !f.prefix.empty()) {
        inv.args = {f.prefix};
    } else if (chosen == move_cmd) {
        inv.args = {f.key, f.to};
    } else if (chosen == put_all) {
        inv.put_all_ops = put_all_in_order(*put_all, ops_opt, deletes_opt, f);
    }
    if (chosen == watch) {
        if (prefix_opt->count() > 0) {
            inv.prefix = f.prefix;
        }
        if (since_opt->count() > 0) {
            inv.since = f.since;
        }
        if (count_opt->count() > 0) {
            inv.count = f.count;
        }
    }
    if (limit_opt->count() > 0) {
        inv.limit = f.limit;
    }
    return {std::move(inv), exit_ok};
}

}  // namespace mps3::ctl
