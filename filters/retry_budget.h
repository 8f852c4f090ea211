#pragma once

#include <atomic>
#include <cstdint>
#include <new>

#include "filters/resource_slot.h"

namespace ferry::filters {

// `retry_policy.budget` (DESIGN.md defaults).
struct RetryBudgetOptions {
  double budget_percent = 20.0;
  std::uint32_t min_retry_concurrency = 3;
};

// The cluster-wide cap on concurrent retries, shared by every worker of the
// process (one compare-exchange per retry, no lock). Two modes, as in Envoy:
// with a budget, a retry may start while active retries < max(
// min_retry_concurrency, budget_percent% of the cluster's active requests);
// without one, while active retries < circuit_breakers.max_retries. A
// budget, when set, replaces max_retries.
//
// Owned by the cluster's runtime state (CircuitBreakers holds one); must
// outlive every slot it hands out.
class RetryBudget {
 public:
  // Budget mode.
  explicit RetryBudget(const RetryBudgetOptions& budget);
  // Fixed-cap mode (`circuit_breakers.max_retries`).
  static RetryBudget fixed(std::uint32_t max_retries);

  // Called on a worker after RetryState said Retry, before the back-off
  // starts. `active_requests` is the cluster's process-wide in-flight count
  // (CircuitBreakers::active(Requests)). Hold the slot until the retried
  // attempt ends. An empty slot is an overflow: counted here, and the
  // request ends with the last attempt's result
  // (ferry_upstream_retry_overflow_total).
  ResourceSlot try_acquire(std::uint64_t active_requests);

  // The cap for a given load.
  std::uint32_t limit(std::uint64_t active_requests) const;

  std::uint32_t active() const { return active_.load(std::memory_order_relaxed); }
  std::uint64_t overflow_total() const { return overflow_.load(std::memory_order_relaxed); }
  bool has_budget() const { return budget_; }

 private:
  RetryBudget(bool budget, std::uint64_t percent_milli, std::uint32_t floor_or_cap);

  const bool budget_;
  // budget_percent × 1000, so the limit is integer arithmetic.
  const std::uint64_t percent_milli_;
  // Budget mode: min_retry_concurrency; fixed mode: max_retries.
  const std::uint32_t floor_or_cap_;
  // Own cache lines: every worker writes them.
  alignas(64) std::atomic<std::uint32_t> active_{0};
  alignas(64) std::atomic<std::uint64_t> overflow_{0};
};

}  // namespace ferry::filters
