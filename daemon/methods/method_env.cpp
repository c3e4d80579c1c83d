#include "methods/method_env.hpp"

#include <mps3/ipc/json_builder.hpp>

#include <mps3/ipc/error_codes.hpp>

namespace mps3::daemon {

void install_methods(ipc::dispatcher& methods, const std::shared_ptr<ipc::connection>& connection,
                     const method_env& env) {
    methods_detail::install_write_methods(methods, env);
    methods_detail::install_read_methods(methods, env);
    methods_detail::install_subscription_methods(methods, connection, env);
    methods_detail::install_control_methods(methods, env);
    methods_detail::install_version_method(methods);
    methods_detail::install_health_methods(methods, env);
}

namespace methods_detail {

ipc::rpc_result<named_store*> store_of(const ipc::params& args, const method_env& env) {
    auto name = args.optional_string("store");
    if (!name) {
        return std::move(name).err();
    }
    return env.stores->find(*name);
}

ipc::rpc_result<std::string> value_text(const rapidjson::Value& value, std::string_view name,
                                        const method_env& env) {
    ipc::json_builder text;
    text.value(value);
    if (!text.ok()) {
        // The parser already refused invalid UTF-8, so this is a bug, not bad input.
        return ipc::rpc_error(ipc::rpc_code::internal_error,
                              "Internal error: the value could not be written back as JSON");
    }
    auto out = text.str();
    if (out.size() > env.limits.max_value_bytes) {
        return ipc::rpc_error(
            ipc::rpc_code::value_too_large,
            "Value too large: '" + std::string(name) + "' is " + std::to_string(out.size()) +
                " bytes of JSON, the limit is " + std::to_string(env.limits.max_value_bytes),
            "{\"maxValueBytes\":" + std::to_string(env.limits.max_value_bytes) + "}");
    }
    return out;
}

ipc::rpc_result<std::chrono::milliseconds> timeout_of(const ipc::params& args,
                                                      const method_env& env) {
    auto ms = args.optional_int("timeoutMs", 0, env.limits.max_timeout.count());
    if (!ms) {
        return std::move(ms).err();
    }
    return ms->has_value() ? std::chrono::milliseconds(**ms) : env.limits.default_timeout;
}

ipc::rpc_error to_answer(const mps3::error& e) {
    return ipc::to_rpc_error(e);
}

}  // namespace methods_detail
}  // namespace mps3::daemon
