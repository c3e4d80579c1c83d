// stores, metrics: every store with its health (what `mps3ctl health` and `status --all`
// read), and the Prometheus text without the HTTP listener (`mps3ctl metrics`).
#include <mps3/ipc/json_builder.hpp>
#include <mps3/s3/time_format.hpp>
#include "methods/method_env.hpp"
#include "store_health.hpp"

#include <string>
#include <utility>

namespace mps3::daemon::methods_detail {
namespace {

using ipc::json_builder;
using ipc::rpc_result;

constexpr std::int64_t most_sync_age_ms = std::int64_t{7} * 24 * 3600 * 1000;  // a week

const store_identity* identity_of(const observability_env& o, const std::string& name) {
    if (!o.identities) {
        return nullptr;
    }
    for (const auto& id : *o.identities) {
        if (id.name == name) {
            return &id;
        }
    }
    return nullptr;
}

std::string_view kind_name(sync_error_kind kind) {
    switch (kind) {
        case sync_error_kind::transient:
            return "transient";
        case sync_error_kind::persistent:
            return "persistent";
        case sync_error_kind::none:
            break;
    }
    return {};
}

void describe_store(json_builder& out, const named_store& s, const observability_env& o,
                    std::chrono::system_clock::time_point now, std::chrono::milliseconds max_age,
                    bool& all_healthy) {
    const auto st = s.store->get_status();
    const auto verdict = judge_store_health(st, now, o.started, max_age);
    all_healthy = all_healthy && verdict.healthy;
    const auto* id = identity_of(o, s.name);
    out.begin_object().key("name").string(s.name);
    out.key("bucket").string(id != nullptr ? id->bucket : "");
    out.key("endpoint").string(id != nullptr ? id->endpoint : "");
    out.key("manifest").string(id != nullptr ? id->manifest : "");
    out.key("online").boolean(st.online).key("queuedWrites").uinteger(st.queued_writes);
    out.key("lastSync");
    if (st.last_sync) {
        out.string(s3::format_iso8601(*st.last_sync));
    } else {
        out.null();
    }
    out.key("syncAgeMs").integer(verdict.sync_age.count());
    out.key("lastError").string(st.last_error).key("lastErrorKind");
    if (const auto kind = kind_name(st.error_kind); !kind.empty()) {
        out.string(kind);
    } else {
        out.null();
    }
    out.key("healthy").boolean(verdict.healthy).key("problem").string(verdict.problem);
    out.end_object();
}

rpc_result<std::string> stores(const ipc::request& r, const method_env& env) {
    const auto args = r.args();
    if (auto unknown = args.only({"maxSyncAgeMs"})) {
        return *unknown;
    }
    auto max_age_ms = args.optional_int("maxSyncAgeMs", 1, most_sync_age_ms);
    if (!max_age_ms) {
        return std::move(max_age_ms).err();
    }
    const auto& o = env.observability;
    const auto max_age =
        max_age_ms->has_value() ? std::chrono::milliseconds(**max_age_ms) : o.health_max_sync_age;
    const auto now = std::chrono::system_clock::now();
    bool all_healthy = true;
    json_builder out;
    out.begin_object().key("stores").begin_array();
    for (const auto& s : env.stores->all()) {
        describe_store(out, s, o, now, max_age, all_healthy);
    }
    out.end_array();
    out.key("maxSyncAgeMs").integer(max_age.count()).key("healthy").boolean(all_healthy);
    out.end_object();
    if (!out.ok()) {
        return ipc::rpc_error(ipc::rpc_code::internal_error,
                              "Internal error: the stores could not be written as JSON");
    }
    return out.str();
}

rpc_result<std::string> metrics(const ipc::request& r, const method_env& env) {
    if (auto unknown = r.args().only({})) {
        return *unknown;
    }
    json_builder out;
    out.string(env.observability.metrics_text ? env.observability.metrics_text() : "");
    return out.str();
}

}  // namespace

void install_health_methods(ipc::dispatcher& methods, const method_env& env) {
    methods.add_sync("stores", [env](const ipc::request& r) { return stores(r, env); });
    methods.add_sync("metrics", [env](const ipc::request& r) { return metrics(r, env); });
    if (env.observability.rpc_observer) {
        methods.observe(env.observability.rpc_observer);
    }
}

}  // namespace mps3::daemon::methods_detail
