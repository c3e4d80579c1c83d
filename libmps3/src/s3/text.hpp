// The few text helpers the configuration readers of the S3 layer share (endpoint URLs and
// regions from the environment, the shared credentials file).
#pragma once

#include <string>
#include <string_view>

namespace mps3::s3::detail {

/// Without leading and trailing ASCII whitespace (space, \t, \r, \n, \v, \f).
std::string_view trim(std::string_view s);

/// ASCII letters lowered, every other byte as it is (hosts, schemes, regions, INI keys).
std::string ascii_lower(std::string_view s);

}  // namespace mps3::s3::detail
