// What every bench's --json report ends with: the figures that could not be produced, then the
// file. Shared by tests/bench/*.cpp.
#pragma once

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <string>
#include <vector>

namespace mps3::test {

using json_report_writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

/// Writes the "failures" array, closes the report's top-level object and writes `out` to
/// `path`; throws std::runtime_error when the file cannot be written.
void finish_json_report(json_report_writer& w, const rapidjson::StringBuffer& out,
                        const std::vector<std::string>& failures, const std::string& path);

}  // namespace mps3::test
