#include "json/numeral.hpp"

#include <charconv>
#include <cstddef>
#include <system_error>

namespace mps3::json {
namespace {

// m such that the numeral's value is d.ddd * 10^m, for a numeral whose significand is not zero;
// from_chars reports overflow and underflow alike, and the sign of m tells them apart.
long long magnitude(std::string_view numeral) {
    const auto e = numeral.find_first_of("eE");
    long long exponent = 0;
    if (e != std::string_view::npos) {
        std::string_view digits = numeral.substr(e + 1);
        const bool negative = digits.starts_with('-');
        if (digits.starts_with('-') || digits.starts_with('+')) {
            digits.remove_prefix(1);
        }
        // Saturate: an exponent beyond long long is far beyond any double either way.
        constexpr long long far = 1'000'000'000'000LL;
        if (std::from_chars(digits.data(), digits.data() + digits.size(), exponent).ec !=
                std::errc() ||
            exponent > far) {
            exponent = far;
        }
        exponent = negative ? -exponent : exponent;
    }
    const std::string_view mantissa = numeral.substr(0, e);
    const auto first = mantissa.find_first_of("123456789");
    const auto point = mantissa.find('.');
    const auto units = point == std::string_view::npos ? mantissa.size() : point;
    // Digits between the first significant one and the units digit, counted with their sign.
    const auto offset = first < units ? static_cast<long long>(units - first - 1)
                                      : -static_cast<long long>(first - units);
    return exponent + offset;
}

}  // namespace

std::optional<std::variant<std::int64_t, std::uint64_t, double>> read_numeral(
    std::string_view numeral) {
    const char* begin = numeral.data();
    const char* end = begin + numeral.size();
    if (numeral.find_first_of(".eE") == std::string_view::npos) {
        if (numeral.starts_with('-')) {
            std::int64_t i = 0;
            if (std::from_chars(begin, end, i).ec == std::errc()) {
                return i;
            }
        } else {
            std::uint64_t u = 0;
            if (std::from_chars(begin, end, u).ec == std::errc()) {
                return u;
            }
        }
    }
    double d = 0;
    if (std::from_chars(begin, end, d).ec == std::errc()) {
        return d;
    }
    if (magnitude(numeral) > 0) {
        return std::nullopt;
    }
    return numeral.starts_with('-') ? -0.0 : 0.0;
}

}  // namespace mps3::json
