// The sync loop's health (engine/sync_health.hpp): which failures wait for someone to act, how
// long the loop waits after them, and that the log hears of a failure once per change of the
// error (plus a reminder), not once per try, and of the recovery once.
#include "engine/sync_health.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <limits>
#include <string>

using namespace mps3;
using namespace std::chrono_literals;
using engine::failure_kind;
using engine::sync_health;

namespace {

const sync_health::steady_time t0 = sync_health::steady_time{} + 24h;
const sync_health::wall_time w0 = sync_health::wall_time{} + 24h * 20000;

error s3_error(errc code, unsigned http, std::string s3_code, std::string request_id = "r1") {
    error e(code, "the server's words");
    e.http_status = http;
    e.s3_code = std::move(s3_code);
    e.request_id = std::move(request_id);
    e.attempts = 1;
    return e;
}

error no_such_bucket(std::string request_id = "r1") {
    return s3_error(errc::not_found, 404, "NoSuchBucket", std::move(request_id));
}

error refused() {
    return {errc::network, "connecting 127.0.0.1:9: Connection refused"};
}

constexpr auto max_bits = std::numeric_limits<std::uint64_t>::max();

}  // namespace

TEST_CASE("sync health: errors only the bucket's owner or the operator can fix are persistent") {
    for (const char* code : {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch",
                             "ExpiredToken", "AllAccessDisabled"}) {
        CAPTURE(code);
        CHECK(engine::classify(s3_error(errc::access_denied, 403, code)) ==
              failure_kind::persistent);
    }
    CHECK(engine::classify(s3_error(errc::access_denied, 403, "")) == failure_kind::persistent);
    CHECK(engine::classify(no_such_bucket()) == failure_kind::persistent);
    CHECK(engine::classify(s3_error(errc::client_error, 400, "AuthorizationHeaderMalformed")) ==
          failure_kind::persistent);
    CHECK(engine::classify(s3_error(errc::bad_response, 301, "PermanentRedirect")) ==
          failure_kind::persistent);
    CHECK(engine::classify(error(errc::invalid_argument, "bucket name ...")) ==
          failure_kind::persistent);
    CHECK(engine::classify(error(errc::tls, "handshake 10.0.0.1:443: certificate verify failed")) ==
          failure_kind::persistent);
}

TEST_CASE("sync health: the network, the server's bad moments and races are transient") {
    CHECK(engine::classify(refused()) == failure_kind::transient);
    CHECK(engine::classify(error(errc::timeout, "reading x: deadline exceeded")) ==
          failure_kind::transient);
    CHECK(engine::classify(error(errc::tls, "handshake x: stream truncated")) ==
          failure_kind::transient);
    CHECK(engine::classify(s3_error(errc::server_error, 500, "InternalError")) ==
          failure_kind::transient);
    CHECK(engine::classify(s3_error(errc::server_error, 503, "SlowDown")) ==
          failure_kind::transient);
    CHECK(engine::classify(s3_error(errc::server_error, 502, "")) == failure_kind::transient);
    // The client corrects its signing clock from the server's Date, and tries again.
    CHECK(engine::classify(s3_error(errc::access_denied, 403, "RequestTimeTooSkewed")) ==
          failure_kind::transient);
    // An object gone under a racing writer's garbage collection: the next listing is new.
    CHECK(engine::classify(s3_error(errc::not_found, 404, "NoSuchKey")) == failure_kind::transient);
    CHECK(engine::classify(s3_error(errc::precondition_failed, 412, "PreconditionFailed")) ==
          failure_kind::transient);
    CHECK(engine::classify(s3_error(errc::conflict, 409, "OperationAborted")) ==
          failure_kind::transient);
    CHECK(engine::classify(error(errc::storage, "disk I/O error")) == failure_kind::transient);
}

TEST_CASE("sync health: a persistent failure is logged once, whatever the number of tries") {
    sync_health health({.poll_interval = 1000ms});
    CHECK_FALSE(health.failing());
    CHECK_FALSE(health.on_success(t0).has_value());  // healthy: nothing to say

    const auto first = health.on_failure(no_such_bucket("a"), t0, w0);
    REQUIRE(first.has_value());
    CHECK(first->level == log_level::error);
    CHECK(first->message.find("sync failed (persistent: create the bucket") == 0);
    CHECK(first->message.find("NoSuchBucket") != std::string::npos);
    CHECK(first->message.find("up to 5 min") != std::string::npos);
    for (int i = 1; i < 50; ++i) {
        // Each try has its own request id: still the same error.
        CHECK_FALSE(health.on_failure(no_such_bucket("r" + std::to_string(i)), t0 + i * 1s, w0)
                        .has_value());
    }
    CHECK(health.failing());
    CHECK(health.failures() == 50);
    CHECK(health.kind() == failure_kind::persistent);
    CHECK(health.failing_since() == w0);
    CHECK(health.last_error().find("NoSuchBucket") != std::string::npos);

    const auto recovered = health.on_success(t0 + 75s);
    REQUIRE(recovered.has_value());
    CHECK(recovered->level == log_level::info);
    CHECK(recovered->message.find("sync recovered after 50 failed attempts over 75 s") == 0);
    CHECK(recovered->message.find("NoSuchBucket") != std::string::npos);
    CHECK_FALSE(health.on_success(t0 + 76s).has_value());  // once
    CHECK_FALSE(health.failing());
    CHECK(health.failures() == 0);
    CHECK_FALSE(health.kind().has_value());
    CHECK_FALSE(health.failing_since().has_value());
    CHECK(health.last_error().empty());
}

TEST_CASE("sync health: a different error is logged again, and so is the first one coming back") {
    sync_health health;
    CHECK(health.on_failure(no_such_bucket(), t0, w0).has_value());
    const auto denied =
        health.on_failure(s3_error(errc::access_denied, 403, "AccessDenied"), t0 + 1s, w0);
    REQUIRE(denied.has_value());
    CHECK(denied->message.find("check the credentials") != std::string::npos);
    // A HEAD's 403 has no body, so no S3 code: the same error as far as anyone can tell.
    CHECK_FALSE(health.on_failure(s3_error(errc::access_denied, 403, ""), t0 + 2s, w0).has_value());
    const auto signature =
        health.on_failure(s3_error(errc::access_denied, 403, "SignatureDoesNotMatch"), t0 + 3s, w0);
    REQUIRE(signature.has_value());
    CHECK(signature->message.find("SignatureDoesNotMatch") != std::string::npos);
    CHECK(health.on_failure(no_such_bucket(), t0 + 4s, w0).has_value());
    // The streak goes on across the changes: one failure period, first failure's time.
    CHECK(health.failures() == 5);
    CHECK(health.failing_since() == w0);
}

TEST_CASE("sync health: transient failures are logged once per change too, as warnings") {
    sync_health health;
    const auto down = health.on_failure(refused(), t0, w0);
    REQUIRE(down.has_value());
    CHECK(down->level == log_level::warn);
    CHECK(down->message.find("sync failed (transient, retrying with backoff up to 30 s)") == 0);
    for (int i = 1; i < 20; ++i) {
        CHECK_FALSE(health.on_failure(refused(), t0 + i * 1s, w0).has_value());
    }
    // Below HTTP the message is the cause: a new one is news.
    CHECK(health.on_failure(error(errc::network, "resolving nowhere: Host not found"), t0 + 21s, w0)
              .has_value());
    // The server answering, badly, is a change too.
    CHECK(
        health.on_failure(s3_error(errc::server_error, 503, "SlowDown"), t0 + 22s, w0).has_value());
    CHECK_FALSE(health.on_failure(s3_error(errc::server_error, 503, "SlowDown", "r9"), t0 + 23s, w0)
                    .has_value());
    // From transient to persistent.
    const auto now_persistent = health.on_failure(no_such_bucket(), t0 + 24s, w0);
    REQUIRE(now_persistent.has_value());
    CHECK(now_persistent->level == log_level::error);
}

TEST_CASE("sync health: while the same error lasts, a reminder every reminder_interval") {
    sync_health health({.poll_interval = 1000ms, .reminder_interval = 10min});
    REQUIRE(health.on_failure(no_such_bucket(), t0, w0).has_value());
    CHECK_FALSE(health.on_failure(no_such_bucket(), t0 + 9min, w0).has_value());
    const auto reminder = health.on_failure(no_such_bucket(), t0 + 10min, w0);
    REQUIRE(reminder.has_value());
    CHECK(reminder->level == log_level::error);
    CHECK(reminder->message.find("sync still failing after 3 failed attempts over 10 min: ") == 0);
    CHECK_FALSE(health.on_failure(no_such_bucket(), t0 + 19min, w0).has_value());
    CHECK(health.on_failure(no_such_bucket(), t0 + 20min, w0).has_value());
}

TEST_CASE("sync health: transient backoff as before: poll interval doubled per failure, <= 30 s") {
    sync_health health({.poll_interval = 1000ms});
    CHECK(health.next_delay(0) == 1000ms);
    CHECK(health.next_delay(max_bits) == 1000ms);  // healthy: the poll interval, no jitter
    const std::array<std::chrono::milliseconds, 6> ceilings = {2000ms,  4000ms,  8000ms,
                                                               16000ms, 30000ms, 30000ms};
    for (const auto ceiling : ceilings) {
        health.on_failure(refused(), t0, w0);
        CAPTURE(health.failures());
        CHECK(health.next_delay(0) == 0ms);  // full jitter: clients spread out
        CHECK(health.next_delay(static_cast<std::uint64_t>(ceiling.count())) == ceiling);
        for (const std::uint64_t bits :
             std::array<std::uint64_t, 4>{1, 12345, 987654321, max_bits}) {
            CHECK(health.next_delay(bits) <= ceiling);
        }
    }
    // A short poll interval stops doubling at 2^8, as it always did.
    sync_health quick({.poll_interval = 10ms});
    for (int i = 0; i < 40; ++i) {
        quick.on_failure(refused(), t0, w0);
    }
    CHECK(quick.next_delay(2560) == 2560ms);
    CHECK(quick.next_delay(2561) == 0ms);
    quick.on_success(t0);
    CHECK(quick.next_delay(max_bits) == 10ms);
}

TEST_CASE("sync health: persistent backoff grows to its longer cap and never comes close to 0") {
    sync_health health({.poll_interval = 1000ms, .persistent_cap = 300s});
    std::chrono::milliseconds previous_floor{0};
    for (int i = 1; i <= 12; ++i) {
        health.on_failure(no_such_bucket(), t0, w0);
        CAPTURE(i);
        const auto ceiling = std::min<std::chrono::milliseconds>(300s, 1000ms * (1 << i));
        CHECK(health.next_delay(0) == ceiling / 2);
        for (const std::uint64_t bits : std::array<std::uint64_t, 4>{1, 777, 123456789, max_bits}) {
            const auto d = health.next_delay(bits);
            CHECK(d >= ceiling / 2);
            CHECK(d <= ceiling);
        }
        CHECK(health.next_delay(0) >= previous_floor);
        previous_floor = health.next_delay(0);
    }
    CHECK(health.next_delay(0) == 150s);
    // Thousands of failures later: no overflow, still the cap.
    for (int i = 0; i < 5000; ++i) {
        health.on_failure(no_such_bucket(), t0, w0);
    }
    CHECK(health.next_delay(max_bits) <= 300s);
    CHECK(health.next_delay(0) == 150s);
    // Recovery: back to polling.
    health.on_success(t0);
    CHECK(health.next_delay(max_bits) == 1000ms);
}
