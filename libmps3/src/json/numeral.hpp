// The number a JSON numeral stands for, converted with std::from_chars (correctly rounded)
// instead of RapidJSON 1.1.0's full-precision strtod, which misreads some numerals silently:
// "0e50" as -1.55e-266, "1.8e308" as NaN, a 309-digit integer with ".0" as 1.8e305.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>

namespace mps3::json {

/// RapidJSON's types for a numeral: an integer as int64 (negative) or uint64 when it fits,
/// otherwise (a fraction, an exponent, or beyond 64 bits) a double; underflow reads as a signed
/// zero. nullopt when the value is beyond the largest double. `numeral` must be valid JSON
/// number syntax (the parser checked it).
std::optional<std::variant<std::int64_t, std::uint64_t, double>> read_numeral(
    std::string_view numeral);

}  // namespace mps3::json
