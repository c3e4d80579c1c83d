#include <mps3/ipc/error_codes.hpp>

#include <mps3/ipc/json_builder.hpp>

namespace mps3::ipc {

std::string_view standard_message(int code) {
    switch (static_cast<rpc_code>(code)) {
        case rpc_code::parse_error:
            return "Parse error";
        case rpc_code::invalid_request:
            return "Invalid Request";
        case rpc_code::method_not_found:
            return "Method not found";
        case rpc_code::invalid_params:
            return "Invalid params";
        case rpc_code::internal_error:
            return "Internal error";
        case rpc_code::unknown_store:
            return "Unknown store";
        case rpc_code::invalid_key:
            return "Invalid key";
        case rpc_code::value_too_large:
            return "Value too large";
        case rpc_code::timeout:
            return "Timeout";
        case rpc_code::offline:
            return "Offline";
        case rpc_code::storage_error:
            return "Storage error";
        case rpc_code::not_found:
            return "Not found";
        case rpc_code::forbidden:
            return "Forbidden";
        case rpc_code::limit_exceeded:
            return "Limit exceeded";
    }
    return "Server error";
}

rpc_code code_for(std::error_code ec) {
    if (ec.category() != mps3_category()) {
        return rpc_code::internal_error;
    }
    switch (static_cast<errc>(ec.value())) {
        // The only arguments the engine validates itself are keys (the daemon checks parameter
        // shapes, value sizes and store names before calling it).
        case errc::invalid_argument:
            return rpc_code::invalid_key;
        case errc::timeout:
            return rpc_code::timeout;
        // The bucket could not be reached, or a request to it was cancelled because the store
        // went offline (or is closing): either way the store cannot get there now.
        case errc::network:
        case errc::tls:
        case errc::cancelled:
            return rpc_code::offline;
        case errc::not_found:
            return rpc_code::not_found;
        // The replica or the bucket said no; retrying the same request will not help by itself.
        case errc::storage:
        case errc::bad_response:
        case errc::access_denied:
        case errc::precondition_failed:
        case errc::conflict:
        case errc::client_error:
        case errc::server_error:
        case errc::no_credentials:
        case errc::too_large:
            return rpc_code::storage_error;
        case errc::ok:
            break;  // not an error: reporting it would be a bug in the caller
    }
    return rpc_code::internal_error;
}

rpc_error to_rpc_error(const mps3::error& e) {
    std::string message = e.message.empty() ? e.code.message() : e.message;
    const bool diagnostics = e.http_status != 0 || !e.s3_code.empty() || !e.request_id.empty();
    if (!diagnostics) {
        return {code_for(e.code), std::move(message)};
    }
    json_builder data;
    data.begin_object();
    if (e.http_status != 0) {
        data.key("httpStatus").uinteger(e.http_status);
    }
    if (!e.s3_code.empty()) {
        data.key("s3Code").string(e.s3_code);
    }
    if (!e.request_id.empty()) {
        data.key("requestId").string(e.request_id);
    }
    if (e.attempts != 0) {
        data.key("attempts").uinteger(e.attempts);
    }
    data.end_object();
    if (!data.ok()) {
        // A server sent bytes that are not UTF-8 in its error: keep the error, drop the details.
        return {code_for(e.code), std::move(message)};
    }
    return {code_for(e.code), std::move(message), data.str()};
}

}  // namespace mps3::ipc
