// What the fuzz targets share: an invariant check that libFuzzer reports as a crash (so the input
// is saved), and small JSON helpers. Checks stay on in every build type: assert() is what they
// replace, and NDEBUG must not turn a target back into a mere "does not crash" test.
#pragma once

#include "json/document.hpp"

#include <rapidjson/document.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#define FUZZ_CHECK(condition)                                                                      \
    do {                                                                                           \
        if (!(condition)) {                                                                        \
            std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition); \
            std::abort();                                                                          \
        }                                                                                          \
    } while (false)

namespace mps3::fuzz {

inline std::string_view as_text(const unsigned char* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

/// The first line of text (without its '\n'), removed from text with its '\n'; the whole text
/// when it has no '\n'. The targets that read several fields split their input this way.
inline std::string_view take_line(std::string_view& text) {
    const auto newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    return line;
}

/// Compact JSON of a value that must be serialisable (it came from a successful parse).
inline std::string to_json(const rapidjson::Value& v) {
    auto text = json::serialize(v);
    FUZZ_CHECK(text.has_value());
    return std::move(text).value();
}

/// True when some object anywhere in v names a member twice. RFC 8259 leaves such objects'
/// meaning open, so round-trip checks that compare objects member by member skip them.
inline bool has_duplicate_names(const rapidjson::Value& v) {
    if (v.IsArray()) {
        for (const auto& item : v.GetArray()) {
            if (has_duplicate_names(item)) {
                return true;
            }
        }
    } else if (v.IsObject()) {
        for (auto a = v.MemberBegin(); a != v.MemberEnd(); ++a) {
            for (auto b = a + 1; b != v.MemberEnd(); ++b) {
                if (a->name == b->name) {
                    return true;
                }
            }
            if (has_duplicate_names(a->value)) {
                return true;
            }
        }
    }
    return false;
}

}  // namespace mps3::fuzz
