#include <mps3/text.hpp>

#include <algorithm>

namespace mps3 {

std::string_view trim(std::string_view s) {
    constexpr std::string_view whitespace = " \t\r\n\v\f";
    const auto first = s.find_first_not_of(whitespace);
    if (first == std::string_view::npos) {
        return {};
    }
    return s.substr(first, s.find_last_not_of(whitespace) - first + 1);
}

std::string ascii_lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](char c) {
        return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    });
    return out;
}

}  // namespace mps3
