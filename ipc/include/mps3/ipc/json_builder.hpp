// Compact JSON text written in one pass, for protocol messages and handler results. Every string
// is checked to be valid UTF-8 as it is written (a message must be readable by every client);
// `raw` splices JSON text that is already compact and valid (a stored value) without re-parsing.
#pragma once

#include <mps3/ipc/rpc_id.hpp>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mps3::ipc {

class json_builder {
  public:
    json_builder() = default;
    json_builder(const json_builder&) = delete;  // the writer points into the buffer
    json_builder& operator=(const json_builder&) = delete;

    json_builder& begin_object();
    json_builder& end_object();
    json_builder& begin_array();
    json_builder& end_array();
    json_builder& key(std::string_view name);
    json_builder& string(std::string_view s);
    json_builder& integer(std::int64_t n);
    json_builder& uinteger(std::uint64_t n);
    json_builder& boolean(bool b);
    json_builder& null();
    json_builder& id(const rpc_id& id);
    /// Compact, valid JSON text, copied as is. A '\n' in it (JSON whitespace outside strings is
    /// the only place one can be) is written as a space, so the output stays one line.
    json_builder& raw(std::string_view json);
    /// A parsed value, written compactly.
    json_builder& value(const rapidjson::Value& v);

    /// Bytes `s` takes once written by string(): quotes and escapes included. For handlers that
    /// bound an answer before building it.
    [[nodiscard]] static std::size_t string_bytes(std::string_view s);
    /// Bytes written so far.
    [[nodiscard]] std::size_t size() const { return buffer_.GetSize(); }

    /// False once something could not be written (a string was not valid UTF-8).
    [[nodiscard]] bool ok() const { return ok_; }
    /// The text written (meaningful when ok()).
    [[nodiscard]] std::string str() const { return {buffer_.GetString(), buffer_.GetSize()}; }

  private:
    using writer =
        rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                          rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>;

    json_builder& check(bool written) {
        ok_ = ok_ && written;
        return *this;
    }

    rapidjson::StringBuffer buffer_;
    writer writer_{buffer_};
    bool ok_ = true;
};

}  // namespace mps3::ipc
