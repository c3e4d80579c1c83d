#include <mps3/s3/request_observer.hpp>

namespace mps3::s3 {

std::string_view to_string(request_kind kind) {
    switch (kind) {
        case request_kind::get:
            return "GET";
        case request_kind::put:
            return "PUT";
        case request_kind::list:
            return "LIST";
        case request_kind::head:
            return "HEAD";
        case request_kind::del:
            return "DELETE";
        case request_kind::other:
            break;
    }
    return "OTHER";
}

std::string_view to_string(request_outcome outcome) {
    switch (outcome) {
        case request_outcome::ok:
            return "ok";
        case request_outcome::redirect:
            return "3xx";
        case request_outcome::client_error:
            return "4xx";
        case request_outcome::server_error:
            return "5xx";
        case request_outcome::network_error:
            return "network_error";
        case request_outcome::timeout:
            return "timeout";
        case request_outcome::cancelled:
            return "cancelled";
    }
    return "network_error";
}

}  // namespace mps3::s3
