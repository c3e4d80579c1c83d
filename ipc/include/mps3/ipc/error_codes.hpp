// The error vocabulary of the JSON-RPC protocol: the standard JSON-RPC 2.0 codes plus mps3d's
// application codes (docs/ipc-protocol.md has the table). Clients compare codes; messages are for
// people and may change.
#pragma once

#include <mps3/error.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace mps3::ipc {

enum class rpc_code : int {
    // JSON-RPC 2.0 (section 5.1 of the specification).
    parse_error = -32700,       // the line is not JSON: invalid syntax or UTF-8, nested too deep
    invalid_request = -32600,   // JSON, but not a request object; also an oversized frame
    method_not_found = -32601,  // no such method
    invalid_params = -32602,    // a parameter is missing, unknown, or of the wrong type
    internal_error = -32603,    // a bug or an unexpected failure inside mps3d

    // mps3d's application codes (the spec reserves -32000..-32099 for implementations).
    unknown_store = -32001,    // the `store` parameter names no configured store
    invalid_key = -32002,      // the store refuses the key (empty, too long, not UTF-8, reserved)
    value_too_large = -32003,  // a value, or the answer, exceeds the daemon's size limit
    timeout = -32004,          // the operation's deadline passed (flush, await "remote")
    offline = -32005,          // the bucket is needed but the store is offline or unreachable
    storage_error = -32006,    // the local replica or the bucket failed the operation
    not_found = -32007,        // the thing named does not exist (e.g. a subscription id)
    forbidden = -32008,        // the connecting process's user may not use this daemon
    limit_exceeded = -32009,   // a count limit is reached (connections, subscriptions)
};

/// The error member of a response. `code` is an int, not an rpc_code, because a client must be
/// able to carry codes a newer server sends.
struct rpc_error {
    int code = static_cast<int>(rpc_code::internal_error);
    std::string message;
    std::optional<std::string> data;  // compact JSON text of the optional `data` member

    rpc_error() = default;
    rpc_error(rpc_code c, std::string msg, std::optional<std::string> data_json = std::nullopt)
        : code(static_cast<int>(c)), message(std::move(msg)), data(std::move(data_json)) {}
    rpc_error(int c, std::string msg, std::optional<std::string> data_json = std::nullopt)
        : code(c), message(std::move(msg)), data(std::move(data_json)) {}

    [[nodiscard]] bool is(rpc_code c) const { return code == static_cast<int>(c); }
};

/// The specification's short text for a code ("Parse error", ...), or a short name for an
/// application code; "Server error" for codes it does not know.
std::string_view standard_message(int code);

/// The one place where the engine's error vocabulary (mps3::errc) meets the protocol's. Codes of
/// other categories are internal errors.
rpc_code code_for(std::error_code ec);

/// An engine error as the protocol reports it: the mapped code, the error's message, and the S3
/// diagnostics (HTTP status, S3 code, request id, attempts) in `data` when there were any.
rpc_error to_rpc_error(const mps3::error& e);

}  // namespace mps3::ipc
