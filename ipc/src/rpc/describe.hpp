// Client input described in error messages: a value's JSON type in words ("must be a string, not
// an array") and a bounded, quoted excerpt of a name the client sent.
#pragma once

#include <rapidjson/document.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace mps3::ipc::detail {

inline std::string_view json_type_name(const rapidjson::Value& v) {
    switch (v.GetType()) {
        case rapidjson::kNullType:
            return "null";
        case rapidjson::kFalseType:
        case rapidjson::kTrueType:
            return "a boolean";
        case rapidjson::kObjectType:
            return "an object";
        case rapidjson::kArrayType:
            return "an array";
        case rapidjson::kStringType:
            return "a string";
        case rapidjson::kNumberType:
            return "a number";
    }
    return "a value";
}

inline std::string_view as_view(const rapidjson::Value& s) {
    return {s.GetString(), s.GetStringLength()};
}

/// 'text', cut to at most max bytes on a UTF-8 character boundary: a message quoting a 16 MiB
/// method name would otherwise be as large as the request.
inline std::string quoted_excerpt(std::string_view text, std::size_t max = 64) {
    if (text.size() <= max) {
        return "'" + std::string(text) + "'";
    }
    std::size_t cut = max;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) {
        --cut;  // text[cut] continues a character: cut before that character starts
    }
    return "'" + std::string(text.substr(0, cut)) + "...'";
}

}  // namespace mps3::ipc::detail
