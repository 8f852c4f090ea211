#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "proxy/cluster.h"

namespace ferry::proxy {

// Everything a worker needs to route, as of one config + discovery state.
// Built on main, immutable, handed to every worker as shared_ptr<const>.
// In-flight work keeps the snapshot it started with; the last reference is
// always released on main (see make_snapshot in snapshot_release.h).
class RuntimeSnapshot {
 public:
  RuntimeSnapshot(std::uint64_t generation, std::vector<std::shared_ptr<const Cluster>> clusters)
      : generation_(generation), clusters_(std::move(clusters)) {}

  std::uint64_t generation() const { return generation_; }
  const std::vector<std::shared_ptr<const Cluster>>& clusters() const { return clusters_; }

  // Linear scan: a sidecar has a handful of clusters, and routing resolves the
  // cluster once per connection or route, not per byte.
  const Cluster* find_cluster(std::string_view name) const {
    for (const auto& c : clusters_) {
      if (c->name() == name) {
        return c.get();
      }
    }
    return nullptr;
  }

 private:
  const std::uint64_t generation_;
  const std::vector<std::shared_ptr<const Cluster>> clusters_;
};

}  // namespace ferry::proxy
