// A JSON-RPC request id: a string, a number or null. A response must carry the id exactly as the
// request had it, so a number keeps its numeral text as received (123456789012345678901234567890
// and 1.50 come back unchanged, which a double could not promise) and a string its decoded text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace mps3::ipc {

class rpc_id {
  public:
    enum class kind { null, number, string };

    rpc_id() = default;  // null
    static rpc_id from_int(std::int64_t n);
    static rpc_id from_uint(std::uint64_t n);
    static rpc_id from_string(std::string s);
    /// A JSON numeral, e.g. "42", "-1.5e3"; nullopt when text is not one (RFC 8259 section 6).
    static std::optional<rpc_id> from_numeral(std::string text);

    [[nodiscard]] kind type() const { return kind_; }
    [[nodiscard]] bool is_null() const { return kind_ == kind::null; }
    /// The decoded string, or the numeral text; empty for null.
    [[nodiscard]] const std::string& text() const { return text_; }
    /// The number when it is an integer that fits.
    [[nodiscard]] std::optional<std::int64_t> as_int() const;
    /// Compact JSON: "null", the numeral, or the quoted and escaped string.
    [[nodiscard]] std::string to_json() const;

    // Identity is the JSON value as sent: 1 and 1.0 are different ids, as are 1 and "1".
    friend bool operator==(const rpc_id&, const rpc_id&) = default;
    /// Any strict order, for maps of pending requests.
    friend bool operator<(const rpc_id& a, const rpc_id& b) {
        return a.kind_ != b.kind_ ? a.kind_ < b.kind_ : a.text_ < b.text_;
    }

  private:
    rpc_id(kind k, std::string text) : kind_(k), text_(std::move(text)) {}

    kind kind_ = kind::null;
    std::string text_;
};

}  // namespace mps3::ipc
