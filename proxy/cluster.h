#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "filters/host.h"
#include "proxy/core/duration.h"
#include "proxy/proxy_metrics.h"

namespace ferry::proxy {

// How ferry connects to a cluster's endpoints (from the cluster's config).
struct UpstreamOptions {
  core::Duration connect_timeout = std::chrono::seconds(5);
  core::Duration keepalive_time = std::chrono::seconds(60);
  core::Duration keepalive_interval = std::chrono::seconds(10);
  std::uint32_t keepalive_probes = 3;
  core::Duration user_timeout = std::chrono::seconds(30);  // 0: kernel default
  std::size_t buffer_limit = 1u << 20;
};

// One cluster as of one snapshot: its endpoints (process-wide Host objects
// that keep their identity across snapshots) and how to reach them.
// Immutable once built on main, shared by every worker; the only mutable part
// is each worker's own load-balancing slot, touched by that worker alone.
class Cluster {
 public:
  Cluster(std::string name, UpstreamOptions options,
          std::vector<std::shared_ptr<filters::Host>> hosts, std::shared_ptr<ClusterStats> stats,
          unsigned workers);

  const std::string& name() const { return name_; }
  const UpstreamOptions& options() const { return options_; }
  std::span<const std::shared_ptr<filters::Host>> hosts() const { return hosts_; }
  ClusterStats& stats() const { return *stats_; }
  const std::shared_ptr<ClusterStats>& shared_stats() const { return stats_; }

  // Round robin over the hosts that are neither unhealthy nor ejected (all
  // hosts when none is). `exclude` is skipped when another host is available
  // (a failover should try a different endpoint). Called on worker `worker`
  // only; nullptr when the cluster has no endpoint.
  filters::Host* pick(unsigned worker, const filters::Host* exclude) const;

 private:
  struct alignas(64) PerWorker {
    std::uint64_t next = 0;
  };

  const std::string name_;
  const UpstreamOptions options_;
  const std::vector<std::shared_ptr<filters::Host>> hosts_;
  const std::shared_ptr<ClusterStats> stats_;
  std::unique_ptr<PerWorker[]> per_worker_;
  const unsigned workers_;
};

}  // namespace ferry::proxy
