// How a store's sync loop is doing, sans-io: what a failed round means, when to try again, and
// what to log. A failure is transient (the network or the server comes back by itself: 5xx,
// timeouts, a refused connection) or persistent (only the bucket's owner or the operator can fix
// it: AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch, NoSuchBucket, other 4xx). Both
// back off exponentially; persistent failures up to a longer cap and never close to zero, since
// retrying sooner cannot help. The log hears of a failure once per change of the error (and a
// reminder while it lasts), and of the recovery once: not once per try, which at a 1 s poll
// interval buried everything else.
#pragma once

#include <mps3/error.hpp>
#include <mps3/log.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mps3::engine {

enum class failure_kind {
    transient,   // retrying can succeed without anyone acting
    persistent,  // the bucket's owner or the operator must act first
};

[[nodiscard]] failure_kind classify(const error& e);
[[nodiscard]] std::string_view to_string(failure_kind kind);

/// Two failures are "the same error" for the log: same code, HTTP status and S3 code (an answer
/// without a body, such as a HEAD's, matches any S3 code of its status), and for failures below
/// HTTP (connect, TLS, deadline) the same message, and the same kind. Request ids and attempt
/// counts never count.
[[nodiscard]] bool same_error(const error& a, const error& b);

struct health_policy {
    std::chrono::milliseconds poll_interval{1000};
    std::chrono::milliseconds transient_cap{30'000};       // as before this piece existed
    std::chrono::milliseconds persistent_cap{300'000};     // 5 min: a fix is minutes away anyway
    std::chrono::milliseconds reminder_interval{600'000};  // "still failing", while it lasts
};

/// A record for the store's log.
struct health_note {
    log_level level = log_level::info;
    std::string message;
};

class sync_health {
  public:
    using steady_time = std::chrono::steady_clock::time_point;
    using wall_time = std::chrono::system_clock::time_point;

    explicit sync_health(health_policy policy = {});

    /// A round succeeded. A note ("sync recovered ...") only when failures came before it.
    std::optional<health_note> on_success(steady_time now);
    /// A round failed (a cancellation is no failure: do not report it). A note when the error
    /// differs from the one last logged, or when the reminder is due.
    std::optional<health_note> on_failure(const error& failure, steady_time now, wall_time wall);

    /// The wait before the next round: the poll interval when healthy; after n failures in a
    /// row the poll interval times 2^n, capped per kind, jittered with random_bits (transient:
    /// anywhere from 0, so that many clients spread out; persistent: from half of it).
    [[nodiscard]] std::chrono::milliseconds next_delay(std::uint64_t random_bits) const;

    [[nodiscard]] bool failing() const { return failures_ > 0; }
    [[nodiscard]] std::uint64_t failures() const { return failures_; }
    [[nodiscard]] std::optional<failure_kind> kind() const;
    /// describe() of the last failure; "" once a round succeeds.
    [[nodiscard]] const std::string& last_error() const { return last_text_; }
    [[nodiscard]] std::optional<wall_time> failing_since() const { return failing_since_; }
    [[nodiscard]] const health_policy& policy() const { return policy_; }

  private:
    [[nodiscard]] std::chrono::milliseconds cap() const;

    health_policy policy_;
    std::uint64_t failures_ = 0;
    std::optional<error> last_;    // the last failure
    std::optional<error> logged_;  // the failure the log last heard of
    std::string last_text_;
    steady_time logged_at_{};     // when it did (for the reminder)
    steady_time failing_from_{};  // the first failure of this streak
    std::optional<wall_time> failing_since_;
};

}  // namespace mps3::engine
