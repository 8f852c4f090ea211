#include "filters/circuit_breakers.h"

namespace ferry::filters {
namespace {

RetryBudget make_retry_limit(const CircuitBreakerOptions& options,
                             const std::optional<RetryBudgetOptions>& budget) {
  if (budget.has_value()) {
    return RetryBudget(*budget);
  }
  return RetryBudget::fixed(options.max_retries);
}

}  // namespace

CircuitBreakers::CircuitBreakers(const CircuitBreakerOptions& options,
                                 const std::optional<RetryBudgetOptions>& retry_budget)
    : retries_(make_retry_limit(options, retry_budget)) {
  cells_[index(Resource::Connections)].limit = options.max_connections;
  cells_[index(Resource::PendingRequests)].limit = options.max_pending_requests;
  cells_[index(Resource::Requests)].limit = options.max_requests;
}

ResourceSlot CircuitBreakers::try_acquire(Resource resource) {
  Cell& cell = cells_[index(resource)];
  ResourceSlot slot = ResourceSlot::try_take(cell.active, cell.limit);
  if (!slot) {
    cell.overflow.fetch_add(1, std::memory_order_relaxed);
  }
  return slot;
}

const char* to_string(CircuitBreakers::Resource resource) {
  switch (resource) {
    case CircuitBreakers::Resource::Connections:
      return "connections";
    case CircuitBreakers::Resource::PendingRequests:
      return "pending_requests";
    case CircuitBreakers::Resource::Requests:
      return "requests";
  }
  return "unknown";
}

}  // namespace ferry::filters
