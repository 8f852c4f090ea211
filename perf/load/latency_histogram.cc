#include "perf/load/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace ferry::perf {

LatencyHistogram::LatencyHistogram() : counts_(kBucketCount, 0) {}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    counts_[i] += other.counts_[i];
  }
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void LatencyHistogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  sum_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
}

double LatencyHistogram::mean() const {
  return count_ == 0 ? 0.0 : static_cast<double>(sum_) / static_cast<double>(count_);
}

std::uint64_t LatencyHistogram::bucket_lowest(std::size_t index) {
  if (index < 2 * kSubBuckets) {
    return index;
  }
  // index = (shift + 1) * kSubBuckets + mantissa - kSubBuckets with
  // mantissa in [kSubBuckets, 2 * kSubBuckets).
  const std::size_t shift = index / kSubBuckets - 1;
  const std::uint64_t mantissa = index % kSubBuckets + kSubBuckets;
  return mantissa << shift;
}

std::uint64_t LatencyHistogram::bucket_highest(std::size_t index) {
  if (index < 2 * kSubBuckets) {
    return index;
  }
  const std::size_t shift = index / kSubBuckets - 1;
  return bucket_lowest(index) + ((std::uint64_t{1} << shift) - 1);
}

std::uint64_t LatencyHistogram::value_at_percentile(double percentile) const {
  if (count_ == 0) {
    return 0;
  }
  if (percentile >= 100.0) {
    return max_;
  }
  // The tolerance keeps 99.9% of 1000 at rank 999 despite binary fractions.
  const double exact = percentile * static_cast<double>(count_) / 100.0;
  const double wanted = std::ceil(exact * (1.0 - 1e-12));
  const std::uint64_t rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(wanted));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      const std::uint64_t lo = bucket_lowest(i);
      const std::uint64_t mid = lo + (bucket_highest(i) - lo) / 2;
      return std::clamp(mid, min(), max_);
    }
  }
  return max_;
}

}  // namespace ferry::perf
