#include "json/document.hpp"

#include "json/numeral.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/prettywriter.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace mps3::json {
namespace {

// The iterative parser keeps the parse itself off the call stack; this handler bounds the depth
// of the resulting value so that later recursive walks over it are bounded too. Its member names
// are RapidJSON's SAX handler interface.
// NOLINTBEGIN(readability-identifier-naming)
class depth_limiter {
  public:
    depth_limiter(rapidjson::Document& doc, std::size_t max_depth) : doc_(doc), max_(max_depth) {}

    bool Null() { return doc_.Null(); }
    bool Bool(bool b) { return doc_.Bool(b); }
    bool Int(int i) { return doc_.Int(i); }
    bool Uint(unsigned u) { return doc_.Uint(u); }
    bool Int64(std::int64_t i) { return doc_.Int64(i); }
    bool Uint64(std::uint64_t u) { return doc_.Uint64(u); }
    bool Double(double d) { return doc_.Double(d); }
    // Numbers arrive as their text (kParseNumbersAsStringsFlag), read by json/numeral.hpp.
    bool RawNumber(const char* s, rapidjson::SizeType n, bool /*copy*/) {
        const auto number = read_numeral(std::string_view(s, n));
        if (!number) {
            too_big_ = true;
            return false;
        }
        return std::visit([this](auto v) { return add(v); }, *number);
    }
    // RapidJSON 1.1.0 decodes a lone low surrogate escape ("\ude00") into bytes that are not
    // UTF-8, which no serializer would write back: the decoded text is checked too.
    bool String(const char* s, rapidjson::SizeType n, bool copy) {
        return utf8(s, n) && doc_.String(s, n, copy);
    }
    bool Key(const char* s, rapidjson::SizeType n, bool copy) {
        return utf8(s, n) && doc_.Key(s, n, copy);
    }
    bool StartObject() { return enter() && doc_.StartObject(); }
    bool EndObject(rapidjson::SizeType n) {
        --depth_;
        return doc_.EndObject(n);
    }
    bool StartArray() { return enter() && doc_.StartArray(); }
    bool EndArray(rapidjson::SizeType n) {
        --depth_;
        return doc_.EndArray(n);
    }

    [[nodiscard]] bool too_deep() const { return too_deep_; }
    [[nodiscard]] bool too_big() const { return too_big_; }

    [[nodiscard]] bool bad_utf8() const { return bad_utf8_; }

  private:
    bool utf8(const char* s, rapidjson::SizeType n) {
        bad_utf8_ = !is_valid_utf8(std::string_view(s, n));
        return !bad_utf8_;
    }
    bool add(std::int64_t i) { return doc_.Int64(i); }
    bool add(std::uint64_t u) { return doc_.Uint64(u); }
    bool add(double d) { return doc_.Double(d); }

    bool enter() {
        if (++depth_ > max_) {
            too_deep_ = true;
            return false;
        }
        return true;
    }

    rapidjson::Document& doc_;
    std::size_t max_;
    std::size_t depth_ = 0;
    bool too_deep_ = false;
    bool too_big_ = false;
    bool bad_utf8_ = false;
};
// NOLINTEND(readability-identifier-naming)

// No kParseValidateEncodingFlag: the handler checks every decoded string and key (it must, for
// the lone surrogate escapes RapidJSON lets through), and bytes outside strings that are not
// ASCII are a syntax error anyway, so the reader's own pass over each string only cost time
// (3.7 % of a get's daemon CPU; docs/benchmarks.md, "Read cache").
constexpr unsigned parse_flags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseNumbersAsStringsFlag;

using compact_writer =
    rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>,
                      rapidjson::CrtAllocator, rapidjson::kWriteValidateEncodingFlag>;
// RapidJSON 1.1's PrettyWriter does not compile with write flags, so pretty output is validated
// by a compact pass first.
using pretty_writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

result<std::string> finish(bool ok, const rapidjson::StringBuffer& buffer) {
    if (!ok) {
        return error(
            errc::invalid_argument,
            "JSON value not writable: a string is not valid UTF-8 or a number is not finite");
    }
    return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = 0;
        unsigned char lo = 0x80;
        unsigned char hi = 0xbf;
        if (c < 0x80) {
            ++i;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            lo = c == 0xe0 ? 0xa0 : 0x80;
            hi = c == 0xed ? 0x9f : 0xbf;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            lo = c == 0xf0 ? 0x90 : 0x80;
            hi = c == 0xf4 ? 0x8f : 0xbf;
        } else {
            return false;
        }
        if (s.size() - i <= n) {
            return false;  // truncated sequence
        }
        for (std::size_t k = 1; k <= n; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            const auto min = k == 1 ? lo : static_cast<unsigned char>(0x80);
            const auto max = k == 1 ? hi : static_cast<unsigned char>(0xbf);
            if (cc < min || cc > max) {
                return false;
            }
        }
        i += n + 1;
    }
    return true;
}

result<rapidjson::Document> parse(std::string_view text, std::size_t max_depth) {
    rapidjson::Document doc;
    if (auto parsed = parse_into(doc, text, max_depth); !parsed) {
        return std::move(parsed).err();
    }
    return doc;
}

status parse_into(rapidjson::Document& doc, std::string_view text, std::size_t max_depth) {
    // RapidJSON treats NUL as end of input: "1\0garbage" would parse as 1. JSON text never holds
    // a raw NUL (not even inside strings), so refuse it outright.
    if (text.find('\0') != std::string_view::npos) {
        return error(errc::invalid_argument, "JSON text contains a NUL byte");
    }
    rapidjson::MemoryStream stream(text.data(), text.size());
    rapidjson::Reader reader;
    depth_limiter handler(doc, max_depth);
    auto generator = [&](rapidjson::Document&) {
        return !reader.Parse<parse_flags>(stream, handler).IsError();
    };
    doc.Populate(generator);
    if (reader.HasParseError()) {
        if (handler.bad_utf8()) {
            return error(errc::invalid_argument, "invalid JSON at offset " +
                                                     std::to_string(reader.GetErrorOffset()) +
                                                     ": a string that is not valid UTF-8 "
                                                     "(or a \\u escape of a lone surrogate)");
        }
        if (handler.too_big()) {
            return error(errc::invalid_argument, "invalid JSON at offset " +
                                                     std::to_string(reader.GetErrorOffset()) +
                                                     ": a number beyond the largest double");
        }
        if (handler.too_deep()) {
            return error(errc::invalid_argument,
                         "JSON nested deeper than " + std::to_string(max_depth) + " levels");
        }
        return error(errc::invalid_argument,
                     std::string("invalid JSON at offset ") +
                         std::to_string(reader.GetErrorOffset()) + ": " +
                         rapidjson::GetParseError_En(reader.GetParseErrorCode()));
    }
    return success{};
}

result<std::string> serialize(const rapidjson::Value& value) {
    rapidjson::StringBuffer buffer;
    compact_writer writer(buffer);
    return finish(value.Accept(writer), buffer);
}

result<std::string> serialize_pretty(const rapidjson::Value& value) {
    if (auto valid = serialize(value); !valid) {
        return std::move(valid).err();
    }
    rapidjson::StringBuffer buffer;
    pretty_writer writer(buffer);
    writer.SetIndent(' ', 2);
    return finish(value.Accept(writer), buffer);
}

std::string_view type_name(const rapidjson::Value& v) {
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

}  // namespace mps3::json
