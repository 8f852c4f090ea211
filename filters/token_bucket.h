#pragma once

#include <atomic>
#include <cstdint>
#include <optional>

#include "filters/clock.h"

namespace ferry::filters {

// A local rate limit (ferry's own keys; off unless configured).
struct TokenBucketOptions {
  double requests_per_second = 0;  // > 0; the loader rejects 0
  // Requests that may arrive at once after a quiet spell. nullopt: one
  // second's worth (ceil(requests_per_second), at least 1).
  std::optional<std::uint32_t> burst = std::nullopt;
};

struct RateLimitDecision {
  bool allowed = true;
  // When refused: whole seconds until a request would be allowed, rounded
  // up, at least 1 (the `Retry-After` value of the 429).
  std::uint32_t retry_after_seconds = 0;
};

// A token bucket shared by every worker of the process, lock-free: GCRA
// (the generic cell rate algorithm) on one atomic "theoretical arrival
// time". An allowed request is one compare-exchange; a refused one only a
// load, so a flood of refused requests does not bounce the cache line.
//
// The rate is kept as an integer emission interval in nanoseconds
// (1e9 / requests_per_second, rounded), exact for rates that divide 1e9.
// Owned by whatever the limit is attached to (a listener or route snapshot);
// callable from any thread.
class TokenBucket {
 public:
  explicit TokenBucket(const TokenBucketOptions& options);
  TokenBucket(const TokenBucket&) = delete;
  TokenBucket& operator=(const TokenBucket&) = delete;

  // Called on a worker when a request arrives.
  RateLimitDecision try_acquire(TimePoint now);

  std::uint32_t burst() const { return burst_; }
  Duration emission_interval() const { return Duration(interval_ns_); }

 private:
  std::int64_t interval_ns_;
  std::uint32_t burst_;
  // How far ahead of the theoretical arrival time a request may come: the
  // burst minus the one being admitted.
  std::int64_t tolerance_ns_;
  alignas(64) std::atomic<std::int64_t> tat_ns_;
};

}  // namespace ferry::filters
