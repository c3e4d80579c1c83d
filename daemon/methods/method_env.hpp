// What every method handler works with: the stores, the connection it serves, the limits, and the
// small helpers that turn parameters and engine results into protocol answers.
#pragma once

#include "methods/observability_env.hpp"
#include "methods/store_registry.hpp"

#include <mps3/ipc/connection.hpp>
#include <mps3/ipc/dispatcher.hpp>
#include <mps3/ipc/params.hpp>
#include <mps3/log.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace mps3::daemon {

struct method_limits {
    std::size_t max_value_bytes = std::size_t{8} << 20;    // one value's compact JSON text
    std::size_t max_keys_per_call = 10'000;                // getAll keys, putAll ops
    std::size_t max_answer_bytes = std::size_t{64} << 20;  // one response line (getAll, list)
    std::chrono::milliseconds default_timeout{30'000};     // flush, await "remote"
    std::chrono::milliseconds max_timeout{3'600'000};
};

struct method_env {
    store_registry* stores = nullptr;
    boost::asio::any_io_executor executor;
    method_limits limits;
    /// Live changes held for a subscription while its `since` replay is going out; beyond
    /// this the subscription ends with `lagged`.
    std::size_t max_held_changes = 4096;
    log_sink log;
    observability_env observability;  // stores, metrics, request metrics
};

/// Registers every method of the protocol (docs/ipc-protocol.md) for one connection.
void install_methods(ipc::dispatcher& methods, const std::shared_ptr<ipc::connection>& connection,
                     const method_env& env);

namespace methods_detail {

void install_write_methods(ipc::dispatcher& methods, const method_env& env);
void install_read_methods(ipc::dispatcher& methods, const method_env& env);
void install_subscription_methods(ipc::dispatcher& methods,
                                  const std::shared_ptr<ipc::connection>& connection,
                                  const method_env& env);
void install_control_methods(ipc::dispatcher& methods, const method_env& env);
void install_version_method(ipc::dispatcher& methods);
/// stores, metrics; and the request metrics' observer on the dispatcher.
void install_health_methods(ipc::dispatcher& methods, const method_env& env);

/// The store a request names with `store` (or the default one).
ipc::rpc_result<named_store*> store_of(const ipc::params& args, const method_env& env);

/// A value parameter as compact JSON text, within the size limit (-32003 otherwise).
ipc::rpc_result<std::string> value_text(const rapidjson::Value& value, std::string_view name,
                                        const method_env& env);

/// `timeoutMs` (default: limits.default_timeout).
ipc::rpc_result<std::chrono::milliseconds> timeout_of(const ipc::params& args,
                                                      const method_env& env);

/// An engine failure as an answer.
ipc::rpc_error to_answer(const mps3::error& e);

}  // namespace methods_detail
}  // namespace mps3::daemon
