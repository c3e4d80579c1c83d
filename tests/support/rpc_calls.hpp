// What the end-to-end tests do over mps3d's socket, with the test failing on the spot when it
// goes wrong: connect, call a method and get its result, read JSON, write JSON back compactly.
// Built on mps3ctl's blocking socket client (daemon/ctl/socket_client.hpp).
#pragma once

#include "daemon_process.hpp"

#include "ctl/socket_client.hpp"

#include <rapidjson/document.h>

#include <chrono>
#include <string>

namespace mps3::test {

/// A connection to the daemon's socket (REQUIREs success).
ctl::socket_client connect_to(const daemon_process& d);

/// The result of a method that must succeed within `timeout` (REQUIREs success).
rapidjson::Document call(ctl::socket_client& c, const std::string& method,
                         const std::string& params,
                         std::chrono::milliseconds timeout = std::chrono::seconds(60));

/// The error code of a method that must fail.
int error_code(ctl::socket_client& c, const std::string& method, const std::string& params,
               std::chrono::milliseconds timeout = std::chrono::seconds(60));

/// A JSON text parsed (REQUIREs it to be JSON).
rapidjson::Document parse_json(const std::string& text);

/// A value written as compact JSON text.
std::string compact_json(const rapidjson::Value& v);

}  // namespace mps3::test
