#include "discovery/endpoint_selection.h"

#include <algorithm>

namespace ferry::discovery {
namespace {

bool matches(const InstanceRecord& instance, const std::map<std::string, std::string>& filter) {
  return std::all_of(filter.begin(), filter.end(), [&](const auto& kv) {
    auto it = instance.attributes.find(kv.first);
    return it != instance.attributes.end() && it->second == kv.second;
  });
}

// Several instances may claim one address (a re-registration under a new
// id): the endpoint keeps the best health among them.
int health_rank(filters::HealthStatus health) {
  switch (health) {
    case filters::HealthStatus::Healthy:
      return 2;
    case filters::HealthStatus::Unknown:
      return 1;
    case filters::HealthStatus::Unhealthy:
      return 0;
  }
  return 0;
}

}  // namespace

EndpointSelection select_endpoints(const core::DiscoveryConfig& config,
                                   const NamespaceSnapshot& snapshot) {
  EndpointSelection out;
  const ServiceRecord* service = snapshot.find_service(config.service);
  if (service == nullptr) {
    out.service_missing = true;
    return out;
  }
  std::vector<const InstanceRecord*> matching;
  for (const InstanceRecord& instance : service->instances) {
    if (matches(instance, config.query_parameters)) {
      matching.push_back(&instance);
    }
  }
  std::vector<const InstanceRecord*> chosen;
  std::copy_if(matching.begin(), matching.end(), std::back_inserter(chosen),
               [](const InstanceRecord* i) { return i->health == filters::HealthStatus::Healthy; });
  if (chosen.empty()) {
    out.fail_open = !matching.empty();
    chosen = std::move(matching);
  }
  if (!config.optional_parameters.empty()) {
    std::vector<const InstanceRecord*> preferred;
    std::copy_if(chosen.begin(), chosen.end(), std::back_inserter(preferred),
                 [&](const InstanceRecord* i) { return matches(*i, config.optional_parameters); });
    if (!preferred.empty()) {
      chosen = std::move(preferred);
    }
  }
  std::vector<std::pair<std::string, SelectedEndpoint>> keyed;
  keyed.reserve(chosen.size());
  for (const InstanceRecord* instance : chosen) {
    if (!instance->endpoint) {
      ++out.without_address;
      continue;
    }
    keyed.emplace_back(instance->endpoint->to_string(),
                       SelectedEndpoint{*instance->endpoint, instance->health, instance->id});
  }
  // Stable: instances are in id order, so the first id at an address wins.
  std::stable_sort(keyed.begin(), keyed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [key, endpoint] : keyed) {
    if (!out.endpoints.empty() && out.endpoints.back().address.to_string() == key) {
      auto& kept = out.endpoints.back();
      if (health_rank(endpoint.registry_health) > health_rank(kept.registry_health)) {
        kept.registry_health = endpoint.registry_health;
      }
      continue;
    }
    out.endpoints.push_back(std::move(endpoint));
  }
  return out;
}

}  // namespace ferry::discovery
