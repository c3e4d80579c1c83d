// The client side of the protocol, sans-io (mps3ctl and the client library put a socket under
// it): request lines out, response and notification lines in, responses matched to requests by
// id.
//
//   client_codec codec;
//   auto out = codec.request("get", params);      // write out->line to the socket
//   ... for each line the line_splitter yields:
//   auto in = codec.receive(line);                // responses (with the method they answer)
//                                                 // and notifications
#pragma once

#include <mps3/ipc/error_codes.hpp>
#include <mps3/ipc/rpc_id.hpp>
#include <mps3/result.hpp>

#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mps3::ipc {

struct rpc_response {
    rpc_id id;
    /// The method of the request this answers; nullopt when the id is not one of the codec's
    /// pending requests (e.g. null: the server could not read which request it was).
    std::optional<std::string> method;
    std::optional<rpc_error> error;  // set: the request failed
    rapidjson::Document result;      // the result when it did not (null otherwise)

    [[nodiscard]] bool ok() const { return !error.has_value(); }
};

struct rpc_notification {
    std::string method;
    rapidjson::Document params;  // null when the notification had none
};

using incoming = std::variant<rpc_response, rpc_notification>;

/// A request line ('\n' included). params: an object or an array, or nullptr for none.
/// Fails (errc::invalid_argument) when params is another type or a string is not UTF-8.
result<std::string> make_request_line(const rpc_id& id, std::string_view method,
                                      const rapidjson::Value* params = nullptr);
/// A notification line: a request without id, which the server never answers.
result<std::string> make_notification_line(std::string_view method,
                                           const rapidjson::Value* params = nullptr);

/// The responses and notifications of one line from the server (a batch gives several).
/// Anything that is not a valid JSON-RPC 2.0 response or notification is errc::bad_response.
result<std::vector<incoming>> parse_incoming_line(std::string_view line);

/// JSON text a person typed (mps3ctl's values and params), parsed by the same hardened rules
/// mps3d applies to requests (RFC 3629 UTF-8, no NUL, no NaN/Infinity, no trailing data, nesting
/// within store_value_max_depth): what the daemon would refuse is refused before it is sent,
/// with a message that says what and where (errc::invalid_argument). Public here because the
/// JSON layer it uses is libmps3's internal one.
result<rapidjson::Document> parse_json_value(std::string_view text);

/// Whether text is RFC 3629 UTF-8 (what every JSON string the protocol carries must be).
bool is_valid_utf8(std::string_view text);

/// Numbers requests 1, 2, 3, ... and remembers which are pending, so that a response can be
/// matched to its request.
class client_codec {
  public:
    struct outgoing {
        rpc_id id;
        std::string line;  // '\n' included
    };

    result<outgoing> request(std::string_view method, const rapidjson::Value* params = nullptr);
    /// params_json: JSON text of an object or array (parsed, checked, written compactly).
    result<outgoing> request(std::string_view method, std::string_view params_json);

    /// Parses a line; every response to a pending request settles it (and names its method).
    result<std::vector<incoming>> receive(std::string_view line);

    [[nodiscard]] std::size_t pending() const { return pending_.size(); }
    [[nodiscard]] bool is_pending(const rpc_id& id) const { return pending_.contains(id); }
    /// Stops waiting for a response (a timeout); one that arrives later is unmatched.
    void forget(const rpc_id& id) { pending_.erase(id); }

  private:
    std::int64_t next_id_ = 1;
    std::map<rpc_id, std::string> pending_;  // id -> method
};

}  // namespace mps3::ipc
