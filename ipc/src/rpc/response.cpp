#include <mps3/ipc/response.hpp>

#include <mps3/ipc/json_builder.hpp>

#include "json/document.hpp"

#include <utility>

namespace mps3::ipc {
namespace {

void write_error_member(json_builder& out, const rpc_error& error) {
    out.key("error").begin_object().key("code").integer(error.code).key("message");
    // Messages quote engine and S3 text; one that is not UTF-8 would make the whole line
    // unreadable, so the specification's short message stands in for it.
    if (json::is_valid_utf8(error.message)) {
        out.string(error.message);
    } else {
        out.string(std::string(standard_message(error.code)) + " (detail not valid UTF-8)");
    }
    if (error.data) {
        out.key("data").raw(*error.data);
    }
    out.end_object();
}

}  // namespace

std::string result_json(const rpc_id& id, std::string_view result) {
    // The common case, written directly: an id that needs no escaping and a one-line result.
    // One allocation with room for the newline to_line adds (a writer with validation and a
    // copy out of its buffer cost about 5 % of a get's daemon CPU; docs/benchmarks.md).
    if (id.type() != rpc_id::kind::string && !result.empty() &&
        result.find('\n') == std::string_view::npos) {
        constexpr std::string_view head = R"({"jsonrpc":"2.0","id":)";
        constexpr std::string_view middle = R"(,"result":)";
        const std::string_view id_text = id.is_null() ? "null" : std::string_view(id.text());
        std::string out;
        out.reserve(head.size() + id_text.size() + middle.size() + result.size() + 2);
        out.append(head).append(id_text).append(middle).append(result).push_back('}');
        return out;
    }
    json_builder out;
    out.begin_object().key("jsonrpc").string("2.0").key("id").id(id).key("result").raw(result);
    out.end_object();
    if (!out.ok()) {
        return error_json(id, rpc_error(rpc_code::internal_error,
                                        "Internal error: the result could not be written"));
    }
    return out.str();
}

std::string error_json(const rpc_id& id, const rpc_error& error) {
    json_builder out;
    out.begin_object().key("jsonrpc").string("2.0").key("id").id(id);
    write_error_member(out, error);
    out.end_object();
    if (out.ok()) {
        return out.str();
    }
    // Only an id string or data that is not valid JSON text gets here: answer without them.
    json_builder fallback;
    fallback.begin_object().key("jsonrpc").string("2.0").key("id").null();
    write_error_member(fallback, rpc_error(error.code, error.message));
    fallback.end_object();
    return fallback.str();
}

std::string to_line(std::string json) {
    json.push_back('\n');
    return json;
}

std::string batch_line(std::span<const std::string> parts) {
    std::size_t size = 3;
    for (const auto& p : parts) {
        size += p.size() + 1;
    }
    std::string out;
    out.reserve(size);
    out.push_back('[');
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i != 0) {
            out.push_back(',');
        }
        out.append(parts[i]);
    }
    out.append("]\n");
    return out;
}

std::optional<std::string> notification_line(std::string_view method,
                                             std::string_view params_json) {
    json_builder out;
    out.begin_object().key("jsonrpc").string("2.0").key("method").string(method);
    if (!params_json.empty()) {
        out.key("params").raw(params_json);
    }
    out.end_object();
    if (!out.ok()) {
        return std::nullopt;
    }
    return to_line(out.str());
}

std::string oversized_frame_line(std::size_t max_frame) {
    json_builder data;
    data.begin_object().key("maxFrameBytes").uinteger(max_frame).end_object();
    return to_line(
        error_json(rpc_id(), rpc_error(rpc_code::invalid_request,
                                       "Invalid Request: the line is longer than the limit of " +
                                           std::to_string(max_frame) + " bytes",
                                       data.str())));
}

}  // namespace mps3::ipc
