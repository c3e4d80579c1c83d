#include "protocol/clock.hpp"

#include <algorithm>

namespace mps3::protocol {
namespace {

constexpr milliseconds date_resolution{1000};

// The offset interval one sample proves, widened by slack.
offset_bounds sample_bounds(const clock_sample& s, milliseconds slack) {
    return {s.server_date - s.local_received - slack,
            s.server_date + date_resolution - s.local_sent + slack};
}

// age * ppm / 1e6, rounded up.
milliseconds drift_allowance(milliseconds age, unsigned ppm) {
    const auto scaled = age.count() * static_cast<std::int64_t>(ppm);
    return milliseconds((scaled + 999999) / 1000000);
}

}  // namespace

clock_estimator::clock_estimator(clock_options options) : options_(options) {
    options_.max_samples = std::max<std::size_t>(options_.max_samples, 1);
}

sample_outcome clock_estimator::add(const clock_sample& sample) {
    if (sample.local_received < sample.local_sent) {
        return sample_outcome::rejected;
    }
    samples_.push_back(sample);
    const auto newest = sample.local_received;
    // Bounded window. Age is measured on the local clock; after a backward local step older
    // samples look "younger" than they are, but the jump check below drops them anyway.
    while (samples_.size() > options_.max_samples ||
           newest - samples_.front().local_received > options_.max_sample_age) {
        samples_.pop_front();
    }
    const auto before = samples_.size();
    recompute();
    return samples_.size() < before ? sample_outcome::jumped : sample_outcome::accepted;
}

void clock_estimator::recompute() {
    // Intersect from the newest sample backwards. An empty intersection means a jump somewhere
    // between the contradicting sample and the newest one; where exactly cannot be known (a
    // sample from before the jump may still overlap the new truth's neighbourhood without
    // holding it), so only the newest sample is kept: sound, at the price of starting over.
    const auto newest = samples_.back().local_received;
    offset_bounds acc = sample_bounds(samples_.back(), options_.slack);
    for (std::size_t i = samples_.size() - 1; i-- > 0;) {
        auto b = sample_bounds(samples_[i], options_.slack);
        const auto age = std::max(milliseconds(0), newest - samples_[i].local_received);
        const auto drift = drift_allowance(age, options_.drift_ppm);
        b.low -= drift;
        b.high += drift;
        const offset_bounds next{std::max(acc.low, b.low), std::min(acc.high, b.high)};
        if (next.low > next.high) {
            samples_.erase(samples_.begin(), samples_.end() - 1);
            acc = sample_bounds(samples_.back(), options_.slack);
            break;
        }
        acc = next;
    }
    bounds_ = acc;
}

milliseconds clock_estimator::offset() const {
    return bounds_ ? bounds_->estimate() : milliseconds(0);
}

void clock_estimator::clear() {
    samples_.clear();
    bounds_.reset();
}

timestamp stamp_entry(timestamp server_now, std::optional<timestamp> newest_seen) {
    if (newest_seen && *newest_seen + milliseconds(1) > server_now) {
        return *newest_seen + milliseconds(1);
    }
    return server_now;
}

time_range last_modified_range(const clock_sample& put) {
    // Date's stamp is in [D, D + 1 s); the request was handled within one round trip before it
    // (- 1 ms for the local clock's truncation to milliseconds); a listing may truncate
    // LastModified to the second.
    const auto rtt = std::max(milliseconds(0), put.local_received - put.local_sent);
    const timestamp earliest =
        std::chrono::floor<std::chrono::seconds>(put.server_date - rtt - milliseconds(1));
    return {earliest, put.server_date + date_resolution - milliseconds(1)};
}

time_range predict_last_modified(timestamp local_now, milliseconds max_duration,
                                 offset_bounds bounds) {
    // Truncation to the second taken as its worst case (not floored) so that the range moves
    // linearly with local_now, which delay_until_valid relies on.
    return {local_now + bounds.low - (date_resolution - milliseconds(1)),
            local_now + std::max(milliseconds(0), max_duration) + bounds.high};
}

time_verdict check_entry_time(timestamp t, time_range lm) {
    const auto limit = validity_window;
    // |t - x| is convex in x: it is below the limit on the whole range iff at both ends.
    const auto dist = [&](timestamp x) { return t > x ? t - x : x - t; };
    if (dist(lm.earliest) < limit && dist(lm.latest) < limit) {
        return time_verdict::valid;
    }
    if (t - lm.latest >= limit || lm.earliest - t >= limit) {
        return time_verdict::invalid;
    }
    return time_verdict::uncertain;
}

std::optional<milliseconds> delay_until_valid(timestamp t, time_range lm) {
    // After waiting w the range is [earliest + w, latest + w]. Valid iff
    //   t - (earliest + w) < limit   <=>  w >= t - earliest - limit + 1
    //   (latest + w) - t   < limit   <=>  w <= t - latest + limit - 1
    // (the other two inequalities follow from earliest <= latest and these).
    const auto one = milliseconds(1);
    const auto need = std::max(milliseconds(0), t - lm.earliest - validity_window + one);
    const auto allowed = t - lm.latest + validity_window - one;
    if (need > allowed) {
        return std::nullopt;
    }
    return need;
}

}  // namespace mps3::protocol
