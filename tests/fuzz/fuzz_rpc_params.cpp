// A request's params as any client could send them, read through every typed getter of
// rpc/params.hpp with the names the object holds (and one it does not).
//
// Invariants: each getter agrees with a direct reading of the value (absent, given twice, of the
// type asked for or not, an integer within the bounds or not); the optional getter is the
// required one without the "is required" error; every refusal is -32602 and makes a response
// the client codec reads back with the same code; only() refuses exactly the unknown names.
#include "fuzz_check.hpp"

#include <mps3/ipc/params.hpp>
#include <mps3/ipc/response.hpp>

#include <mps3/ipc/client.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace mps3::ipc;
using mps3::fuzz::as_text;

std::string_view view(const rapidjson::Value& s) {
    return {s.GetString(), s.GetStringLength()};
}

// The error must be -32602 and travel: a response built from it parses back with its code.
void check_refusal(const rpc_error& e) {
    FUZZ_CHECK(e.is(rpc_code::invalid_params));
    const auto parsed = parse_incoming_line(error_json(rpc_id::from_int(7), e));
    FUZZ_CHECK(parsed.has_value() && parsed->size() == 1);
    const auto* response = std::get_if<rpc_response>(&parsed->front());
    FUZZ_CHECK(response != nullptr && !response->ok());
    FUZZ_CHECK(response->error->code == e.code);
}

// required(): the getter's required form; optional(): its optional form, whose value is empty
// (nullopt or nullptr) when absent. `fits` says whether a present value is of the wanted kind.
template <class Required, class Optional, class Empty, class Fits>
void check_getter(const rapidjson::Value* found, bool readable, Required required,
                  Optional optional, Empty is_empty, Fits fits) {
    const auto r = required();
    const auto o = optional();
    if (!readable) {  // not an object, or the name given twice
        FUZZ_CHECK(!r && !o);
        check_refusal(r.err());
        check_refusal(o.err());
        return;
    }
    if (found == nullptr) {
        FUZZ_CHECK(!r && o && is_empty(*o));
        check_refusal(r.err());
        return;
    }
    const bool ok = fits(*found);
    FUZZ_CHECK(static_cast<bool>(r) == ok && static_cast<bool>(o) == ok);
    if (!ok) {
        check_refusal(r.err());
        check_refusal(o.err());
    }
}

void check_name(const params& args, const rapidjson::Value& value, std::string_view name,
                std::int64_t min, std::int64_t max) {
    const rapidjson::Value* found = nullptr;
    std::size_t count = 0;
    if (value.IsObject()) {
        for (const auto& m : value.GetObject()) {
            if (view(m.name) == name) {
                found = &m.value;
                ++count;
            }
        }
    }
    const bool readable = value.IsObject() && count < 2;
    const auto none = [](const auto& o) { return !o.has_value(); };
    const auto null = [](const rapidjson::Value* p) { return p == nullptr; };

    check_getter(
        found, readable, [&] { return args.required_string(name); },
        [&] { return args.optional_string(name); }, none,
        [](const rapidjson::Value& v) { return v.IsString(); });
    if (found != nullptr && found->IsString() && readable) {
        FUZZ_CHECK(*args.required_string(name) == view(*found));
    }
    check_getter(
        found, readable, [&] { return args.required_bool(name); },
        [&] { return args.optional_bool(name); }, none,
        [](const rapidjson::Value& v) { return v.IsBool(); });
    const auto int_fits = [&](const rapidjson::Value& v) {
        return v.IsInt64() && v.GetInt64() >= min && v.GetInt64() <= max;
    };
    check_getter(
        found, readable, [&] { return args.required_int(name, min, max); },
        [&] { return args.optional_int(name, min, max); }, none, int_fits);
    if (found != nullptr && readable && int_fits(*found)) {
        FUZZ_CHECK(*args.required_int(name, min, max) == found->GetInt64());
    }
    check_getter(
        found, readable, [&] { return args.required_object(name); },
        [&] { return args.optional_object(name); }, null,
        [](const rapidjson::Value& v) { return v.IsObject(); });
    check_getter(
        found, readable, [&] { return args.required_array(name); },
        [&] { return args.optional_array(name); }, null,
        [](const rapidjson::Value& v) { return v.IsArray(); });
    check_getter(
        found, readable, [&] { return args.required_value(name); },
        [&] { return args.optional_value(name); }, null,
        [](const rapidjson::Value&) { return true; });
    if (found != nullptr && readable) {
        FUZZ_CHECK(*args.required_value(name) == found);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // The first two bytes pick the integer bounds, from tight to the full 64-bit range.
    if (size < 2) {
        return 0;
    }
    constexpr std::int64_t bounds[] = {
        std::numeric_limits<std::int64_t>::min(), -1000, -1, 0, 1, 1000,
        std::numeric_limits<std::int64_t>::max()};
    constexpr std::size_t n_bounds = sizeof bounds / sizeof bounds[0];
    std::int64_t min = bounds[data[0] % n_bounds];
    std::int64_t max = bounds[data[1] % n_bounds];
    if (min > max) {
        std::swap(min, max);
    }
    auto doc = mps3::json::parse(as_text(data + 2, size - 2));
    if (!doc) {
        return 0;
    }
    const params args(&doc.value());
    FUZZ_CHECK(args.raw() == &doc.value());

    std::vector<std::string> names{"key"};
    if (doc->IsObject()) {
        for (const auto& m : doc->GetObject()) {
            names.emplace_back(view(m.name));
        }
    }
    for (const auto& name : names) {
        check_name(args, *doc, name, min, max);
    }

    // only(): refuses iff some member is not "key" or "value".
    const auto unknown = args.only({"key", "value"});
    bool expect_refusal = !doc->IsObject();
    for (std::size_t i = 1; i < names.size(); ++i) {
        expect_refusal = expect_refusal || (names[i] != "key" && names[i] != "value");
    }
    FUZZ_CHECK(unknown.has_value() == expect_refusal);
    if (unknown) {
        check_refusal(*unknown);
    }
    FUZZ_CHECK(!params(nullptr).only({}));
    return 0;
}
