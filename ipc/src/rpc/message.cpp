#include <mps3/ipc/message.hpp>

#include "rpc/describe.hpp"
#include "rpc/id_reader.hpp"

#include <rapidjson/allocators.h>

#include <array>
#include <cstddef>
#include <memory>
#include <utility>

namespace mps3::ipc {

// The public header cannot include the JSON layer (a libmps3 internal): it repeats the number.
static_assert(store_value_max_depth == json::default_max_depth,
              "ipc's idea of the store's value depth must follow the JSON layer's");

namespace {

using detail::as_view;
using json::type_name;

// A parsed line and the memory its values live in. A request is a few hundred bytes: its values
// go into the inline buffer, so parsing one costs this one allocation (RapidJSON's default pool
// starts with a 64 KiB chunk, whose malloc and free were a tenth of a get's daemon CPU in the
// profile of docs/benchmarks.md, "Read cache"). A bigger line takes chunks of its size.
struct parsed_line {
    static constexpr std::size_t inline_bytes = 1024;
    static constexpr std::size_t chunk_bytes = 4096;

    parsed_line() = default;
    parsed_line(const parsed_line&) = delete;
    parsed_line& operator=(const parsed_line&) = delete;

    alignas(std::max_align_t) std::array<char, inline_bytes> buffer{};
    rapidjson::MemoryPoolAllocator<> pool{buffer.data(), buffer.size(), chunk_bytes};
    rapidjson::Document doc{&pool};
};

rejected invalid(rpc_id id, const std::string& why) {
    return {std::move(id), rpc_error(rpc_code::invalid_request, "Invalid Request: " + why)};
}

message_item validate(const std::shared_ptr<const parsed_line>& line, const rapidjson::Value& v,
                      std::size_t element, detail::id_reader& ids) {
    if (!v.IsObject()) {
        return invalid(rpc_id(), "a request must be an object, not " + std::string(type_name(v)));
    }
    // The members JSON-RPC defines, each at most once: with two "method"s, which one runs
    // would depend on the parser.
    constexpr std::array<std::string_view, 4> names = {"jsonrpc", "method", "params", "id"};
    std::array<const rapidjson::Value*, 4> found{};
    for (const auto& member : v.GetObject()) {
        for (std::size_t i = 0; i < names.size(); ++i) {
            if (as_view(member.name) != names[i]) {
                continue;
            }
            if (found[i] != nullptr) {
                return invalid(rpc_id(), "member '" + std::string(names[i]) + "' appears twice");
            }
            found[i] = &member.value;
        }
    }
    const auto [jsonrpc, method, params, id_value] = found;

    // The id first: an error about the rest can then carry it, so the client learns which of
    // its requests was refused.
    std::optional<rpc_id> id;
    if (id_value != nullptr) {
        id = ids.read(*id_value, element);
        if (!id) {
            return invalid(rpc_id(), "'id' must be a string, a number or null, not " +
                                         std::string(type_name(*id_value)));
        }
    }
    const rpc_id echo = id.value_or(rpc_id());
    if (jsonrpc == nullptr) {
        return invalid(echo, "'jsonrpc' is missing (it must be \"2.0\")");
    }
    if (!jsonrpc->IsString() || as_view(*jsonrpc) != "2.0") {
        return invalid(echo, "'jsonrpc' must be \"2.0\"");
    }
    if (method == nullptr) {
        return invalid(echo, "'method' is missing");
    }
    if (!method->IsString()) {
        return invalid(echo, "'method' must be a string, not " + std::string(type_name(*method)));
    }
    if (params != nullptr && !params->IsObject() && !params->IsArray()) {
        return invalid(
            echo, "'params' must be an object or an array, not " + std::string(type_name(*params)));
    }
    request r;
    r.method = std::string(as_view(*method));
    r.id = std::move(id);
    if (params != nullptr) {
        // Aliasing: points at the member, keeps the document alive.
        r.params_value = std::shared_ptr<const rapidjson::Value>(line, params);
    }
    return r;
}

message single(rejected r) {
    message out;
    out.items.emplace_back(std::move(r));
    return out;
}

}  // namespace

message parse_message(std::string_view line, const parse_limits& limits) {
    auto holder = std::make_shared<parsed_line>();
    if (auto parsed = json::parse_into(holder->doc, line, limits.max_depth); !parsed) {
        return single(
            {rpc_id(), rpc_error(rpc_code::parse_error, "Parse error: " + parsed.err().message)});
    }
    const std::shared_ptr<const parsed_line> parsed_text = std::move(holder);
    const auto& doc = parsed_text->doc;
    detail::id_reader ids(line);
    if (!doc.IsArray()) {
        message out;
        out.items.push_back(validate(parsed_text, doc, 0, ids));
        return out;
    }
    const auto batch = doc.GetArray();
    if (batch.Empty()) {
        return single(invalid(rpc_id(), "an empty batch"));
    }
    if (batch.Size() > limits.max_batch) {
        return single(invalid(rpc_id(), "a batch of " + std::to_string(batch.Size()) +
                                            " requests; at most " +
                                            std::to_string(limits.max_batch) + " are allowed"));
    }
    message out;
    out.batch = true;
    out.items.reserve(batch.Size());
    std::size_t element = 0;
    for (const auto& v : batch) {
        out.items.push_back(validate(parsed_text, v, element++, ids));
    }
    return out;
}

}  // namespace mps3::ipc
