#include "metrics/histogram.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace mps3::metrics {

const std::vector<double>& latency_buckets() {
    static const std::vector<double> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                            0.25,   0.5,   1,      2.5,   5,    10,    30};
    return bounds;
}

histogram::histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), per_bucket_(bounds_.size() + 1, 0) {
    for (std::size_t i = 0; i < bounds_.size(); ++i) {
        if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1])) {
            throw std::invalid_argument("histogram bounds must be finite and strictly increasing");
        }
    }
}

void histogram::observe(double value) {
    if (std::isnan(value)) {
        return;
    }
    // Buckets are "less than or equal": a value on a bound belongs to that bound's bucket.
    const auto at = std::lower_bound(bounds_.begin(), bounds_.end(), value);
    ++per_bucket_[static_cast<std::size_t>(at - bounds_.begin())];
    ++count_;
    sum_ += value;
}

std::uint64_t histogram::cumulative_count(std::size_t i) const {
    std::uint64_t total = 0;
    for (std::size_t b = 0; b <= i && b < per_bucket_.size(); ++b) {
        total += per_bucket_[b];
    }
    return total;
}

}  // namespace mps3::metrics
