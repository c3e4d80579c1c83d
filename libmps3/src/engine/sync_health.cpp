#include "engine/sync_health.hpp"

#include <algorithm>
#include <array>

namespace mps3::engine {
namespace {

using std::chrono::milliseconds;

// S3 codes that are the server's passing state or a race, whatever their HTTP status.
// RequestTimeTooSkewed (403): the client corrects its signing clock from the server's Date.
constexpr std::array<std::string_view, 6> transient_codes = {
    "SlowDown",           "RequestTimeout",       "InternalError",
    "ServiceUnavailable", "RequestTimeTooSkewed", "OperationAborted"};

bool is(const error& e, errc c) {
    return e.code == make_error_code(c);
}

// What the operator can do about a persistent failure, in a few words.
std::string_view hint(const error& e) {
    if (e.s3_code == "NoSuchBucket") {
        return "create the bucket, or fix the store's bucket or endpoint";
    }
    if (e.s3_code == "PermanentRedirect" || e.s3_code == "AuthorizationHeaderMalformed" ||
        (e.http_status >= 300 && e.http_status <= 399)) {
        return "check the store's region and endpoint";
    }
    if (is(e, errc::access_denied) || is(e, errc::no_credentials)) {
        return "check the credentials and the bucket's permissions";
    }
    if (is(e, errc::tls)) {
        return "check the server's certificate and the endpoint's host name";
    }
    return "fix the server or the store's configuration";
}

std::string human(milliseconds d) {
    const auto ms = d.count();
    if (ms < 1000) {
        return std::to_string(ms) + " ms";
    }
    if (ms < 120'000) {
        return std::to_string(ms / 1000) + " s";
    }
    if (ms < 7'200'000) {
        return std::to_string(ms / 60'000) + " min";
    }
    return std::to_string(ms / 3'600'000) + " h";
}

std::string attempts(std::uint64_t n) {
    return std::to_string(n) + (n == 1 ? " failed attempt" : " failed attempts");
}

}  // namespace

failure_kind classify(const error& e) {
    if (std::find(transient_codes.begin(), transient_codes.end(), e.s3_code) !=
        transient_codes.end()) {
        return failure_kind::transient;
    }
    if (is(e, errc::access_denied) || is(e, errc::client_error) || is(e, errc::invalid_argument) ||
        is(e, errc::no_credentials)) {
        return failure_kind::persistent;
    }
    if (is(e, errc::not_found)) {
        // Any other 404 is an object gone under a racing writer: the next listing is new.
        return e.s3_code == "NoSuchBucket" ? failure_kind::persistent : failure_kind::transient;
    }
    if (is(e, errc::bad_response) && e.http_status >= 300 && e.http_status <= 399) {
        return failure_kind::persistent;  // PermanentRedirect: another region or endpoint
    }
    if (is(e, errc::tls)) {
        // A certificate or a protocol refused; a connection cut during the handshake is not.
        return e.message.find("stream truncated") != std::string::npos ? failure_kind::transient
                                                                       : failure_kind::persistent;
    }
    return failure_kind::transient;  // network, timeout, 5xx, races, the local disk
}

std::string_view to_string(failure_kind kind) {
    return kind == failure_kind::persistent ? "persistent" : "transient";
}

bool same_error(const error& a, const error& b) {
    if (a.code != b.code || a.http_status != b.http_status || classify(a) != classify(b)) {
        return false;
    }
    if (a.s3_code != b.s3_code && !a.s3_code.empty() && !b.s3_code.empty()) {
        return false;
    }
    // Below HTTP the message is the cause ("Connection refused", a certificate error); above it,
    // the server's wording, which may name the object.
    return a.http_status != 0 || a.message == b.message;
}

sync_health::sync_health(health_policy policy) : policy_(policy) {}

std::optional<failure_kind> sync_health::kind() const {
    if (!last_) {
        return std::nullopt;
    }
    return classify(*last_);
}

milliseconds sync_health::cap() const {
    return kind() == failure_kind::persistent ? policy_.persistent_cap : policy_.transient_cap;
}

std::optional<health_note> sync_health::on_success(steady_time now) {
    if (failures_ == 0) {
        return std::nullopt;
    }
    health_note note{
        .level = log_level::info,
        .message = "sync recovered after " + attempts(failures_) + " over " +
                   human(std::chrono::duration_cast<milliseconds>(now - failing_from_)) +
                   " (last error: " + last_text_ + ")"};
    failures_ = 0;
    last_.reset();
    logged_.reset();
    last_text_.clear();
    failing_since_.reset();
    return note;
}

std::optional<health_note> sync_health::on_failure(const error& failure, steady_time now,
                                                   wall_time wall) {
    if (failures_ == 0) {
        failing_from_ = now;
        failing_since_ = wall;
    }
    ++failures_;
    last_ = failure;
    last_text_ = failure.describe();
    const auto kind = classify(failure);
    const auto level = kind == failure_kind::persistent ? log_level::error : log_level::warn;
    if (logged_ && same_error(*logged_, failure)) {
        if (now - logged_at_ < policy_.reminder_interval) {
            return std::nullopt;
        }
        logged_at_ = now;
        return health_note{
            .level = level,
            .message = "sync still failing after " + attempts(failures_) + " over " +
                       human(std::chrono::duration_cast<milliseconds>(now - failing_from_)) + ": " +
                       last_text_};
    }
    logged_ = failure;
    logged_at_ = now;
    std::string why = kind == failure_kind::persistent
                          ? "persistent: " + std::string(hint(failure)) + "; retrying"
                          : std::string("transient, retrying");
    return health_note{.level = level,
                       .message = "sync failed (" + why + " with backoff up to " + human(cap()) +
                                  "): " + last_text_};
}

milliseconds sync_health::next_delay(std::uint64_t random_bits) const {
    if (failures_ == 0) {
        return policy_.poll_interval;
    }
    const auto limit = std::max<milliseconds::rep>(cap().count(), 0);
    const bool persistent = kind() == failure_kind::persistent;
    // The poll interval doubled per failure, up to the cap. Transient failures stop doubling at
    // 2^8 as they always did; persistent ones go on to the (longer) cap.
    const std::uint64_t doublings = std::min<std::uint64_t>(failures_, persistent ? 32 : 8);
    milliseconds::rep ceiling = std::max<milliseconds::rep>(policy_.poll_interval.count(), 1);
    for (std::uint64_t i = 0; i < doublings && ceiling < limit; ++i) {
        ceiling *= 2;
    }
    ceiling = std::min(ceiling, limit);
    const auto span = static_cast<std::uint64_t>(ceiling);
    if (persistent) {
        const auto floor = span / 2;
        return milliseconds(
            static_cast<milliseconds::rep>(floor + random_bits % (span - floor + 1)));
    }
    return milliseconds(static_cast<milliseconds::rep>(random_bits % (span + 1)));
}

}  // namespace mps3::engine
