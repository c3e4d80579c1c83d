#include <mps3/error.hpp>
#include <mps3/log.hpp>

#include <string>

namespace mps3 {
namespace {

class category final : public std::error_category {
  public:
    [[nodiscard]] const char* name() const noexcept override { return "mps3"; }
    [[nodiscard]] std::string message(int value) const override {
        switch (static_cast<errc>(value)) {
            case errc::ok:
                return "success";
            case errc::invalid_argument:
                return "invalid argument";
            case errc::network:
                return "network error";
            case errc::timeout:
                return "timed out";
            case errc::tls:
                return "TLS error";
            case errc::bad_response:
                return "bad response from server";
            case errc::access_denied:
                return "access denied";
            case errc::not_found:
                return "not found";
            case errc::precondition_failed:
                return "precondition failed";
            case errc::conflict:
                return "conflict";
            case errc::client_error:
                return "request rejected by server";
            case errc::server_error:
                return "server error";
            case errc::cancelled:
                return "cancelled";
            case errc::no_credentials:
                return "no credentials";
            case errc::storage:
                return "local storage error";
            case errc::too_large:
                return "object too large";
        }
        return "unknown mps3 error";
    }
};

}  // namespace

const std::error_category& mps3_category() noexcept {
    static const category instance;
    return instance;
}

std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), mps3_category()};
}

std::string error::describe() const {
    std::string out = code ? code.message() : std::string("error");
    if (http_status != 0) {
        out += ": HTTP " + std::to_string(http_status);
    }
    if (!s3_code.empty()) {
        out += (http_status != 0 ? " " : ": ") + s3_code;
    }
    if (!message.empty()) {
        out += ": " + message;
    }
    if (!request_id.empty()) {
        out += " (request id " + request_id + ")";
    }
    if (attempts > 1) {
        out += " after " + std::to_string(attempts) + " attempts";
    }
    return out;
}

std::string_view to_string(log_level level) noexcept {
    switch (level) {
        case log_level::trace:
            return "trace";
        case log_level::debug:
            return "debug";
        case log_level::info:
            return "info";
        case log_level::warn:
            return "warn";
        case log_level::error:
            return "error";
        case log_level::off:
            return "off";
    }
    return "unknown";
}

}  // namespace mps3
