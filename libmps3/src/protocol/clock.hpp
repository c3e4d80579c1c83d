// Server clock estimation and the writer's time rules (BUCKET_FORMAT.md sections 7 and 8).
//
// Why: an entry is valid only if its stamp is within 5 s of the LastModified the server gives
// it, and "newest" is decided by stamps. Writers must stamp with the server's clock, and the
// only readings of it are the Date header and LastModified, both with 1 s resolution.
//
// The model. offset = server time - local time, assumed constant between jumps (slow drift is
// absorbed by widening old samples, see clock_options). A request sent at local time s and answered
// at local time r carries Date D (the server's clock truncated to the second) stamped somewhere in
// between:
//
//     server time at stamping T in [D, D + 1000)      local time at stamping L in [s, r]
//     offset = T - L  in  [D - r, D + 1000 - s]
//
// Each sample thus bounds the offset to an interval of width rtt + 1000 ms; every sample holds
// the true offset, so their intersection does too, and it narrows as samples fall at different
// sub-second phases of the server's clock (the 1 s truncation is beaten by intersecting, the
// way coarse NTP filters work). The estimate is the middle of the intersection and the
// uncertainty its half-width. Unlike MPS3, which only ever moves its offset forward from one
// late response, this corrects in both directions and knows how far it can be trusted.
//
// Jumps (a local clock step, a server clock fix) make a new sample disjoint from the
// intersection: the newest sample is trusted and the older ones are dropped, so the estimate
// follows a jump after one sample (and re-narrows over the next ones). A jump smaller than a second
// only shows once a sample's sub-second phase reveals it; until then the bounds can be off by up to
// the jump, so the verdict on a written entry never relies on them (last_modified_range). The
// window is bounded in count and age.
//
// The writer's use (section 7), all times from the caller:
//   feed every response: estimator.add({sent_at, received_at, Date});
//   after the fresh LIST + resolve: t = stamp_entry(estimator.server_now(local_now), newest_seen)
//   before the entry PUT: delay_until_valid(t, predict_last_modified(local_now, max_put_time,
//       *estimator.bounds())): 0 -> put; > 0 -> wait, then stamp again; nullopt -> sample the
//       clock (or stamp) again. This is how an entry known to be invalid is never emitted.
//   after the PUT: check_entry_time(t, last_modified_range(put_sample)) must be valid; invalid
//       or uncertain -> the entry may be lost for readers: new key, back to the LIST.
#pragma once

#include "protocol/timestamp.hpp"

#include <cstddef>
#include <deque>
#include <optional>

namespace mps3::protocol {

/// One request/response, as the S3 layer reports it (response_meta sent_at, received_at,
/// server_date).
struct clock_sample {
    timestamp local_sent;      // local clock when the request was sent
    timestamp local_received;  // local clock when the response header arrived
    timestamp server_date;     // the Date header: whole seconds, truncated by the server
};

/// The true offset (server - local) lies in [low, high].
struct offset_bounds {
    milliseconds low{0};
    milliseconds high{0};

    [[nodiscard]] milliseconds estimate() const { return low + (high - low) / 2; }
    /// Half-width rounded up: |true offset - estimate()| <= uncertainty().
    [[nodiscard]] milliseconds uncertainty() const { return (high - low + milliseconds(1)) / 2; }
};

struct clock_options {
    std::size_t max_samples = 64;
    milliseconds max_sample_age{std::chrono::minutes(10)};  // on the local clock
    /// Widening of every sample's interval: the local clock's millisecond truncation, servers
    /// of one endpoint that disagree by a few milliseconds.
    milliseconds slack{5};
    /// How fast the two clocks may drift apart, in parts per million: an old sample's interval
    /// is widened by its age times this, so that it cannot contradict newer samples.
    unsigned drift_ppm = 100;
};

enum class sample_outcome {
    accepted,  // consistent with the samples kept
    jumped,    // contradicted older samples, which were dropped
    rejected,  // received before sent: the local clock stepped during the request
};

class clock_estimator {
  public:
    explicit clock_estimator(clock_options options = {});

    sample_outcome add(const clock_sample& sample);

    /// nullopt until the first sample.
    [[nodiscard]] std::optional<offset_bounds> bounds() const { return bounds_; }

    /// The best estimate of server - local; 0 before any sample (trust the local clock).
    [[nodiscard]] milliseconds offset() const;

    /// local_now + offset(): the server's clock as best known. Drift since the newest sample
    /// is not accounted for: at 100 ppm it is 1 ms per 10 s.
    [[nodiscard]] timestamp server_now(timestamp local_now) const { return local_now + offset(); }

    [[nodiscard]] std::size_t sample_count() const { return samples_.size(); }

    void clear();

  private:
    void recompute();

    clock_options options_;
    std::deque<clock_sample> samples_;  // oldest first
    std::optional<offset_bounds> bounds_;
};

/// The writer's stamp (section 7 step 1): t = max(server_now, newest_seen + 1 ms). The + 1 ms
/// keeps a write after an entry its writer has observed, whatever the session strings.
timestamp stamp_entry(timestamp server_now, std::optional<timestamp> newest_seen);

/// An inclusive range of server times.
struct time_range {
    timestamp earliest;
    timestamp latest;
};

/// Where the LastModified that readers will list for an object lies, given the PUT that created
/// it (section 7 step 5: validate against the Date header). LastModified is taken while the
/// server handles the request, so within one round trip before the Date stamp, and no later than
/// that stamp (< Date + 1 s). Listings may truncate it to the second, so the earliest end is
/// floored. Deliberately from this response alone, not narrowed by the estimator: right after a
/// sub-second clock jump the estimator's bounds can be wrong, and this verdict must be sound.
time_range last_modified_range(const clock_sample& put);

/// Where LastModified will lie for a PUT sent at local_now that is answered within
/// max_duration, given the offset bounds. The earliest end allows for truncation to the second.
/// A forecast: it is only as right as the bounds, which is why the response is checked too.
time_range predict_last_modified(timestamp local_now, milliseconds max_duration,
                                 offset_bounds bounds);

enum class time_verdict {
    valid,      // |t - LastModified| < validity_window wherever LastModified lies in the range
    invalid,    // >= validity_window wherever it lies: nobody will read this entry
    uncertain,  // depends on where exactly: a writer must treat it as invalid
};

/// Section 6 step 2 for a stamp t against a range of LastModified.
time_verdict check_entry_time(timestamp t, time_range last_modified);

/// How long to hold back the PUT of an entry stamped t so that it will be valid wherever
/// LastModified falls (0: put now). Waiting helps when t is ahead of the server's clock, as after
/// stamping newest_seen + 1 over a writer whose clock runs fast. nullopt when waiting cannot
/// help: t lags the server (stamp again), or the range is wider than the window (sample the
/// clock again, e.g. with the LIST that comes first anyway).
std::optional<milliseconds> delay_until_valid(timestamp t, time_range predicted_last_modified);

}  // namespace mps3::protocol
