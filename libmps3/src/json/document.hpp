// Parsing and serialising JSON text with RapidJSON, hardened for bytes that come from a shared
// bucket: anything a stranger wrote must give an error, never a crash or a silent misread.
#pragma once

#include <mps3/result.hpp>

#include <rapidjson/document.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace mps3::json {

/// Deep enough for any real document; shallow enough that the recursive algorithms run on parsed
/// values (comparison, merge patch, serialisation) cannot exhaust the stack.
inline constexpr std::size_t default_max_depth = 512;

/// Parses exactly one JSON value (surrounding whitespace allowed). Rejects invalid UTF-8, NUL
/// bytes, trailing data, NaN/Infinity and nesting deeper than max_depth with errc::invalid_argument
/// and a message that says what and where. Numbers keep full double precision.
result<rapidjson::Document> parse(std::string_view text, std::size_t max_depth = default_max_depth);

/// parse, into a document the caller made (one with an allocator of its choice: the IPC layer
/// parses every request into a small pool instead of RapidJSON's default 64 KiB chunk). On
/// failure the document's content is unspecified.
status parse_into(rapidjson::Document& doc, std::string_view text,
                  std::size_t max_depth = default_max_depth);

/// Compact JSON text of value (no whitespace). Fails only when a string is not valid UTF-8, which
/// would make the text unreadable for every other client.
result<std::string> serialize(const rapidjson::Value& value);

/// As serialize, indented with 2 spaces like MPS3's output; for logs and test fixtures.
result<std::string> serialize_pretty(const rapidjson::Value& value);

/// RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. What JSON strings
/// must hold; checking a key up front gives a clear error before anything is queued or written.
bool is_valid_utf8(std::string_view s);

/// A value's JSON type in words, for messages: "null", "a boolean", "a number", "a string",
/// "an array", "an object" ("must be an object, not an array").
std::string_view type_name(const rapidjson::Value& v);

}  // namespace mps3::json
