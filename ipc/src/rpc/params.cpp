#include <mps3/ipc/params.hpp>

#include <mps3/ipc/excerpt.hpp>
#include <mps3/ipc/json_builder.hpp>

#include "rpc/describe.hpp"

#include <string>
#include <type_traits>
#include <utility>

namespace mps3::ipc {
namespace {

using detail::as_view;
using json::type_name;

std::string range_phrase(std::int64_t min, std::int64_t max) {
    using limit = params::int_limit;
    if (min == limit::min() && max == limit::max()) {
        return "an integer";
    }
    if (max == limit::max()) {
        return "an integer of at least " + std::to_string(min);
    }
    if (min == limit::min()) {
        return "an integer of at most " + std::to_string(max);
    }
    return "an integer from " + std::to_string(min) + " to " + std::to_string(max);
}

rpc_error missing(std::string_view name, std::string_view expected) {
    return params::invalid(
        name, expected, "'" + std::string(name) + "' is required (" + std::string(expected) + ")");
}

rpc_error wrong_type(std::string_view name, std::string_view expected,
                     const rapidjson::Value& got) {
    return params::invalid(name, expected,
                           "'" + std::string(name) + "' must be " + std::string(expected) +
                               ", not " + std::string(type_name(got)));
}

template <class R>
struct value_type_of;
template <class T>
struct value_type_of<rpc_result<T>> {
    using type = T;
};

// The shared shape of the typed getters: find, then convert (or refuse) a present value.
template <class Convert>
auto get(rpc_result<const rapidjson::Value*> found, std::string_view name,
         std::string_view expected, bool required, Convert convert) {
    using value_type =
        typename value_type_of<std::invoke_result_t<Convert, const rapidjson::Value&>>::type;
    using out = rpc_result<std::optional<value_type>>;
    if (!found) {
        return out(std::move(found).err());
    }
    if (*found == nullptr) {
        return required ? out(missing(name, expected)) : out(std::optional<value_type>());
    }
    auto converted = convert(**found);
    if (!converted) {
        return out(std::move(converted).err());
    }
    return out(std::optional<value_type>(std::move(converted).value()));
}

// A required getter is the optional one with a guarantee of presence.
template <class T>
rpc_result<T> unwrap(rpc_result<std::optional<T>> r) {
    if (!r) {
        return std::move(r).err();
    }
    return std::move(**r);
}

auto string_of(std::string_view name) {
    return [name](const rapidjson::Value& v) -> rpc_result<std::string_view> {
        if (!v.IsString()) {
            return wrong_type(name, "a string", v);
        }
        return as_view(v);
    };
}

}  // namespace

rpc_error params::invalid(std::string_view name, std::string_view expected,
                          std::string_view detail) {
    json_builder data;
    data.begin_object().key("parameter").string(name).key("expected").string(expected).end_object();
    std::string message = "Invalid params: " + std::string(detail);
    if (!data.ok()) {
        return {rpc_code::invalid_params, std::move(message)};
    }
    return {rpc_code::invalid_params, std::move(message), data.str()};
}

rpc_result<const rapidjson::Value*> params::find(std::string_view name) const {
    if (value_ == nullptr) {
        return static_cast<const rapidjson::Value*>(nullptr);
    }
    if (!value_->IsObject()) {
        return rpc_error(rpc_code::invalid_params,
                         "Invalid params: named parameters (an object) expected, not " +
                             std::string(type_name(*value_)));
    }
    const rapidjson::Value* hit = nullptr;
    for (const auto& member : value_->GetObject()) {
        if (as_view(member.name) != name) {
            continue;
        }
        if (hit != nullptr) {
            return rpc_error(rpc_code::invalid_params,
                             "Invalid params: '" + std::string(name) + "' is given twice");
        }
        hit = &member.value;
    }
    return hit;
}

rpc_result<std::string_view> params::required_string(std::string_view name) const {
    return unwrap(get(find(name), name, "a string", true, string_of(name)));
}

rpc_result<std::optional<std::string_view>> params::optional_string(std::string_view name) const {
    return get(find(name), name, "a string", false, string_of(name));
}

namespace {

auto bool_of(std::string_view name) {
    return [name](const rapidjson::Value& v) -> rpc_result<bool> {
        if (!v.IsBool()) {
            return wrong_type(name, "a boolean", v);
        }
        return v.GetBool();
    };
}

auto int_of(std::string_view name, std::int64_t min, std::int64_t max) {
    return [name, min, max](const rapidjson::Value& v) -> rpc_result<std::int64_t> {
        const std::string expected = range_phrase(min, max);
        if (!v.IsNumber()) {
            return wrong_type(name, expected, v);
        }
        if (!v.IsInt64()) {
            // A fraction, an exponent form, or beyond 64 bits: never a valid count or sequence.
            return params::invalid(name, expected,
                                   "'" + std::string(name) + "' must be " + expected +
                                       (v.IsUint64() ? ", not a number this large"
                                                     : ", not a number with a fraction"));
        }
        const std::int64_t n = v.GetInt64();
        if (n < min || n > max) {
            return params::invalid(
                name, expected,
                "'" + std::string(name) + "' must be " + expected + ", not " + std::to_string(n));
        }
        return n;
    };
}

// The container and any-value getters differ only in the check.
template <class Check>
auto value_of(std::string_view name, std::string_view expected, Check check) {
    return
        [name, expected, check](const rapidjson::Value& v) -> rpc_result<const rapidjson::Value*> {
            if (!check(v)) {
                return wrong_type(name, expected, v);
            }
            return &v;
        };
}

const auto is_object = [](const rapidjson::Value& v) { return v.IsObject(); };
const auto is_array = [](const rapidjson::Value& v) { return v.IsArray(); };
const auto is_any = [](const rapidjson::Value&) { return true; };

// nullopt (absent) becomes nullptr for the pointer-returning getters.
rpc_result<const rapidjson::Value*> flatten(rpc_result<std::optional<const rapidjson::Value*>> r) {
    if (!r) {
        return std::move(r).err();
    }
    return r->value_or(nullptr);
}

}  // namespace

rpc_result<bool> params::required_bool(std::string_view name) const {
    return unwrap(get(find(name), name, "a boolean", true, bool_of(name)));
}

rpc_result<std::optional<bool>> params::optional_bool(std::string_view name) const {
    return get(find(name), name, "a boolean", false, bool_of(name));
}

rpc_result<std::int64_t> params::required_int(std::string_view name, std::int64_t min,
                                              std::int64_t max) const {
    return unwrap(get(find(name), name, range_phrase(min, max), true, int_of(name, min, max)));
}

rpc_result<std::optional<std::int64_t>> params::optional_int(std::string_view name,
                                                             std::int64_t min,
                                                             std::int64_t max) const {
    return get(find(name), name, range_phrase(min, max), false, int_of(name, min, max));
}

rpc_result<const rapidjson::Value*> params::required_object(std::string_view name) const {
    return flatten(
        get(find(name), name, "an object", true, value_of(name, "an object", is_object)));
}

rpc_result<const rapidjson::Value*> params::optional_object(std::string_view name) const {
    return flatten(
        get(find(name), name, "an object", false, value_of(name, "an object", is_object)));
}

rpc_result<const rapidjson::Value*> params::required_array(std::string_view name) const {
    return flatten(get(find(name), name, "an array", true, value_of(name, "an array", is_array)));
}

rpc_result<const rapidjson::Value*> params::optional_array(std::string_view name) const {
    return flatten(get(find(name), name, "an array", false, value_of(name, "an array", is_array)));
}

rpc_result<const rapidjson::Value*> params::required_value(std::string_view name) const {
    return flatten(
        get(find(name), name, "a JSON value", true, value_of(name, "a JSON value", is_any)));
}

rpc_result<const rapidjson::Value*> params::optional_value(std::string_view name) const {
    return flatten(
        get(find(name), name, "a JSON value", false, value_of(name, "a JSON value", is_any)));
}

std::optional<rpc_error> params::only(std::initializer_list<std::string_view> known) const {
    if (value_ == nullptr) {
        return std::nullopt;
    }
    if (!value_->IsObject()) {
        return rpc_error(rpc_code::invalid_params,
                         "Invalid params: named parameters (an object) expected, not " +
                             std::string(type_name(*value_)));
    }
    for (const auto& member : value_->GetObject()) {
        const std::string_view name = as_view(member.name);
        bool found = false;
        for (const auto k : known) {
            found = found || k == name;
        }
        if (!found) {
            return rpc_error(rpc_code::invalid_params,
                             "Invalid params: unknown parameter " + quoted_excerpt(name));
        }
    }
    return std::nullopt;
}

}  // namespace mps3::ipc
