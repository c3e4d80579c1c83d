#include "commands.hpp"

#include "answers.hpp"
#include "build_info.hpp"
#include "exit_codes.hpp"
#include "health_commands.hpp"
#include "importer.hpp"
#include "list_pager.hpp"
#include "params_writer.hpp"
#include "watcher.hpp"

#include <mps3/ipc/client.hpp>

#include <algorithm>
#include <cmath>
#include <string_view>

namespace mps3::ctl {
namespace {

using std::chrono::milliseconds;

error usage(std::string message) {
    return {errc::invalid_argument, std::move(message)};
}

/// How long mps3ctl waits for an answer mps3d gives at once.
milliseconds client_wait(const invocation& inv) {
    if (!inv.timeout_seconds) {
        return default_wait;
    }
    return milliseconds(std::max<long long>(1, std::llround(*inv.timeout_seconds * 1000.0)));
}

/// --timeout as mps3d's timeoutMs, for operations with a deadline inside mps3d.
std::optional<std::uint64_t> daemon_timeout_ms(const invocation& inv) {
    if (!inv.timeout_seconds) {
        return std::nullopt;
    }
    return static_cast<std::uint64_t>(client_wait(inv).count());
}

/// mps3ctl waits for mps3d's own deadline (its default is 30 s), plus a grace period.
milliseconds wait_past_daemon_deadline(const invocation& inv) {
    return milliseconds(daemon_timeout_ms(inv).value_or(30'000)) + daemon_deadline_grace;
}

status check_utf8(std::string_view what, std::string_view text) {
    if (!ipc::is_valid_utf8(text)) {
        return usage(std::string(what) + " " + quoted(text) + " is not valid UTF-8");
    }
    return success{};
}

result<rapidjson::Document> parse_value(std::string_view key, std::string_view text) {
    auto parsed = ipc::parse_json_value(text);
    if (parsed) {
        return parsed;
    }
    std::string message = "the value for " + quoted(key) + " is not JSON: " + parsed.err().message;
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos ||
        std::string_view("{[\"-0123456789tfn").find(text[first]) == std::string_view::npos) {
        message += " (a JSON string needs its quotes, e.g. '\"hi\"')";
    }
    return usage(std::move(message));
}

/// Output of commands without their own format: the result as one JSON line, nothing for {}.
step print_result(const rapidjson::Value& result) {
    step s;
    if (!(result.IsObject() && result.MemberCount() == 0)) {
        s.out = json_line(result);
    }
    s.exit_code = exit_ok;
    return s;
}

/// A write's request: await and timeoutMs as the options say, mps3ctl's wait to match.
result<request> write_request(std::string method, params_writer& params, const invocation& inv) {
    milliseconds wait = client_wait(inv);
    if (inv.await == "remote") {
        params.string("await", "remote");
        if (const auto ms = daemon_timeout_ms(inv)) {
            params.uinteger("timeoutMs", *ms);
        }
        wait = wait_past_daemon_deadline(inv);
    } else if (inv.await != "local") {
        return usage("--await must be local or remote, not " + quoted(inv.await));
    }
    auto text = params.finish(inv.store);
    if (!text) {
        return std::move(text).err();
    }
    return request{std::move(method), std::move(*text), wait};
}

result<request> simple_request(std::string method, params_writer& params, const invocation& inv,
                               milliseconds wait) {
    auto text = params.finish(inv.store);
    if (!text) {
        return std::move(text).err();
    }
    return request{std::move(method), std::move(*text), wait};
}

using planned = result<std::unique_ptr<conversation>>;

planned call(result<request> req, single_call::renderer render) {
    if (!req) {
        return std::move(req).err();
    }
    return std::unique_ptr<conversation>(
        std::make_unique<single_call>(std::move(*req), std::move(render)));
}

status need_args(const invocation& inv, std::size_t count) {
    if (inv.args.size() != count) {
        return usage(inv.command + " takes " + std::to_string(count) + " argument" +
                     (count == 1 ? "" : "s") + ", not " + std::to_string(inv.args.size()));
    }
    return success{};
}

planned plan_put(const invocation& inv) {
    if (auto ok = need_args(inv, 2); !ok) {
        return std::move(ok).err();
    }
    const std::string& key = inv.args[0];
    if (auto ok = check_utf8("the key", key); !ok) {
        return std::move(ok).err();
    }
    auto value = parse_value(key, inv.args[1]);
    if (!value) {
        return std::move(value).err();
    }
    params_writer params;
    params.string("key", key).value("value", *value);
    return call(write_request("put", params, inv), print_result);
}

planned plan_put_all(const invocation& inv) {
    if (inv.put_all_ops.empty()) {
        return usage("put-all needs at least one KEY=JSON or -d KEY");
    }
    params_writer params;
    auto& ops = params.member("ops").begin_array();
    for (const auto& op : inv.put_all_ops) {
        if (op.is_delete) {
            if (auto ok = check_utf8("the key", op.text); !ok) {
                return std::move(ok).err();
            }
            ops.begin_object().key("key").string(op.text).key("delete").boolean(true).end_object();
            continue;
        }
        // Keys may not hold '=' here: the split is at the first one, so JSON values may.
        const auto eq = op.text.find('=');
        if (eq == std::string::npos) {
            return usage("put-all operands are KEY=JSON, and " + quoted(op.text) + " has no '='");
        }
        const std::string_view key = std::string_view(op.text).substr(0, eq);
        if (auto ok = check_utf8("the key", key); !ok) {
            return std::move(ok).err();
        }
        auto value = parse_value(key, std::string_view(op.text).substr(eq + 1));
        if (!value) {
            return std::move(value).err();
        }
        ops.begin_object().key("key").string(key).key("value").value(*value).end_object();
    }
    ops.end_array();
    return call(write_request("putAll", params, inv), print_result);
}

planned plan_delete(const invocation& inv) {
    if (auto ok = need_args(inv, 1); !ok) {
        return std::move(ok).err();
    }
    if (auto ok = check_utf8("the key", inv.args[0]); !ok) {
        return std::move(ok).err();
    }
    params_writer params;
    params.string("key", inv.args[0]);
    return call(write_request("delete", params, inv), print_result);
}

planned plan_get(const invocation& inv) {
    if (auto ok = need_args(inv, 1); !ok) {
        return std::move(ok).err();
    }
    const std::string key = inv.args[0];
    if (auto ok = check_utf8("the key", key); !ok) {
        return std::move(ok).err();
    }
    params_writer params;
    params.string("key", key);
    return call(
        simple_request("get", params, inv, client_wait(inv)),
        [key](const rapidjson::Value& result) {
            const auto found = result.IsObject() ? result.FindMember("found")
                                                 : rapidjson::Value::ConstMemberIterator();
            if (!result.IsObject() || found == result.MemberEnd() || !found->value.IsBool()) {
                return bad_answer_step("get", "'found' is not a boolean");
            }
            if (!found->value.GetBool()) {
                return fail_step(exit_absent, quoted(key) + " is absent");
            }
            const auto value = result.FindMember("value");
            if (value == result.MemberEnd()) {
                return bad_answer_step("get", "'value' is missing");
            }
            step s;
            s.out = json_line(value->value);
            s.exit_code = exit_ok;
            return s;
        });
}

planned plan_get_all(const invocation& inv) {
    if (inv.args.empty()) {
        return usage("get-all needs at least one KEY");
    }
    params_writer params;
    auto& keys = params.member("keys").begin_array();
    for (const auto& key : inv.args) {
        if (auto ok = check_utf8("the key", key); !ok) {
            return std::move(ok).err();
        }
        keys.string(key);
    }
    keys.end_array();
    return call(
        simple_request("getAll", params, inv, client_wait(inv)),
        [](const rapidjson::Value& result) {
            const auto entries = result.IsObject() ? result.FindMember("entries")
                                                   : rapidjson::Value::ConstMemberIterator();
            if (!result.IsObject() || entries == result.MemberEnd() || !entries->value.IsArray()) {
                return bad_answer_step("getAll", "'entries' is not an array");
            }
            step s;
            for (const auto& entry : entries->value.GetArray()) {
                s.out += json_line(entry);
            }
            s.exit_code = exit_ok;
            return s;
        });
}

planned plan_list(const invocation& inv) {
    if (inv.args.size() > 1) {
        return usage("list takes at most one PREFIX");
    }
    list_pager::options opts;
    opts.prefix = inv.args.empty() ? std::string() : inv.args[0];
    if (auto ok = check_utf8("the prefix", opts.prefix); !ok) {
        return std::move(ok).err();
    }
    if (inv.limit && *inv.limit == 0) {
        return usage("--limit must be at least 1");
    }
    opts.limit = inv.limit;
    opts.store = inv.store;
    opts.page_size = list_page_size;
    opts.wait = client_wait(inv);
    return std::unique_ptr<conversation>(std::make_unique<list_pager>(std::move(opts)));
}

// `export [PREFIX]`: list from one snapshot, in the largest pages mps3d serves.
planned plan_export(const invocation& inv) {
    if (inv.args.size() > 1) {
        return usage("export takes at most one PREFIX");
    }
    list_pager::options opts;
    opts.prefix = inv.args.empty() ? std::string() : inv.args[0];
    if (auto ok = check_utf8("the prefix", opts.prefix); !ok) {
        return std::move(ok).err();
    }
    opts.store = inv.store;
    opts.page_size = export_page_size;
    opts.wait = client_wait(inv);
    opts.snapshot = true;
    return std::unique_ptr<conversation>(std::make_unique<list_pager>(std::move(opts)));
}

planned plan_import(const invocation& inv) {
    if (!inv.args.empty()) {
        return usage("import takes no arguments: it reads standard input");
    }
    if (!inv.input) {
        return usage("import: no input to read");
    }
    importer::options opts;
    opts.store = inv.store;
    opts.dry_run = inv.dry_run;
    opts.progress = inv.progress;
    opts.wait = client_wait(inv);
    auto talk = std::make_unique<importer>(std::move(opts), inv.input);
    if (auto ready = talk->prepare(); !ready) {
        return std::move(ready).err();
    }
    return std::unique_ptr<conversation>(std::move(talk));
}

planned plan_move(const invocation& inv) {
    if (auto ok = need_args(inv, 2); !ok) {
        return std::move(ok).err();
    }
    for (const auto& key : inv.args) {
        if (auto ok = check_utf8("the key", key); !ok) {
            return std::move(ok).err();
        }
    }
    params_writer params;
    params.string("from", inv.args[0]).string("to", inv.args[1]);
    return call(write_request("move", params, inv), print_result);
}

planned plan_watch(const invocation& inv) {
    if (inv.args.size() > 1 || (inv.args.size() == 1) == inv.prefix.has_value()) {
        return usage("watch takes exactly one of KEY and --prefix PREFIX");
    }
    watcher::options opts;
    if (inv.args.empty()) {
        opts.prefix = inv.prefix;
    } else {
        opts.key = inv.args[0];
    }
    if (auto ok =
            check_utf8(opts.key ? "the key" : "the prefix", opts.key ? *opts.key : *opts.prefix);
        !ok) {
        return std::move(ok).err();
    }
    if (inv.count && *inv.count == 0) {
        return usage("--count must be at least 1");
    }
    opts.since = inv.since;
    opts.count = inv.count;
    opts.store = inv.store;
    opts.wait = client_wait(inv);
    return std::unique_ptr<conversation>(std::make_unique<watcher>(std::move(opts)));
}

planned plan_status(const invocation& inv) {
    if (inv.all) {
        return plan_status_all(inv, client_wait(inv));
    }
    params_writer params;
    const bool as_json = inv.json;
    return call(simple_request("status", params, inv, client_wait(inv)),
                [as_json](const rapidjson::Value& result) {
                    step s;
                    s.out = as_json ? json_line(result) : status_table(result);
                    s.exit_code = exit_ok;
                    return s;
                });
}

planned plan_set_online(const invocation& inv, bool online) {
    params_writer params;
    params.boolean("online", online);
    return call(simple_request("setOnline", params, inv, client_wait(inv)), print_result);
}

planned plan_flush(const invocation& inv) {
    params_writer params;
    if (const auto ms = daemon_timeout_ms(inv)) {
        params.uinteger("timeoutMs", *ms);
    }
    if (inv.await == "initial") {
        params.string("await", "initial");
    }
    return call(simple_request("flush", params, inv, wait_past_daemon_deadline(inv)), print_result);
}

/// Both ends' versions: mps3ctl's own line, then mps3d's and the protocol it speaks, as in
/// "mps3d 0.1.0 (git v0.1.0-4-gabc1234), protocol 1". No parameters, whatever --store says:
/// the version is the daemon's, not a store's.
planned plan_version(const invocation& inv) {
    return call(request{"version", "{}", client_wait(inv)}, [](const rapidjson::Value& result) {
        if (!result.IsObject()) {
            return bad_answer_step("version", "the result is not an object");
        }
        const auto version = result.FindMember("version");
        const auto protocol = result.FindMember("protocol");
        if (version == result.MemberEnd() || !version->value.IsString()) {
            return bad_answer_step("version", "'version' is not a string");
        }
        if (protocol == result.MemberEnd() || !protocol->value.IsUint64()) {
            return bad_answer_step("version", "'protocol' is not a number");
        }
        std::string_view describe;
        if (const auto git = result.FindMember("git");
            git != result.MemberEnd() && git->value.IsString()) {
            describe = {git->value.GetString(), git->value.GetStringLength()};
        }
        const std::string_view daemon_version(version->value.GetString(),
                                              version->value.GetStringLength());
        step s;
        s.out = daemon::version_line("mps3ctl") + '\n' +
                daemon::version_line("mps3d", daemon_version, describe) + ", protocol " +
                std::to_string(protocol->value.GetUint64()) + '\n';
        s.exit_code = exit_ok;
        return s;
    });
}

}  // namespace

step single_call::on_response(const ipc::rpc_response& response) {
    if (!response.ok()) {
        return error_step(*response.error);
    }
    return render_(response.result);
}

result<std::unique_ptr<conversation>> plan(const invocation& inv) {
    if (inv.store) {
        if (auto ok = check_utf8("the store", *inv.store); !ok) {
            return std::move(ok).err();
        }
    }
    if (inv.command == "put") {
        return plan_put(inv);
    }
    if (inv.command == "put-all") {
        return plan_put_all(inv);
    }
    if (inv.command == "delete") {
        return plan_delete(inv);
    }
    if (inv.command == "get") {
        return plan_get(inv);
    }
    if (inv.command == "get-all") {
        return plan_get_all(inv);
    }
    if (inv.command == "list") {
        return plan_list(inv);
    }
    if (inv.command == "watch") {
        return plan_watch(inv);
    }
    if (inv.command == "export") {
        return plan_export(inv);
    }
    if (inv.command == "import") {
        return plan_import(inv);
    }
    if (inv.command == "move") {
        return plan_move(inv);
    }
    if (inv.command == "status") {
        return plan_status(inv);
    }
    if (inv.command == "online" || inv.command == "offline") {
        return plan_set_online(inv, inv.command == "online");
    }
    if (inv.command == "flush") {
        return plan_flush(inv);
    }
    if (inv.command == "version") {
        return plan_version(inv);
    }
    if (inv.command == "metrics") {
        return plan_metrics(inv, client_wait(inv));
    }
    if (inv.command == "health") {
        return plan_health(inv, client_wait(inv));
    }
    return usage("unknown command " + quoted(inv.command));
}

}  // namespace mps3::ctl
