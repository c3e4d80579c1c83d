// What the server writes: responses, notifications and batches, as compact single-line JSON.
// The *_json functions return one JSON value (no newline) so that batch_line can join them;
// the *_line functions return a whole frame, '\n' included.
#pragma once

#include <mps3/ipc/error_codes.hpp>
#include <mps3/ipc/rpc_id.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace mps3::ipc {

/// {"jsonrpc":"2.0","id":<id>,"result":<result>}. `result` is compact, valid JSON text (a
/// handler's output); when it cannot be written the response is an internal error instead.
std::string result_json(const rpc_id& id, std::string_view result);

/// {"jsonrpc":"2.0","id":<id>,"error":{"code":..,"message":..[,"data":..]}}.
std::string error_json(const rpc_id& id, const rpc_error& error);

/// json + '\n'.
std::string to_line(std::string json);

/// "[a,b,...]\n" from non-empty parts made by result_json/error_json.
std::string batch_line(std::span<const std::string> parts);

/// {"jsonrpc":"2.0","method":<method>[,"params":<params>]} + '\n'. `params_json`: compact JSON
/// text of an object or array, or empty for none. nullopt when the method is not valid UTF-8.
std::optional<std::string> notification_line(std::string_view method, std::string_view params_json);

/// The answer to a frame over the size limit: -32600 with id null (the id was never read) and
/// {"maxFrameBytes": N} as data.
std::string oversized_frame_line(std::size_t max_frame);

}  // namespace mps3::ipc
