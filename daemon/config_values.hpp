// The value types of mps3d.conf's keys, shared by every group of keys (config.cpp,
// observability_settings.cpp): one spelling of true/false, one range check, one error format.
#pragma once

#include <mps3/ini.hpp>
#include <mps3/result.hpp>

#include <cstdint>
#include <string>

namespace mps3::daemon {

/// "line N: KEY: WHY", errc::invalid_argument.
error bad_value(const ini::entry& e, const std::string& why);

/// true/yes/on/1 or false/no/off/0.
result<bool> parse_bool(const ini::entry& e);

/// A whole decimal number within [min, max].
result<std::uint64_t> parse_number(const ini::entry& e, std::uint64_t min, std::uint64_t max);

}  // namespace mps3::daemon
