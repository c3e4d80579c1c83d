// Typed access to a request's named parameters for method handlers. Every failure is an
// "Invalid params" (-32602) error whose message names the parameter and the type expected, and
// whose data says the same for programs: {"parameter": "key", "expected": "a string"}.
//
//   auto key = args.required_string("key");
//   if (!key) return key.err();
#pragma once

#include <mps3/ipc/rpc_result.hpp>

#include <rapidjson/document.h>

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <string_view>

namespace mps3::ipc {

class params {
  public:
    using int_limit = std::numeric_limits<std::int64_t>;

    /// value: the request's params member (an object or an array), or nullptr when it had none.
    /// The value must outlive this view.
    explicit params(const rapidjson::Value* value = nullptr) : value_(value) {}

    /// The params member as sent, for handlers that take positional parameters.
    [[nodiscard]] const rapidjson::Value* raw() const { return value_; }

    // Strings are views into the parsed request (valid as long as the request is kept).
    rpc_result<std::string_view> required_string(std::string_view name) const;
    rpc_result<std::optional<std::string_view>> optional_string(std::string_view name) const;
    rpc_result<bool> required_bool(std::string_view name) const;
    rpc_result<std::optional<bool>> optional_bool(std::string_view name) const;
    /// An integer (no fraction, no exponent beyond it) within [min, max].
    rpc_result<std::int64_t> required_int(std::string_view name,
                                          std::int64_t min = int_limit::min(),
                                          std::int64_t max = int_limit::max()) const;
    rpc_result<std::optional<std::int64_t>> optional_int(std::string_view name,
                                                         std::int64_t min = int_limit::min(),
                                                         std::int64_t max = int_limit::max()) const;
    // Containers and any-JSON values as pointers into the request; nullptr: absent (optional_*).
    rpc_result<const rapidjson::Value*> required_object(std::string_view name) const;
    rpc_result<const rapidjson::Value*> optional_object(std::string_view name) const;
    rpc_result<const rapidjson::Value*> required_array(std::string_view name) const;
    rpc_result<const rapidjson::Value*> optional_array(std::string_view name) const;
    /// Any JSON value, null included (a present null is not an absent parameter).
    rpc_result<const rapidjson::Value*> required_value(std::string_view name) const;
    rpc_result<const rapidjson::Value*> optional_value(std::string_view name) const;

    /// Refuses parameters a method does not know: a misspelt optional parameter ("awiat") would
    /// otherwise be ignored silently. nullopt when every name is in `known`.
    [[nodiscard]] std::optional<rpc_error> only(
        std::initializer_list<std::string_view> known) const;

    /// The -32602 error for `name` not being `expected` (for checks beyond the type).
    static rpc_error invalid(std::string_view name, std::string_view expected,
                             std::string_view detail);

  private:
    // The member named `name`: nullptr when absent; an error when params are positional or the
    // name is given twice (which value would win is not for the server to guess).
    rpc_result<const rapidjson::Value*> find(std::string_view name) const;

    const rapidjson::Value* value_;
};

}  // namespace mps3::ipc
