#include <mps3/ipc/json_builder.hpp>

#include <algorithm>
#include <limits>

namespace mps3::ipc {
namespace {

// RapidJSON measures strings in 32 bits; frames are far smaller, but a longer string must fail
// rather than be truncated.
bool fits(std::string_view s) {
    return s.size() <= std::numeric_limits<rapidjson::SizeType>::max();
}

}  // namespace

json_builder& json_builder::begin_object() {
    return check(writer_.StartObject());
}

json_builder& json_builder::end_object() {
    return check(writer_.EndObject());
}

json_builder& json_builder::begin_array() {
    return check(writer_.StartArray());
}

json_builder& json_builder::end_array() {
    return check(writer_.EndArray());
}

json_builder& json_builder::key(std::string_view name) {
    return check(fits(name) &&
                 writer_.Key(name.data(), static_cast<rapidjson::SizeType>(name.size())));
}

json_builder& json_builder::string(std::string_view s) {
    return check(fits(s) && writer_.String(s.data(), static_cast<rapidjson::SizeType>(s.size())));
}

json_builder& json_builder::integer(std::int64_t n) {
    return check(writer_.Int64(n));
}

json_builder& json_builder::uinteger(std::uint64_t n) {
    return check(writer_.Uint64(n));
}

json_builder& json_builder::boolean(bool b) {
    return check(writer_.Bool(b));
}

json_builder& json_builder::null() {
    return check(writer_.Null());
}

json_builder& json_builder::id(const rpc_id& id) {
    switch (id.type()) {
        case rpc_id::kind::null:
            return null();
        case rpc_id::kind::number:
            return raw(id.text());
        case rpc_id::kind::string:
            return string(id.text());
    }
    return null();
}

json_builder& json_builder::raw(std::string_view json) {
    if (json.empty()) {
        return check(false);  // would leave a value out and break the document
    }
    if (json.find('\n') == std::string_view::npos) {
        return check(writer_.RawValue(json.data(), json.size(), rapidjson::kObjectType));
    }
    std::string one_line(json);
    std::replace(one_line.begin(), one_line.end(), '\n', ' ');
    return check(writer_.RawValue(one_line.data(), one_line.size(), rapidjson::kObjectType));
}

json_builder& json_builder::value(const rapidjson::Value& v) {
    return check(v.Accept(writer_));
}

std::size_t json_builder::string_bytes(std::string_view s) {
    // As RapidJSON's writer escapes (UTF-8 to UTF-8): '"', '\\' and the short control escapes
    // take 2 bytes, other control characters 6 (\u00XX), everything else itself.
    std::size_t n = 2;
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' ||
            c == '\t') {
            n += 2;
        } else if (c < 0x20) {
            n += 6;
        } else {
            n += 1;
        }
    }
    return n;
}

}  // namespace mps3::ipc
