#include "rpc_calls.hpp"

#include <doctest/doctest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace mps3::test {

using ctl::socket_client;

socket_client connect_to(const daemon_process& d) {
    auto c = socket_client::connect(d.socket());
    REQUIRE_MESSAGE(c.has_value(), (c ? "" : c.err().describe()));
    return std::move(*c);
}

rapidjson::Document call(socket_client& c, const std::string& method, const std::string& params,
                         std::chrono::milliseconds timeout) {
    auto r = c.call(method, params, socket_client::clock::now() + timeout);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.err().describe()));
    REQUIRE_MESSAGE(r->ok(), method << " failed: " << r->error->message);
    rapidjson::Document out;
    out.CopyFrom(r->result, out.GetAllocator());
    return out;
}

int error_code(socket_client& c, const std::string& method, const std::string& params,
               std::chrono::milliseconds timeout) {
    auto r = c.call(method, params, socket_client::clock::now() + timeout);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.err().describe()));
    REQUIRE_FALSE(r->ok());
    return r->error->code;
}

rapidjson::Document parse_json(const std::string& text) {
    rapidjson::Document d;
    d.Parse(text.c_str(), text.size());
    REQUIRE_MESSAGE(!d.HasParseError(), "not JSON: " << text.substr(0, 200));
    return d;
}

std::string compact_json(const rapidjson::Value& v) {
    rapidjson::StringBuffer out;
    rapidjson::Writer<rapidjson::StringBuffer> w(out);
    v.Accept(w);
    return {out.GetString(), out.GetSize()};
}

}  // namespace mps3::test
