#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>

#include "filters/resource_slot.h"
#include "filters/retry_budget.h"

namespace ferry::filters {

// `circuit_breakers` (DESIGN.md defaults; they apply even when the key is
// absent). A limit of 0 is rejected by the config loader.
struct CircuitBreakerOptions {
  std::uint32_t max_connections = 1024;
  std::uint32_t max_pending_requests = 1024;
  std::uint32_t max_requests = 1024;
  std::uint32_t max_retries = 3;
};

// The cluster-wide limits, shared by every worker of the process: each
// acquisition is one compare-exchange on a process-wide atomic, so a limit
// holds for the process, never once per worker. Owned by the cluster's
// runtime state (kept alive by the snapshot); must outlive every slot it
// hands out.
//
// How the runtime uses it (on a worker):
// - Connections: before opening an upstream connection; the slot lives with
//   the connection.
// - PendingRequests: while a request waits for a pool connection; released
//   (ResourceSlot::release) once it has one. Overflow → immediate 503 with
//   `x-ferry-overloaded: true`, counted as ferry_upstream_pending_overflow_total.
// - Requests: from the first attempt until the request ends (every attempt
//   and back-off included).
// - Retries: try_acquire_retry(), through the cluster's RetryBudget (the
//   budget when the retry policy has one, else max_retries).
class CircuitBreakers {
 public:
  enum class Resource : std::uint8_t { Connections, PendingRequests, Requests };

  CircuitBreakers(const CircuitBreakerOptions& options,
                  const std::optional<RetryBudgetOptions>& retry_budget);
  CircuitBreakers(const CircuitBreakers&) = delete;
  CircuitBreakers& operator=(const CircuitBreakers&) = delete;

  // An empty slot means the limit is reached; the overflow is counted.
  ResourceSlot try_acquire(Resource resource);
  ResourceSlot try_acquire_retry() { return retries_.try_acquire(active(Resource::Requests)); }

  std::uint32_t active(Resource resource) const {
    return cells_[index(resource)].active.load(std::memory_order_relaxed);
  }
  std::uint64_t overflow_total(Resource resource) const {
    return cells_[index(resource)].overflow.load(std::memory_order_relaxed);
  }
  std::uint32_t limit(Resource resource) const { return cells_[index(resource)].limit; }

  RetryBudget& retries() { return retries_; }
  const RetryBudget& retries() const { return retries_; }

 private:
  static constexpr std::size_t index(Resource r) { return static_cast<std::size_t>(r); }

  // One cache line per resource: every worker writes them.
  struct alignas(64) Cell {
    std::atomic<std::uint32_t> active{0};
    std::uint32_t limit = 0;
    std::atomic<std::uint64_t> overflow{0};
  };
  std::array<Cell, 3> cells_;
  RetryBudget retries_;
};

const char* to_string(CircuitBreakers::Resource resource);

}  // namespace ferry::filters
