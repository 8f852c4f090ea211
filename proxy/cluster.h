#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "filters/circuit_breakers.h"
#include "filters/host.h"
#include "filters/load_balancer.h"
#include "filters/retry_state.h"
#include "filters/routable_hosts.h"
#include "proxy/core/config/proxy_config.h"
#include "proxy/proxy_metrics.h"

namespace ferry::proxy {

// A cluster's process-wide state, kept across snapshots for as long as its
// config does not change: the config, the stats series, the circuit
// breakers (cluster-wide atomics: limits hold for the process) and the
// cluster's retry policy mapped for filters::RetryState. Built on main;
// workers only use the atomics and read the rest.
class ClusterShared {
 public:
  ClusterShared(std::shared_ptr<const core::ClusterConfig> config, ProxyMetrics& metrics);

  const core::ClusterConfig& config() const { return *config_; }
  const std::shared_ptr<const core::ClusterConfig>& config_ptr() const { return config_; }
  const std::string& name() const { return config_->name; }
  ClusterStats& stats() { return stats_; }
  filters::CircuitBreakers& breakers() { return breakers_; }
  // Null when the cluster has no retry_policy.
  const filters::RetryPolicyOptions* retry_policy() const {
    return retry_policy_ ? &*retry_policy_ : nullptr;
  }

 private:
  std::shared_ptr<const core::ClusterConfig> config_;
  ClusterStats stats_;
  filters::CircuitBreakers breakers_;
  std::optional<filters::RetryPolicyOptions> retry_policy_;
};

// One cluster as of one snapshot: its endpoints (process-wide Host objects
// that keep their identity across snapshots), the routable subset the main
// thread derived from health and ejection (the overlay every worker agrees
// on), and one load balancer per worker. Immutable once built on main except
// the per-worker balancers, each touched only by its own worker.
class Cluster {
 public:
  Cluster(std::shared_ptr<ClusterShared> shared, std::vector<std::shared_ptr<filters::Host>> hosts,
          unsigned workers, std::uint64_t seed);

  const std::string& name() const { return shared_->name(); }
  ClusterShared& shared() const { return *shared_; }
  const std::shared_ptr<ClusterShared>& shared_ptr() const { return shared_; }
  std::span<const std::shared_ptr<filters::Host>> hosts() const { return hosts_; }
  const filters::RoutableHosts& routable() const { return routable_; }

  // Picks the endpoint for one attempt on worker `worker`, avoiding
  // `exclude` while another host exists. Null when the cluster is empty.
  filters::Host* pick(unsigned worker, const filters::Host* exclude) const;

 private:
  std::shared_ptr<ClusterShared> shared_;
  std::vector<std::shared_ptr<filters::Host>> hosts_;
  filters::RoutableHosts routable_;
  std::vector<std::unique_ptr<filters::LoadBalancer>> balancers_;  // per worker, last: main
};

}  // namespace ferry::proxy
