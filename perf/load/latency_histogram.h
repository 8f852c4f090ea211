#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace ferry::perf {

// A log-linear histogram of durations in nanoseconds (HdrHistogram's idea,
// our own code: Debian does not package HdrHistogram).
//
// Values below 2^kSubBucketBits are counted exactly. Above, every power-of-two
// range [2^e, 2^(e+1)) is split into 2^kSubBucketBits equal sub-buckets, so a
// bucket is never wider than 2^-kSubBucketBits of its lower bound. Reporting a
// bucket's midpoint therefore errs by at most 2^-(kSubBucketBits+1) = 0.39%
// of the true value, over the whole uint64 range (1 µs … 60 s included), with
// 7 424 buckets (58 KiB). min, max, count and sum are exact.
//
// One histogram belongs to one thread (record() is a plain increment, no
// atomics); threads merge theirs with merge() after they stop.
class LatencyHistogram {
 public:
  static constexpr unsigned kSubBucketBits = 7;
  static constexpr std::uint64_t kSubBuckets = std::uint64_t{1} << kSubBucketBits;
  static constexpr std::size_t kBucketCount = (64 - kSubBucketBits + 1) * kSubBuckets;

  LatencyHistogram();

  // Counts one value (nanoseconds). O(1), no allocation.
  void record(std::uint64_t value_ns) {
    ++counts_[bucket_index(value_ns)];
    ++count_;
    sum_ += value_ns;
    if (value_ns < min_) {
      min_ = value_ns;
    }
    if (value_ns > max_) {
      max_ = value_ns;
    }
  }

  // Adds every count of `other` (same layout by construction).
  void merge(const LatencyHistogram& other);
  void reset();

  std::uint64_t count() const { return count_; }
  std::uint64_t min() const { return count_ == 0 ? 0 : min_; }
  std::uint64_t max() const { return max_; }
  double mean() const;

  // The value at `percentile` (0 < percentile ≤ 100) by the nearest-rank
  // rule: the smallest recorded value v such that at least percentile% of
  // the values are ≤ v. Reported as the midpoint of v's bucket, clamped to
  // [min, max]; 0 when empty. percentile 100 is max() exactly.
  std::uint64_t value_at_percentile(double percentile) const;

  // The bucket a value falls in, and the bucket's bounds [lowest, highest]
  // (exposed for the tests that prove the error bound).
  static std::size_t bucket_index(std::uint64_t value_ns) {
    if (value_ns < kSubBuckets) {
      return static_cast<std::size_t>(value_ns);
    }
    const unsigned exponent = 63u - static_cast<unsigned>(__builtin_clzll(value_ns));
    const unsigned shift = exponent - kSubBucketBits;
    return static_cast<std::size_t>((shift + 1) * kSubBuckets + (value_ns >> shift) - kSubBuckets);
  }
  static std::uint64_t bucket_lowest(std::size_t index);
  static std::uint64_t bucket_highest(std::size_t index);

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t min_ = UINT64_MAX;
  std::uint64_t max_ = 0;
};

}  // namespace ferry::perf
