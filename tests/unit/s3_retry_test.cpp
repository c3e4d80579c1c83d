#include "s3/retry.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace {

using mps3::errc;
using mps3::s3::retry_policy;
using mps3::s3::detail::backoff_delay;
using mps3::s3::detail::errc_for_status;
using mps3::s3::detail::is_retryable_status;
using std::chrono::milliseconds;

constexpr std::uint64_t max_bits = std::numeric_limits<std::uint64_t>::max();

}  // namespace

TEST_CASE("is_retryable_status: transient failures only") {
    struct row {
        unsigned status;
        const char* code;
        bool retry;
    };
    for (const row r : {
             row{0, "", true},  // no response: network error
             row{500, "InternalError", true},
             row{500, "", true},
             row{502, "", true},
             row{503, "SlowDown", true},
             row{503, "ServiceUnavailable", true},
             row{504, "", true},
             row{429, "", true},
             row{429, "TooManyRequests", true},
             row{400, "RequestTimeout", true},
             row{200, "InternalError", true},  // CopyObject/Complete*: an error inside a 200
             row{501, "NotImplemented", false},
             row{505, "", false},
             row{403, "RequestTimeTooSkewed", false},
             row{503, "RequestTimeTooSkewed", false},
             row{400, "", false},
             row{400, "InvalidArgument", false},
             row{400, "AuthorizationHeaderMalformed", false},
             row{401, "", false},
             row{403, "AccessDenied", false},
             row{403, "SignatureDoesNotMatch", false},
             row{404, "NoSuchKey", false},
             row{404, "NoSuchBucket", false},
             row{409, "OperationAborted", false},
             row{412, "PreconditionFailed", false},
             row{416, "InvalidRange", false},
             row{200, "", false},
             row{304, "", false},
         }) {
        CAPTURE(r.status);
        const std::string code = r.code;  // CAPTURE prints a const char* as a pointer
        CAPTURE(code);
        CHECK(is_retryable_status(r.status, r.code) == r.retry);
    }
}

TEST_CASE("errc_for_status maps HTTP statuses onto mps3::errc") {
    CHECK(errc_for_status(0) == errc::network);
    CHECK(errc_for_status(401) == errc::access_denied);
    CHECK(errc_for_status(403) == errc::access_denied);
    CHECK(errc_for_status(404) == errc::not_found);
    CHECK(errc_for_status(409) == errc::conflict);
    CHECK(errc_for_status(412) == errc::precondition_failed);
    CHECK(errc_for_status(400) == errc::client_error);
    CHECK(errc_for_status(405) == errc::client_error);
    CHECK(errc_for_status(416) == errc::client_error);
    CHECK(errc_for_status(499) == errc::client_error);
    CHECK(errc_for_status(408) == errc::server_error);
    CHECK(errc_for_status(429) == errc::server_error);
    CHECK(errc_for_status(500) == errc::server_error);
    CHECK(errc_for_status(503) == errc::server_error);
    CHECK(errc_for_status(599) == errc::server_error);
    CHECK(errc_for_status(200) == errc::bad_response);
    CHECK(errc_for_status(301) == errc::bad_response);
    CHECK(errc_for_status(600) == errc::bad_response);
}

TEST_CASE("errc_for_status with an S3 code: busy codes are server errors") {
    CHECK(errc_for_status(400, "RequestTimeout") == errc::server_error);
    CHECK(errc_for_status(503, "SlowDown") == errc::server_error);
    CHECK(errc_for_status(200, "InternalError") == errc::server_error);
    CHECK(errc_for_status(400, "InvalidArgument") == errc::client_error);
    CHECK(errc_for_status(403, "RequestTimeTooSkewed") == errc::access_denied);
    CHECK(errc_for_status(404, "NoSuchKey") == errc::not_found);
    CHECK(errc_for_status(0, "") == errc::network);
}

TEST_CASE("backoff_delay: full jitter under an exponential ceiling") {
    const retry_policy policy{.max_attempts = 5,
                              .base_delay = milliseconds{100},
                              .max_delay = milliseconds{5000},
                              .max_elapsed = milliseconds{60000}};
    // random_bits == ceiling lands exactly on the ceiling; max bits stay within it.
    CHECK(backoff_delay(1, policy, 0) == milliseconds{0});
    CHECK(backoff_delay(1, policy, 100) == milliseconds{100});
    CHECK(backoff_delay(1, policy, 101) == milliseconds{0});
    CHECK(backoff_delay(2, policy, 200) == milliseconds{200});
    CHECK(backoff_delay(3, policy, 400) == milliseconds{400});
    CHECK(backoff_delay(6, policy, 3200) == milliseconds{3200});
    CHECK(backoff_delay(7, policy, 5000) == milliseconds{5000});  // 6400 capped at 5000
    CHECK(backoff_delay(7, policy, 5001) == milliseconds{0});
    CHECK(backoff_delay(0, policy, 100) == milliseconds{100});  // 0 is treated as the first

    for (unsigned attempt = 1; attempt <= 200; ++attempt) {
        const milliseconds ceiling =
            attempt <= 20 ? std::min(policy.max_delay,
                                     milliseconds{policy.base_delay.count() << (attempt - 1)})
                          : policy.max_delay;
        for (const std::uint64_t bits :
             {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{12345}, std::uint64_t{0xdeadbeef},
              max_bits, max_bits - 1, max_bits / 3}) {
            CAPTURE(attempt);
            CAPTURE(bits);
            const milliseconds delay = backoff_delay(attempt, policy, bits);
            CHECK(delay >= milliseconds{0});
            CHECK(delay <= ceiling);
        }
    }
}

TEST_CASE("backoff_delay never overflows") {
    retry_policy huge;
    huge.base_delay = milliseconds{std::numeric_limits<milliseconds::rep>::max() / 2};
    huge.max_delay = milliseconds::max();
    for (const unsigned attempt : {1U, 2U, 3U, 63U, 64U, 100U, 1000U, ~0U}) {
        CAPTURE(attempt);
        CHECK(backoff_delay(attempt, huge, max_bits) >= milliseconds{0});
        CHECK(backoff_delay(attempt, huge, max_bits) <= milliseconds::max());
    }
    const retry_policy normal;
    CHECK(backoff_delay(100, normal, max_bits) <= normal.max_delay);
    CHECK(backoff_delay(100, normal, 5000) == milliseconds{5000});
    CHECK(backoff_delay(~0U, normal, 5000) == milliseconds{5000});
}

TEST_CASE("backoff_delay with degenerate policies") {
    retry_policy zero;
    zero.base_delay = milliseconds{0};
    CHECK(backoff_delay(1, zero, max_bits) == milliseconds{0});
    CHECK(backoff_delay(100, zero, max_bits) == milliseconds{0});

    retry_policy negative;
    negative.base_delay = milliseconds{-5};
    negative.max_delay = milliseconds{-1};
    CHECK(backoff_delay(3, negative, max_bits) == milliseconds{0});

    retry_policy inverted;  // base above the cap: the cap wins from the first attempt
    inverted.base_delay = milliseconds{1000};
    inverted.max_delay = milliseconds{10};
    CHECK(backoff_delay(1, inverted, 10) == milliseconds{10});
    CHECK(backoff_delay(1, inverted, max_bits) <= milliseconds{10});
}
