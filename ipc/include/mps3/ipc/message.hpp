// One line from a client, parsed and validated per JSON-RPC 2.0: a single request or a batch,
// each element either a request to run or the error response it already earned (section 5.1 of
// the specification decides which). No method is looked up here; that is the dispatcher's part.
#pragma once

#include <mps3/ipc/error_codes.hpp>
#include <mps3/ipc/params.hpp>
#include <mps3/ipc/rpc_id.hpp>

#include <rapidjson/document.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mps3::ipc {

/// Nesting the store accepts in a value (the JSON layer's default_max_depth; message.cpp
/// checks that the two agree).
inline constexpr std::size_t store_value_max_depth = 512;

struct parse_limits {
    /// Nesting allowed in a line: a value as deep as the store accepts still fits inside a
    /// batch of putAll requests.
    std::size_t max_depth = store_value_max_depth + 8;
    /// Requests allowed in one batch. Each element may earn an error response of ~100 bytes, so
    /// without a bound a 16 MiB line of "{}," would make ~500 MiB of response.
    std::size_t max_batch = 1000;
};

/// A valid request or notification.
struct request {
    std::string method;
    std::optional<rpc_id> id;  // nullopt: a notification, which gets no response
    /// The params member (an object or an array), nullptr when absent. It shares ownership of
    /// the whole parsed line, so a request can be answered later, after the line is gone.
    std::shared_ptr<const rapidjson::Value> params_value;

    [[nodiscard]] bool is_notification() const { return !id.has_value(); }
    [[nodiscard]] params args() const { return params(params_value.get()); }
};

/// An element that gets an error response without running anything.
struct rejected {
    rpc_id id;  // the element's id when it had a valid one, else null
    rpc_error error;
};

using message_item = std::variant<request, rejected>;

struct message {
    /// A batch is answered with an array (of the responses that are not to notifications);
    /// otherwise items holds exactly one element.
    bool batch = false;
    std::vector<message_item> items;
};

/// Never fails: bytes that are not a valid message become one rejected item (-32700 or -32600).
message parse_message(std::string_view line, const parse_limits& limits = {});

}  // namespace mps3::ipc
