#include "s3/retry.hpp"

#include <algorithm>
#include <array>

namespace mps3::s3::detail {
namespace {

/// S3 codes that mean "busy or slow, try again", whatever HTTP status they came with.
bool is_transient_code(std::string_view s3_code) {
    static constexpr std::array<std::string_view, 4> codes = {
        "SlowDown", "RequestTimeout", "InternalError", "ServiceUnavailable"};
    return std::find(codes.begin(), codes.end(), s3_code) != codes.end();
}

}  // namespace

bool is_retryable_status(unsigned http_status, std::string_view s3_code) {
    if (s3_code == "RequestTimeTooSkewed") {
        return false;
    }
    if (is_transient_code(s3_code)) {
        return true;
    }
    if (http_status == 0 || http_status == 429) {
        return true;
    }
    return http_status >= 500 && http_status <= 599 && http_status != 501 && http_status != 505;
}

mps3::errc errc_for_status(unsigned http_status) {
    switch (http_status) {
        case 0:
            return errc::network;
        case 401:
        case 403:
            return errc::access_denied;
        case 404:
            return errc::not_found;
        case 409:
            return errc::conflict;
        case 412:
            return errc::precondition_failed;
        case 408:
        case 429:
            return errc::server_error;
        default:
            break;
    }
    if (http_status >= 400 && http_status <= 499) {
        return errc::client_error;
    }
    if (http_status >= 500 && http_status <= 599) {
        return errc::server_error;
    }
    return errc::bad_response;
}

mps3::errc errc_for_status(unsigned http_status, std::string_view s3_code) {
    if (is_transient_code(s3_code)) {
        return errc::server_error;
    }
    return errc_for_status(http_status);
}

std::chrono::milliseconds backoff_delay(unsigned attempt, const retry_policy& policy,
                                        std::uint64_t random_bits) {
    using rep = std::chrono::milliseconds::rep;
    const rep base = std::max<rep>(policy.base_delay.count(), 0);
    const rep cap = std::max<rep>(policy.max_delay.count(), 0);
    const unsigned doublings = attempt > 0 ? attempt - 1 : 0;
    // base * 2^doublings > cap, tested by shifting cap down so nothing can overflow.
    rep ceiling = cap;
    if (base == 0) {
        ceiling = 0;
    } else if (doublings < 62 && base <= (cap >> doublings)) {
        ceiling = base << doublings;
    }
    const auto span = static_cast<std::uint64_t>(ceiling) + 1;
    return std::chrono::milliseconds{static_cast<rep>(random_bits % span)};
}

}  // namespace mps3::s3::detail
