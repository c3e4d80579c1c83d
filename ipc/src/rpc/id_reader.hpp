// The numeral text of numeric ids as they appear in a line. RapidJSON turns a number that is not
// a 64-bit integer (1.5, 1e3, 123456789012345678901234567890) into a double, and a double cannot
// be written back as the same text; JSON-RPC wants the id echoed exactly, so for those ids a
// second, streaming pass over the line recovers the digits as sent. Zero takes that pass too:
// RapidJSON reads "-0" as the integer 0.
#pragma once

#include <mps3/ipc/rpc_id.hpp>

#include <rapidjson/document.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mps3::ipc::detail {

/// For the top-level object of `line` (one entry) or each element of its top-level array (one
/// entry per element): the numeral of its first "id" member when that member is a number.
/// `line` must be valid JSON (it was parsed already); the pass keeps no tree and uses no
/// recursion. An empty vector when the line does not parse.
std::vector<std::optional<std::string>> id_numerals(std::string_view line);

/// Reads the ids of one parsed line, running the second pass at most once and only when an id
/// needs it. Used for requests (server) and responses (client) alike.
class id_reader {
  public:
    explicit id_reader(std::string_view line) : line_(line) {}

    /// The id value of the element-th request object (0 for a single message); nullopt when it
    /// is not a string, a number or null.
    std::optional<rpc_id> read(const rapidjson::Value& v, std::size_t element);

  private:
    std::string_view line_;
    std::vector<std::optional<std::string>> numerals_;
    bool scanned_ = false;
};

}  // namespace mps3::ipc::detail
