#include "filters/retry_budget.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ferry::filters {

RetryBudget::RetryBudget(bool budget, std::uint64_t percent_milli, std::uint32_t floor_or_cap)
    : budget_(budget), percent_milli_(percent_milli), floor_or_cap_(floor_or_cap) {}

RetryBudget::RetryBudget(const RetryBudgetOptions& budget)
    : RetryBudget(true,
                  static_cast<std::uint64_t>(
                      std::llround(std::clamp(budget.budget_percent, 0.0, 100.0) * 1000.0)),
                  budget.min_retry_concurrency) {}

RetryBudget RetryBudget::fixed(std::uint32_t max_retries) {
  return RetryBudget(false, 0, max_retries);
}

std::uint32_t RetryBudget::limit(std::uint64_t active_requests) const {
  if (!budget_) {
    return floor_or_cap_;
  }
  const std::uint64_t share = active_requests * percent_milli_ / 100'000;
  const std::uint64_t capped =
      std::min<std::uint64_t>(share, std::numeric_limits<std::uint32_t>::max());
  return std::max(floor_or_cap_, static_cast<std::uint32_t>(capped));
}

ResourceSlot RetryBudget::try_acquire(std::uint64_t active_requests) {
  ResourceSlot slot = ResourceSlot::try_take(active_, limit(active_requests));
  if (!slot) {
    overflow_.fetch_add(1, std::memory_order_relaxed);
  }
  return slot;
}

}  // namespace ferry::filters
