#include "filters/token_bucket.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ferry::filters {
namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

std::int64_t emission_interval_ns(double rps) {
  if (!(rps > 0.0)) {  // also NaN: refuse everything rather than divide by 0
    return std::numeric_limits<std::int64_t>::max() / 4;
  }
  const double ns = std::round(1e9 / rps);
  return std::clamp<std::int64_t>(static_cast<std::int64_t>(std::min(ns, 1e15)), 1,
                                  std::numeric_limits<std::int64_t>::max() / 4);
}

std::uint32_t default_burst(double rps) {
  if (!(rps >= 1.0)) {
    return 1;
  }
  return static_cast<std::uint32_t>(std::min(std::ceil(rps), 4e9));
}

// (burst − 1) intervals, saturating rather than overflowing for huge bursts
// of slow rates.
std::int64_t tolerance_ns(std::int64_t interval_ns, std::uint32_t burst) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max() / 4;
  const std::int64_t slots = static_cast<std::int64_t>(burst) - 1;
  return slots > kMax / interval_ns ? kMax : slots * interval_ns;
}

}  // namespace

TokenBucket::TokenBucket(const TokenBucketOptions& options)
    : interval_ns_(emission_interval_ns(options.requests_per_second)),
      burst_(std::max<std::uint32_t>(
          options.burst.value_or(default_burst(options.requests_per_second)), 1)),
      tolerance_ns_(tolerance_ns(interval_ns_, burst_)),
      // Far in the past: the first `burst` requests pass at any `now`.
      tat_ns_(std::numeric_limits<std::int64_t>::min() / 2) {}

RateLimitDecision TokenBucket::try_acquire(TimePoint now) {
  const std::int64_t t = std::chrono::duration_cast<Duration>(now.time_since_epoch()).count();
  std::int64_t tat = tat_ns_.load(std::memory_order_relaxed);
  while (true) {
    // A request may be admitted while it is no more than `tolerance` ahead
    // of its theoretical arrival time; each admission pushes that time one
    // interval later.
    const std::int64_t start = std::max(tat, t);
    if (start - t > tolerance_ns_) {
      const std::int64_t wait_ns = start - t - tolerance_ns_;
      const std::int64_t seconds = (wait_ns + kNanosPerSecond - 1) / kNanosPerSecond;
      return {false, static_cast<std::uint32_t>(std::clamp<std::int64_t>(
                         seconds, 1, std::numeric_limits<std::uint32_t>::max()))};
    }
    if (tat_ns_.compare_exchange_weak(tat, start + interval_ns_, std::memory_order_relaxed)) {
      return {true, 0};
    }
  }
}

}  // namespace ferry::filters
