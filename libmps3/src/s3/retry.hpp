// Which failed requests deserve another attempt, how long to wait before it, and which mps3::errc
// a final failure carries. Pure functions: the async client owns the loop and the clock.
#pragma once

#include <mps3/error.hpp>
#include <mps3/s3/types.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>

namespace mps3::s3::detail {

/// Which failures are worth another attempt: network errors (http_status 0), 5xx, 429, and the
/// S3 codes SlowDown, RequestTimeout (a 400), InternalError, ServiceUnavailable. Never another 4xx.
/// RequestTimeTooSkewed is not retried: the same clock gives the same answer. 501 and 505 are
/// not retried either: the server does not implement what was asked, now or in a second.
bool is_retryable_status(unsigned http_status, std::string_view s3_code);

/// 0 network, 401/403 access_denied, 404 not_found, 409 conflict, 412 precondition_failed,
/// 408/429 server_error (throttling or slowness that outlived the retries), other 4xx
/// client_error, 5xx server_error, anything else (1xx-3xx where an error was expected, > 599)
/// bad_response.
mps3::errc errc_for_status(unsigned http_status);

/// As above, but an S3 code that means "the server was busy" (SlowDown, RequestTimeout,
/// InternalError, ServiceUnavailable) is a server_error whatever the status says.
mps3::errc errc_for_status(unsigned http_status, std::string_view s3_code);

/// Full-jitter exponential backoff: uniform in [0, min(max_delay, base_delay * 2^(attempt-1))],
/// drawn from random_bits. attempt starts at 1 (0 is treated as 1); never overflows.
std::chrono::milliseconds backoff_delay(unsigned attempt, const retry_policy& policy,
                                        std::uint64_t random_bits);

}  // namespace mps3::s3::detail
