#pragma once

#include <cstdint>

#include "filters/prng.h"
#include "proxy/core/config/proxy_config.h"

namespace ferry::discovery {

// Capped exponential backoff with "equal jitter": the n-th consecutive
// failure waits a uniformly random time in [d/2, d], where
// d = min(max_interval, base_interval * 2^n). The random half keeps N
// sidecars that lost the control plane together from reconnecting in
// lock-step; the fixed half keeps a retry from firing at once.
//
// Owned by one retry loop on one thread; the generator is seeded by the owner
// (tests seed it to make delays reproducible).
class Backoff {
 public:
  Backoff(core::Backoff config, std::uint64_t seed);

  // The delay before the next attempt; each call counts one more failure.
  core::Duration next();
  // After a success: the next failure starts again from base_interval.
  void reset() { failures_ = 0; }
  std::uint32_t failures() const { return failures_; }
  // The ceiling of the next delay (d above), without counting a failure.
  core::Duration ceiling() const;

  const core::Backoff& config() const { return config_; }

 private:
  core::Backoff config_;
  filters::Prng prng_;
  std::uint32_t failures_ = 0;
};

}  // namespace ferry::discovery

namespace ferry::discovery {

// Retry pacing across the control plane's replicas: after a failure the
// client has already moved to the next replica, so trying again at once is
// a failover, not a hammering; only when a whole round of replicas failed
// does the next attempt wait for the jittered backoff.
class FailoverPacer {
 public:
  FailoverPacer(core::Backoff config, std::uint64_t seed, std::size_t replicas)
      : backoff_(config, seed), replicas_(replicas == 0 ? 1 : replicas) {}

  // The delay before the next attempt after one more failure.
  core::Duration on_failure() {
    if (++failures_in_round_ < replicas_) {
      return core::Duration::zero();
    }
    failures_in_round_ = 0;
    return backoff_.next();
  }
  void on_success() {
    failures_in_round_ = 0;
    backoff_.reset();
  }
  const Backoff& backoff() const { return backoff_; }

 private:
  Backoff backoff_;
  std::size_t replicas_;
  std::size_t failures_in_round_ = 0;
};

}  // namespace ferry::discovery
