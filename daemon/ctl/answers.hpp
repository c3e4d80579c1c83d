// Turning mps3d's answers into what mps3ctl prints: error lines and their exit codes, JSON lines,
// and the human-readable status table.
#pragma once

#include "conversation.hpp"

#include <mps3/ipc/error_codes.hpp>

#include <rapidjson/document.h>

#include <string>
#include <string_view>

namespace mps3::ctl {

/// "mps3ctl: MESSAGE (code N)" and, when the error has data, "mps3ctl: details: DATA"; exit 5
/// for a timeout (-32004), 1 for any other error.
step error_step(const ipc::rpc_error& error);

/// An answer mps3ctl cannot read (a result without the members the protocol promises): exit 4,
/// like any other failure to get a usable answer from mps3d.
step bad_answer_step(std::string_view method, std::string_view why);

/// Any step that ends the command with a message on standard error.
step fail_step(int exit_code, std::string_view message);

/// Compact JSON of value followed by '\n': one line whatever the value holds (a newline inside a
/// string is escaped as \n).
std::string json_line(const rapidjson::Value& value);
/// As json_line, leaving out one member when value is an object (the others keep their order).
std::string json_line(const rapidjson::Value& value, std::string_view left_out);

/// mps3d's status result as an aligned two-column table, times and numbers as sent; members this
/// version does not know are shown too, as JSON.
std::string status_table(const rapidjson::Value& status);

/// text as a JSON string literal, for naming keys safely in messages ("a\nb" stays one line).
std::string quoted(std::string_view text);

}  // namespace mps3::ctl
