#include <mps3/ipc/client.hpp>

#include <mps3/ipc/excerpt.hpp>
#include <mps3/ipc/json_builder.hpp>

#include "json/document.hpp"
#include "rpc/describe.hpp"
#include "rpc/id_reader.hpp"

#include <utility>

namespace mps3::ipc {
namespace {

using detail::as_view;
using json::type_name;

// Room for the envelope around values as deep as the store accepts (as on the server side).
constexpr std::size_t max_depth = json::default_max_depth + 8;

result<std::string> write_call(const rpc_id* id, std::string_view method,
                               const rapidjson::Value* params) {
    if (params != nullptr && !params->IsObject() && !params->IsArray()) {
        return error(errc::invalid_argument, "JSON-RPC params must be an object or an array, not " +
                                                 std::string(type_name(*params)));
    }
    json_builder out;
    out.begin_object().key("jsonrpc").string("2.0");
    if (id != nullptr) {
        out.key("id").id(*id);
    }
    out.key("method").string(method);
    if (params != nullptr) {
        out.key("params").value(*params);
    }
    out.end_object();
    if (!out.ok()) {
        return error(errc::invalid_argument,
                     "the request for " + quoted_excerpt(method) +
                         " cannot be written: a string in it is not valid UTF-8");
    }
    std::string line = out.str();
    line.push_back('\n');
    return line;
}

error bad(const std::string& why) {
    return {errc::bad_response, "not a JSON-RPC 2.0 response: " + why};
}

rapidjson::Document copy_of(const rapidjson::Value& v) {
    rapidjson::Document doc;
    doc.CopyFrom(v, doc.GetAllocator());
    // The allocator travels with the moved document; the analyzer does not follow RapidJSON's
    // move constructor (as in json/merge_patch.cpp).
    return doc;  // NOLINT(clang-analyzer-cplusplus.NewDeleteLeaks)
}

result<rpc_error> read_error(const rapidjson::Value& v) {
    if (!v.IsObject()) {
        return bad("'error' must be an object, not " + std::string(type_name(v)));
    }
    const auto code = v.FindMember("code");
    if (code == v.MemberEnd() || !code->value.IsInt()) {
        return bad("'error.code' must be an integer");
    }
    const auto message = v.FindMember("message");
    if (message == v.MemberEnd() || !message->value.IsString()) {
        return bad("'error.message' must be a string");
    }
    rpc_error out(code->value.GetInt(), std::string(as_view(message->value)));
    if (const auto data = v.FindMember("data"); data != v.MemberEnd()) {
        auto text = json::serialize(data->value);
        if (!text) {
            return std::move(text).err();
        }
        out.data = std::move(*text);
    }
    return out;
}

result<incoming> read_incoming(const rapidjson::Value& v, std::size_t element,
                               detail::id_reader& ids) {
    if (!v.IsObject()) {
        return bad("a message must be an object, not " + std::string(type_name(v)));
    }
    const auto member = [&](const char* name) -> const rapidjson::Value* {
        const auto it = v.FindMember(name);
        return it == v.MemberEnd() ? nullptr : &it->value;
    };
    const auto* jsonrpc = member("jsonrpc");
    if (jsonrpc == nullptr || !jsonrpc->IsString() || as_view(*jsonrpc) != "2.0") {
        return bad("'jsonrpc' must be \"2.0\"");
    }
    const auto* id = member("id");
    if (const auto* method = member("method"); method != nullptr) {
        if (id != nullptr) {
            return bad("the server sent a request; it only sends responses and notifications");
        }
        if (!method->IsString()) {
            return bad("'method' must be a string");
        }
        rpc_notification n;
        n.method = std::string(as_view(*method));
        if (const auto* params = member("params"); params != nullptr) {
            if (!params->IsObject() && !params->IsArray()) {
                return bad("'params' must be an object or an array");
            }
            n.params = copy_of(*params);
        }
        return incoming(std::move(n));
    }
    if (id == nullptr) {
        return bad("a response needs an 'id'");
    }
    auto read = ids.read(*id, element);
    if (!read) {
        return bad("'id' must be a string, a number or null");
    }
    const auto* result_value = member("result");
    const auto* error_value = member("error");
    if ((result_value == nullptr) == (error_value == nullptr)) {
        return bad("a response has exactly one of 'result' and 'error'");
    }
    rpc_response r;
    r.id = std::move(*read);
    if (error_value != nullptr) {
        auto e = read_error(*error_value);
        if (!e) {
            return std::move(e).err();
        }
        r.error = std::move(*e);
    } else {
        r.result = copy_of(*result_value);
    }
    return incoming(std::move(r));
}

}  // namespace

result<std::string> make_request_line(const rpc_id& id, std::string_view method,
                                      const rapidjson::Value* params) {
    return write_call(&id, method, params);
}

result<std::string> make_notification_line(std::string_view method,
                                           const rapidjson::Value* params) {
    return write_call(nullptr, method, params);
}

result<std::vector<incoming>> parse_incoming_line(std::string_view line) {
    auto parsed = json::parse(line, max_depth);
    if (!parsed) {
        return error(errc::bad_response, "the server sent invalid JSON: " + parsed.err().message);
    }
    const rapidjson::Document& doc = *parsed;
    detail::id_reader ids(line);
    std::vector<incoming> out;
    if (!doc.IsArray()) {
        auto one = read_incoming(doc, 0, ids);
        if (!one) {
            return std::move(one).err();
        }
        out.push_back(std::move(*one));
        return out;
    }
    if (doc.Empty()) {
        return bad("an empty batch");
    }
    out.reserve(doc.Size());
    std::size_t element = 0;
    for (const auto& v : doc.GetArray()) {
        auto one = read_incoming(v, element++, ids);
        if (!one) {
            return std::move(one).err();
        }
        out.push_back(std::move(*one));
    }
    return out;
}

result<client_codec::outgoing> client_codec::request(std::string_view method,
                                                     const rapidjson::Value* params) {
    rpc_id id = rpc_id::from_int(next_id_);
    auto line = make_request_line(id, method, params);
    if (!line) {
        return std::move(line).err();
    }
    ++next_id_;
    pending_.insert_or_assign(id, std::string(method));
    return outgoing{std::move(id), std::move(*line)};
}

result<client_codec::outgoing> client_codec::request(std::string_view method,
                                                     std::string_view params_json) {
    auto params = json::parse(params_json);
    if (!params) {
        return error(errc::invalid_argument, "params: " + params.err().message);
    }
    return request(method, &params.value());
}

result<std::vector<incoming>> client_codec::receive(std::string_view line) {
    auto in = parse_incoming_line(line);
    if (!in) {
        return in;
    }
    for (auto& item : *in) {
        auto* response = std::get_if<rpc_response>(&item);
        if (response == nullptr) {
            continue;
        }
        if (const auto it = pending_.find(response->id); it != pending_.end()) {
            response->method = std::move(it->second);
            pending_.erase(it);
        }
    }
    return in;
}

result<rapidjson::Document> parse_json_value(std::string_view text) {
    return json::parse(text);
}

bool is_valid_utf8(std::string_view text) {
    return json::is_valid_utf8(text);
}

}  // namespace mps3::ipc
