#include "filters/routable_hosts.h"

#include "filters/host.h"

namespace ferry::filters {

RoutableHosts select_routable_hosts(std::span<const std::shared_ptr<Host>> hosts,
                                    std::uint32_t healthy_panic_threshold) {
  RoutableHosts result;
  result.hosts.reserve(hosts.size());
  for (const auto& host : hosts) {
    if (host == nullptr) {
      continue;
    }
    if (host->state.ejected.load(std::memory_order_relaxed)) {
      ++result.ejected;
      continue;
    }
    switch (host->health()) {
      case HealthStatus::Unhealthy:
        ++result.unhealthy;
        continue;
      case HealthStatus::Healthy:
        ++result.healthy;
        break;
      case HealthStatus::Unknown:
        ++result.unknown;
        break;
    }
    result.hosts.push_back(host);
  }
  const std::size_t total = result.healthy + result.unhealthy + result.unknown + result.ejected;
  const std::size_t usable = result.hosts.size();
  // usable / total < P / 100, in integers.
  const bool below_threshold = usable * 100 < total * healthy_panic_threshold;
  if (total > 0 && (usable == 0 || below_threshold)) {
    result.panic = true;
    result.hosts.clear();
    for (const auto& host : hosts) {
      if (host != nullptr) {
        result.hosts.push_back(host);
      }
    }
  }
  return result;
}

}  // namespace ferry::filters
