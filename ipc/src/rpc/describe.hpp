// Client input described in error messages: a value's JSON type in words ("must be a string, not
// an array", the json layer's type_name, which the manifest reader's messages share) and a
// bounded, quoted excerpt of a name the client sent.
#pragma once

#include <mps3/ipc/excerpt.hpp>

#include "json/document.hpp"

#include <rapidjson/document.h>

#include <string_view>

namespace mps3::ipc::detail {

inline std::string_view as_view(const rapidjson::Value& s) {
    return {s.GetString(), s.GetStringLength()};
}

}  // namespace mps3::ipc::detail
