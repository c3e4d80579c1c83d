// A Prometheus histogram: counts of observations at or below each upper bound, plus their sum
// and count. Bounds are fixed when it is made (Prometheus compares buckets across scrapes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mps3::metrics {

/// Upper bounds, in seconds, for request latencies: 0.5 ms (a loopback answer) to 30 s (the S3
/// client's request timeout).
const std::vector<double>& latency_buckets();

class histogram {
  public:
    /// bounds: finite, strictly increasing (checked: std::invalid_argument otherwise). The +Inf
    /// bucket is implicit.
    explicit histogram(std::vector<double> bounds);

    /// A NaN is ignored (it would poison the sum for good).
    void observe(double value);

    [[nodiscard]] const std::vector<double>& bounds() const { return bounds_; }
    /// Observations <= bounds()[i]; i == bounds().size() is the +Inf bucket (== count()).
    [[nodiscard]] std::uint64_t cumulative_count(std::size_t i) const;
    [[nodiscard]] std::uint64_t count() const { return count_; }
    [[nodiscard]] double sum() const { return sum_; }

  private:
    std::vector<double> bounds_;
    std::vector<std::uint64_t> per_bucket_;  // not cumulative; the last one is above every bound
    std::uint64_t count_ = 0;
    double sum_ = 0;
};

}  // namespace mps3::metrics
