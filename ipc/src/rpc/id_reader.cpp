#include "rpc/id_reader.hpp"

#include <mps3/ipc/json_builder.hpp>

#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <cstdint>
#include <string_view>
#include <utility>

namespace mps3::ipc::detail {
namespace {

// A SAX handler that follows only the depth and the members named "id" of the request objects
// (depth 1 for a single message, depth 2 inside a batch). Member names are RapidJSON's.
// NOLINTBEGIN(readability-identifier-naming)
class id_finder {
  public:
    bool Null() { return scalar(); }
    bool Bool(bool) { return scalar(); }
    bool Int(int) { return scalar(); }
    bool Uint(unsigned) { return scalar(); }
    bool Int64(std::int64_t) { return scalar(); }
    bool Uint64(std::uint64_t) { return scalar(); }
    bool Double(double) { return scalar(); }
    bool String(const char*, rapidjson::SizeType, bool) { return scalar(); }
    bool RawNumber(const char* s, rapidjson::SizeType n, bool) {
        begin_value();
        if (expect_id_) {
            found_.back() = std::string(s, n);
        }
        expect_id_ = false;
        return true;
    }
    bool Key(const char* s, rapidjson::SizeType n, bool) {
        const bool request_level = depth_ == (batch_ ? 2U : 1U);
        if (request_level && !seen_id_ && std::string_view(s, n) == "id") {
            expect_id_ = true;  // the next value is the id (only the first "id" counts)
            seen_id_ = true;
        }
        return true;
    }
    bool StartObject() {
        begin_value();
        expect_id_ = false;
        ++depth_;
        return true;
    }
    bool EndObject(rapidjson::SizeType) {
        --depth_;
        return true;
    }
    bool StartArray() {
        if (depth_ == 0) {
            batch_ = true;
            found_.clear();
        }
        begin_value();
        expect_id_ = false;
        ++depth_;
        return true;
    }
    bool EndArray(rapidjson::SizeType) {
        --depth_;
        return true;
    }

    std::vector<std::optional<std::string>> take() { return std::move(found_); }

  private:
    bool scalar() {
        begin_value();
        expect_id_ = false;
        return true;
    }
    // A value directly inside the top-level array starts the next batch element.
    void begin_value() {
        if (batch_ && depth_ == 1) {
            found_.emplace_back();
            seen_id_ = false;
        }
    }

    std::vector<std::optional<std::string>> found_ = std::vector<std::optional<std::string>>(1);
    unsigned depth_ = 0;
    bool batch_ = false;
    bool expect_id_ = false;
    bool seen_id_ = false;
};
// NOLINTEND(readability-identifier-naming)

}  // namespace

std::vector<std::optional<std::string>> id_numerals(std::string_view line) {
    rapidjson::MemoryStream stream(line.data(), line.size());
    rapidjson::Reader reader;
    id_finder finder;
    constexpr unsigned flags =
        rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;
    if (reader.Parse<flags>(stream, finder).IsError()) {
        return {};
    }
    return finder.take();
}

std::optional<rpc_id> id_reader::read(const rapidjson::Value& v, std::size_t element) {
    if (v.IsString()) {
        return rpc_id::from_string(std::string(v.GetString(), v.GetStringLength()));
    }
    if (v.IsNull()) {
        return rpc_id();
    }
    if (!v.IsNumber()) {
        return std::nullopt;
    }
    // An integer's digits are its only spelling, except for zero, which may be "-0".
    if (v.IsInt64() && v.GetInt64() != 0) {
        return rpc_id::from_int(v.GetInt64());
    }
    if (v.IsUint64() && v.GetUint64() != 0) {
        return rpc_id::from_uint(v.GetUint64());
    }
    if (!scanned_) {
        numerals_ = id_numerals(line_);
        scanned_ = true;
    }
    if (element < numerals_.size() && numerals_[element]) {
        if (auto id = rpc_id::from_numeral(*numerals_[element])) {
            return id;
        }
    }
    // Not reachable for a line that parsed; the double's shortest text is the best left.
    json_builder out;
    out.value(v);
    return rpc_id::from_numeral(out.str()).value_or(rpc_id());
}

}  // namespace mps3::ipc::detail
