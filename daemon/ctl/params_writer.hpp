// Request parameters as compact JSON text, members in the order written (the unit tests compare
// exact text), `store` last when given.
#pragma once

#include <mps3/ipc/json_builder.hpp>

#include <mps3/result.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mps3::ctl {

class params_writer {
  public:
    params_writer() { out_.begin_object(); }

    params_writer& string(std::string_view name, std::string_view value) {
        out_.key(name).string(value);
        return *this;
    }
    params_writer& uinteger(std::string_view name, std::uint64_t value) {
        out_.key(name).uinteger(value);
        return *this;
    }
    params_writer& boolean(std::string_view name, bool value) {
        out_.key(name).boolean(value);
        return *this;
    }
    params_writer& value(std::string_view name, const rapidjson::Value& value) {
        out_.key(name).value(value);
        return *this;
    }
    /// For members with structure (arrays of objects): write the name, then the value directly.
    ipc::json_builder& member(std::string_view name) { return out_.key(name); }

    /// The text, with "store" appended when given. Fails when a string was not valid UTF-8.
    result<std::string> finish(const std::optional<std::string>& store) {
        if (store) {
            out_.key("store").string(*store);
        }
        out_.end_object();
        if (!out_.ok()) {
            return error(errc::invalid_argument, "an argument is not valid UTF-8");
        }
        return out_.str();
    }

  private:
    ipc::json_builder out_;
};

}  // namespace mps3::ctl
