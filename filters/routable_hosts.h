#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace ferry::filters {

class Host;

// What the workers balance over for one cluster: part of the immutable
// per-cluster overlay the main thread publishes.
struct RoutableHosts {
  std::vector<std::shared_ptr<Host>> hosts;
  // The cluster is in panic: too few hosts are usable, so `hosts` is every
  // host, usable or not (Envoy's panic routing: spreading load over sick
  // hosts beats piling all of it on the few healthy ones, or failing).
  bool panic = false;
  // For ferry_endpoints{state}: every host counts once, ejected first, then
  // by health (an ejected host is not also counted as healthy).
  std::size_t healthy = 0;
  std::size_t unhealthy = 0;
  std::size_t unknown = 0;
  std::size_t ejected = 0;
};

// Builds the routable set on the main thread, from the cluster's hosts and
// their state as the main thread last wrote it (Host::health(): the active
// check's verdict, else the registry's; Host::state.ejected).
//
// A host is usable when it is not ejected and its health is not unhealthy
// (unknown counts as usable: no check configured and no registry verdict is
// not a failure). With `healthy_panic_threshold` P in percent, the cluster
// is in panic when usable hosts are fewer than P% of all hosts; then every
// host is routable. P = 0 disables that, but the set is still never empty
// while hosts exist: with no usable host at all, every host is routable and
// `panic` is set. Only an empty `hosts` gives an empty set.
RoutableHosts select_routable_hosts(std::span<const std::shared_ptr<Host>> hosts,
                                    std::uint32_t healthy_panic_threshold);

}  // namespace ferry::filters
