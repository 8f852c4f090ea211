#include "filters/host.h"

namespace ferry::filters {

const char* to_string(HealthStatus status) {
  switch (status) {
    case HealthStatus::Healthy:
      return "healthy";
    case HealthStatus::Unhealthy:
      return "unhealthy";
    case HealthStatus::Unknown:
      break;
  }
  return "unknown";
}

HealthStatus Host::health() const {
  const HealthStatus active = state.active_health.load(std::memory_order_relaxed);
  if (active != HealthStatus::Unknown) {
    return active;
  }
  return state.registry_health.load(std::memory_order_relaxed);
}

}  // namespace ferry::filters
