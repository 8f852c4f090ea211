#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/cluster.h"
#include "proxy/core/config/proxy_config.h"
#include "proxy/http/http_listener_runtime.h"

namespace ferry::proxy {

// Everything a worker needs to route, as of one config + discovery + health
// state. Built on main, immutable, handed to every worker as
// shared_ptr<const>. In-flight work keeps the snapshot it started with; the
// last reference is always released on main (main_thread_release.h).
class RuntimeSnapshot {
 public:
  RuntimeSnapshot(std::uint64_t generation, std::shared_ptr<const core::ProxyConfig> config,
                  std::vector<std::shared_ptr<const Cluster>> clusters,
                  std::map<std::string, std::unique_ptr<HttpListenerRuntime>, std::less<>> http)
      : generation_(generation),
        config_(std::move(config)),
        clusters_(std::move(clusters)),
        http_(std::move(http)) {}

  std::uint64_t generation() const { return generation_; }
  const core::ProxyConfig& config() const { return *config_; }
  const std::vector<std::shared_ptr<const Cluster>>& clusters() const { return clusters_; }

  // Linear scan: a sidecar has a handful of clusters, and a request resolves
  // its cluster once.
  const Cluster* find_cluster(std::string_view name) const {
    for (const auto& c : clusters_) {
      if (c->name() == name) {
        return c.get();
      }
    }
    return nullptr;
  }

  // The HTTP runtime of a listener; null for tcp listeners and unknown names.
  const HttpListenerRuntime* http_listener(std::string_view name) const {
    auto it = http_.find(name);
    return it == http_.end() ? nullptr : it->second.get();
  }

 private:
  const std::uint64_t generation_;
  const std::shared_ptr<const core::ProxyConfig> config_;
  const std::vector<std::shared_ptr<const Cluster>> clusters_;
  const std::map<std::string, std::unique_ptr<HttpListenerRuntime>, std::less<>> http_;
};

}  // namespace ferry::proxy
