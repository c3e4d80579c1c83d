// The text helpers every configuration reader shares (mps3d.conf, the AWS config and credentials
// files, endpoint URLs and regions from the environment): one trim, one ascii_lower.
#pragma once

#include <string>
#include <string_view>

namespace mps3 {

/// Without leading and trailing ASCII whitespace (space, \t, \r, \n, \v, \f).
std::string_view trim(std::string_view s);

/// ASCII letters lowered, every other byte as it is (hosts, schemes, regions, INI keys).
std::string ascii_lower(std::string_view s);

}  // namespace mps3
