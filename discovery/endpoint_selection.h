#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "discovery/namespace_snapshot.h"
#include "filters/host.h"
#include "proxy/core/address.h"
#include "proxy/core/config/proxy_config.h"

namespace ferry::discovery {

struct SelectedEndpoint {
  core::SocketAddress address;
  // The registry's verdict, for Host::state.registry_health.
  filters::HealthStatus registry_health = filters::HealthStatus::Unknown;
  std::string instance_id;  // the first instance (by id) at this address
};

struct EndpointSelection {
  // Sorted by address text; one entry per address.
  std::vector<SelectedEndpoint> endpoints;
  // The service is not in the snapshot (no endpoints; not an error: it may
  // be registered later).
  bool service_missing = false;
  // No matching instance was HEALTHY, so every matching instance was taken
  // (HEALTHY_OR_ELSE_ALL).
  bool fail_open = false;
  // Matching instances left out because they carry no address or no port.
  std::size_t without_address = 0;
};

// Cloud Map's DiscoverInstances for one `discovery:` cluster over a snapshot
// (as ferry-control answers it, with HealthStatus HEALTHY_OR_ELSE_ALL):
//  1. instances whose attributes match every query_parameters entry;
//  2. of those, the HEALTHY ones, or all of them when none is HEALTHY
//     (fail open: a registry that lost every heartbeat must not empty the
//     cluster; the proxy's panic routing then spreads over them);
//  3. of those, the ones matching every optional_parameters entry, when at
//     least one does (a preference, e.g. the same zone, never a filter).
// Health before preference, so a zone whose instances are all unhealthy
// does not pull traffic away from healthy ones elsewhere. Pure; any thread.
EndpointSelection select_endpoints(const core::DiscoveryConfig& config,
                                   const NamespaceSnapshot& snapshot);

}  // namespace ferry::discovery
