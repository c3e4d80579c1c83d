// status, setOnline, flush: how a store is doing, and the controls over its bucket traffic.
#include "methods/method_env.hpp"

#include <mps3/ipc/json_builder.hpp>
#include <mps3/s3/time_format.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <string>
#include <utility>

namespace mps3::daemon::methods_detail {
namespace {

namespace asio = boost::asio;
using ipc::json_builder;
using ipc::rpc_result;

void optional_time(json_builder& out, std::string_view name,
                   const std::optional<std::chrono::system_clock::time_point>& t) {
    out.key(name);
    if (t) {
        out.string(s3::format_iso8601(*t));
    } else {
        out.null();
    }
}

void error_kind(json_builder& out, sync_error_kind kind) {
    out.key("lastErrorKind");
    switch (kind) {
        case sync_error_kind::none:
            out.null();
            break;
        case sync_error_kind::transient:
            out.string("transient");
            break;
        case sync_error_kind::persistent:
            out.string("persistent");
            break;
    }
}

rpc_result<std::string> status_of(const ipc::request& r, const method_env& env) {
    const auto args = r.args();
    if (auto unknown = args.only({"store"})) {
        return *unknown;
    }
    auto target = store_of(args, env);
    if (!target) {
        return std::move(target).err();
    }
    const auto st = (*target)->store->get_status();
    json_builder out;
    out.begin_object()
        .key("store")
        .string((*target)->name)
        .key("online")
        .boolean(st.online)
        .key("queuedWrites")
        .uinteger(st.queued_writes);
    optional_time(out, "oldestQueued", st.oldest_queued);
    optional_time(out, "lastSync", st.last_sync);
    out.key("clockOffsetMs")
        .integer(st.clock_offset.count())
        .key("lastError")
        .string(st.last_error);
    error_kind(out, st.error_kind);
    out.key("failedAttempts").uinteger(st.failed_attempts);
    optional_time(out, "failingSince", st.failing_since);
    optional_time(out, "nextAttempt", st.next_attempt);
    out.key("entriesWritten")
        .uinteger(st.entries_written)
        .key("lastSeq")
        .uinteger(st.last_seq)
        .key("initialSyncDone")
        .boolean(st.initial_sync_done)
        .key("versioning")
        .boolean(st.versioning)
        .key("groupCommits")
        .uinteger(st.group_commits)
        .key("groupCommittedWrites")
        .uinteger(st.group_committed_writes)
        .key("readCacheHits")
        .uinteger(st.read_cache_hits)
        .key("readCacheMisses")
        .uinteger(st.read_cache_misses)
        .key("readCacheBytes")
        .uinteger(st.read_cache_bytes)
        .key("syncing");
    if (st.syncing) {
        out.begin_object()
            .key("fetched")
            .uinteger(st.syncing->fetched)
            .key("total")
            .uinteger(st.syncing->total)
            .end_object();
    } else {
        out.null();
    }
    out.end_object();
    if (!out.ok()) {
        return ipc::rpc_error(ipc::rpc_code::internal_error,
                              "Internal error: the status could not be written as JSON");
    }
    return out.str();
}

rpc_result<std::string> set_online(const ipc::request& r, const method_env& env) {
    const auto args = r.args();
    if (auto unknown = args.only({"online", "store"})) {
        return *unknown;
    }
    auto target = store_of(args, env);
    auto online = args.required_bool("online");
    if (!target) {
        return std::move(target).err();
    }
    if (!online) {
        return std::move(online).err();
    }
    (*target)->store->set_online(*online);
    if (env.log) {
        env.log(log_level::info, "ipc",
                "store " + (*target)->name + (*online ? " set online" : " set offline") +
                    " by a client");
    }
    json_builder out;
    out.begin_object().key("online").boolean(*online).end_object();
    return out.str();
}

asio::awaitable<void> answer_when_flushed(ipc::reply answer, mps3::store* target,
                                          std::chrono::milliseconds timeout, bool initial) {
    status flushed = success{};
    if (initial) {
        flushed = co_await target->async_initial_sync(timeout);
    } else {
        flushed = co_await target->async_flush(timeout);
    }
    if (flushed) {
        answer.result("{}");
    } else {
        answer.error(to_answer(flushed.err()));
    }
}

void flush(const ipc::request& r, ipc::reply& answer, const method_env& env) {
    const auto args = r.args();
    if (auto unknown = args.only({"timeoutMs", "store", "await"})) {
        return answer.error(*unknown);
    }
    auto target = store_of(args, env);
    auto timeout = timeout_of(args, env);
    auto await = args.optional_string("await");
    if (!target) {
        return answer.error(target.err());
    }
    if (!timeout) {
        return answer.error(timeout.err());
    }
    if (!await) {
        return answer.error(await.err());
    }
    // "uploads" (the default): every write accepted before the call is in the bucket.
    // "initial": the store has read the bucket to the end once (a joining replica is whole).
    const bool initial = await->has_value() && **await == "initial";
    if (await->has_value() && !initial && **await != "uploads") {
        return answer.error(ipc::params::invalid("await", "\"uploads\" or \"initial\"",
                                                 "'await' must be \"uploads\" or \"initial\""));
    }
    asio::co_spawn(
        env.executor,
        answer_when_flushed(std::move(answer), (*target)->store.get(), *timeout, initial),
        asio::detached);
}

}  // namespace

void install_control_methods(ipc::dispatcher& methods, const method_env& env) {
    methods.add_sync("status", [env](const ipc::request& r) { return status_of(r, env); });
    methods.add_sync("setOnline", [env](const ipc::request& r) { return set_online(r, env); });
    methods.add("flush", [env](const ipc::request& r, ipc::reply& a) { flush(r, a, env); });
}

}  // namespace mps3::daemon::methods_detail
