// put, putAll, delete. A write is answered once it is committed in the replica ("local", the
// default) or once it is in the bucket ("remote": the store's flush, bounded by timeoutMs; on
// timeout the write stays queued and is still uploaded). Writes go through the store's group
// commit (store::async_put_all): the writes of every client that arrive while a commit runs
// share the next transaction and its fsync.
#include "methods/method_env.hpp"

#include <mps3/ipc/excerpt.hpp>
#include <mps3/ipc/json_builder.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mps3::daemon::methods_detail {
namespace {

namespace asio = boost::asio;
using ipc::rpc_code;
using ipc::rpc_error;
using ipc::rpc_result;

struct write_mode {
    bool remote = false;
    std::chrono::milliseconds timeout{0};
};

rpc_result<write_mode> mode_of(const ipc::params& args, const method_env& env) {
    auto await = args.optional_string("await");
    if (!await) {
        return std::move(await).err();
    }
    write_mode mode;
    if (await->has_value()) {
        if (**await == "remote") {
            mode.remote = true;
        } else if (**await != "local") {
            return ipc::params::invalid("await", "\"local\" or \"remote\"",
                                        "'await' must be \"local\" or \"remote\"");
        }
    }
    auto timeout = timeout_of(args, env);
    if (!timeout) {
        return std::move(timeout).err();
    }
    mode.timeout = *timeout;
    return mode;
}

std::string seq_result(std::uint64_t seq) {
    ipc::json_builder out;
    out.begin_object().key("seq").uinteger(seq).end_object();
    return out.str();
}

asio::awaitable<void> answer_when_uploaded(ipc::reply answer, mps3::store* target,
                                           std::uint64_t seq, std::chrono::milliseconds timeout) {
    auto flushed = co_await target->async_flush(timeout);
    if (flushed) {
        answer.result(seq_result(seq));
    } else {
        answer.error(to_answer(flushed.err()));
    }
}

asio::awaitable<void> write_and_answer(ipc::reply answer, mps3::store* target,
                                       asio::awaitable<result<write_receipt>> commit,
                                       write_mode mode) {
    auto written = co_await std::move(commit);
    if (!written) {
        answer.error(to_answer(written.err()));
        co_return;
    }
    if (!mode.remote) {
        answer.result(seq_result(written->seq));
        co_return;
    }
    auto uploaded = answer_when_uploaded(std::move(answer), target, written->seq, mode.timeout);
    co_await std::move(uploaded);
}

void answer_write(ipc::reply& answer, const method_env& env, named_store& target,
                  std::vector<write_op> ops, const write_mode& mode) {
    // Queued now, while this line is handled: the lines after it (a pipelined get) see it.
    // value_text made the values compact JSON from the parsed request: no second parse.
    auto commit = target.store->async_put_all(std::move(ops), mps3::store::json_text::compact);
    asio::co_spawn(env.executor,
                   write_and_answer(std::move(answer), target.store.get(), std::move(commit), mode),
                   asio::detached);
}

// One element of putAll's `ops`: {"key": k, "value": v} or {"key": k, "delete": true}.
rpc_result<write_op> op_of(const rapidjson::Value& op, std::size_t index, const method_env& env) {
    const auto where = " (in ops[" + std::to_string(index) + "])";
    auto located = [&](rpc_error e) {
        e.message += where;
        return e;
    };
    if (!op.IsObject()) {
        return ipc::params::invalid("ops", "an array of objects",
                                    "'ops' must hold objects" + where);
    }
    const ipc::params fields(&op);
    if (auto unknown = fields.only({"key", "value", "delete"})) {
        return located(*unknown);
    }
    auto key = fields.required_string("key");
    if (!key) {
        return located(std::move(key).err());
    }
    auto value = fields.optional_value("value");
    auto del = fields.optional_bool("delete");
    if (!value) {
        return located(std::move(value).err());
    }
    if (!del) {
        return located(std::move(del).err());
    }
    if (*value != nullptr && del->has_value()) {
        return ipc::params::invalid("ops", "either 'value' or 'delete'",
                                    "an op has either 'value' or 'delete', not both" + where);
    }
    if (del->has_value()) {
        if (!**del) {
            return ipc::params::invalid("delete", "true",
                                        "'delete' must be true when given" + where);
        }
        return write_op{std::string(*key), std::nullopt};
    }
    if (*value == nullptr) {
        return ipc::params::invalid("ops", "an object with 'value' or 'delete'",
                                    "an op needs 'value' or 'delete': true" + where);
    }
    auto text = value_text(**value, "value", env);
    if (!text) {
        return located(std::move(text).err());
    }
    return write_op{std::string(*key), std::move(*text)};
}

void put(const ipc::request& r, ipc::reply& answer, const method_env& env) {
    const auto args = r.args();
    if (auto unknown = args.only({"key", "value", "await", "timeoutMs", "store"})) {
        return answer.error(*unknown);
    }
    auto target = store_of(args, env);
    auto key = args.required_string("key");
    auto value = args.required_value("value");
    auto mode = mode_of(args, env);
    if (!target) {
        return answer.error(target.err());
    }
    if (!key) {
        return answer.error(key.err());
    }
    if (!value) {
        return answer.error(value.err());
    }
    if (!mode) {
        return answer.error(mode.err());
    }
    auto text = value_text(**value, "value", env);
    if (!text) {
        return answer.error(text.err());
    }
    std::vector<write_op> ops;
    ops.push_back({.key = std::string(*key), .value = std::move(*text)});
    answer_write(answer, env, **target, std::move(ops), *mode);
}

void put_all(const ipc::request& r, ipc::reply& answer, const method_env& env) {
    const auto args = r.args();
    if (auto unknown = args.only({"ops", "await", "timeoutMs", "store"})) {
        return answer.error(*unknown);
    }
    auto target = store_of(args, env);
    auto ops = args.required_array("ops");
    auto mode = mode_of(args, env);
    if (!target) {
        return answer.error(target.err());
    }
    if (!ops) {
        return answer.error(ops.err());
    }
    if (!mode) {
        return answer.error(mode.err());
    }
    const auto& list = **ops;
    if (list.Empty() || list.Size() > env.limits.max_keys_per_call) {
        return answer.error(ipc::params::invalid(
            "ops", "an array of 1 to " + std::to_string(env.limits.max_keys_per_call) + " ops",
            "'ops' must hold 1 to " + std::to_string(env.limits.max_keys_per_call) + " ops, not " +
                std::to_string(list.Size())));
    }
    std::vector<write_op> batch;
    batch.reserve(list.Size());
    std::size_t total_bytes = 0;
    for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
        auto op = op_of(list[i], i, env);
        if (!op) {
            return answer.error(op.err());
        }
        total_bytes += op->key.size() + (op->value ? op->value->size() : 0);
        batch.push_back(std::move(*op));
    }
    // One manifest entry carries the whole batch: bound it like one value times a few.
    if (total_bytes > 4 * env.limits.max_value_bytes) {
        return answer.error(rpc_error(rpc_code::value_too_large,
                                      "Value too large: the ops hold " +
                                          std::to_string(total_bytes) +
                                          " bytes of keys and values, the limit is " +
                                          std::to_string(4 * env.limits.max_value_bytes)));
    }
    answer_write(answer, env, **target, std::move(batch), *mode);
}

void remove(const ipc::request& r, ipc::reply& answer, const method_env& env) {
    const auto args = r.args();
    if (auto unknown = args.only({"key", "await", "timeoutMs", "store"})) {
        return answer.error(*unknown);
    }
    auto target = store_of(args, env);
    auto key = args.required_string("key");
    auto mode = mode_of(args, env);
    if (!target) {
        return answer.error(target.err());
    }
    if (!key) {
        return answer.error(key.err());
    }
    if (!mode) {
        return answer.error(mode.err());
    }
    std::vector<write_op> ops;
    ops.push_back({.key = std::string(*key), .value = std::nullopt});
    answer_write(answer, env, **target, std::move(ops), *mode);
}

// The value at `from` written at `to` and `from` deleted, in one atomic batch read and queued
// in the same turn of the io thread, so no local write can come between the read and the move.
void move_now(ipc::reply& answer, const method_env& env, named_store& target,
              const std::string& from, const std::string& to, const write_mode& mode) {
    auto value = target.store->get(from);
    if (!value) {
        return answer.error(to_answer(value.err()));
    }
    if (!*value) {
        return answer.error(
            rpc_error(rpc_code::not_found,
                      "Not found: no value at " + ipc::quoted_excerpt(from) + " to move"));
    }
    std::vector<write_op> ops;
    ops.push_back({.key = to, .value = std::move(**value)});
    ops.push_back({.key = from, .value = std::nullopt});
    // The store gave back the compact text it keeps.
    answer_write(answer, env, target, std::move(ops), mode);
}

asio::awaitable<void> move_after_writes(ipc::reply answer, method_env env, named_store* target,
                                        std::string from, std::string to, write_mode mode) {
    auto answered = target->store->async_writes_answered();
    co_await std::move(answered);
    move_now(answer, env, *target, from, to, mode);
}

void move(const ipc::request& r, ipc::reply& answer, const method_env& env) {
    const auto args = r.args();
    if (auto unknown = args.only({"from", "to", "await", "timeoutMs", "store"})) {
        return answer.error(*unknown);
    }
    auto target = store_of(args, env);
    auto from = args.required_string("from");
    auto to = args.required_string("to");
    auto mode = mode_of(args, env);
    if (!target) {
        return answer.error(target.err());
    }
    if (!from) {
        return answer.error(from.err());
    }
    if (!to) {
        return answer.error(to.err());
    }
    if (!mode) {
        return answer.error(mode.err());
    }
    if (*from == *to) {
        return answer.error(ipc::params::invalid("to", "a key other than 'from'",
                                                 "'from' and 'to' are the same key"));
    }
    std::string source(*from);
    std::string destination(*to);
    if (!(*target)->store->read_waits(source, false)) {
        return move_now(answer, env, **target, source, destination, *mode);
    }
    // A write of `from` is still being committed: move what it wrote, once it is answered.
    asio::co_spawn(env.executor,
                   move_after_writes(std::move(answer), env, *target, std::move(source),
                                     std::move(destination), *mode),
                   asio::detached);
}

}  // namespace

void install_write_methods(ipc::dispatcher& methods, const method_env& env) {
    methods.add("move", [env](const ipc::request& r, ipc::reply& a) { move(r, a, env); });
    methods.add("put", [env](const ipc::request& r, ipc::reply& a) { put(r, a, env); });
    methods.add("putAll", [env](const ipc::request& r, ipc::reply& a) { put_all(r, a, env); });
    methods.add("delete", [env](const ipc::request& r, ipc::reply& a) { remove(r, a, env); });
}

}  // namespace mps3::daemon::methods_detail
