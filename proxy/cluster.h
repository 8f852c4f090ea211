#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "filters/attempt_recorder.h"
#include "filters/circuit_breakers.h"
#include "filters/host.h"
#include "filters/load_balancer.h"
#include "filters/retry_state.h"
#include "filters/routable_hosts.h"
#include "proxy/core/config/proxy_config.h"
#include "proxy/proxy_metrics.h"

namespace ferry::proxy {

// Hands a worker's report of a consecutive-failure threshold crossing
// (filters::record_attempt) to the main thread's outlier detection. Called on
// a worker; it must only post (cluster_health.h makes one).
using OutlierReport = std::function<void(filters::Host& host, filters::EjectionReason reason)>;

// A cluster's process-wide state, kept across snapshots for as long as its
// config does not change: the config, the stats series, the circuit
// breakers (cluster-wide atomics: limits hold for the process), the
// cluster's retry policy mapped for filters::RetryState, and the way to
// outlier detection. Built on main; workers only use the atomics and read
// the rest.
class ClusterShared {
 public:
  // `report` is empty when the cluster has no outlier_detection (then the
  // consecutive thresholds are 0 and nothing is ever reported).
  ClusterShared(std::shared_ptr<const core::ClusterConfig> config, ProxyMetrics& metrics,
                OutlierReport report = {});

  const core::ClusterConfig& config() const { return *config_; }
  const std::shared_ptr<const core::ClusterConfig>& config_ptr() const { return config_; }
  const std::string& name() const { return config_->name; }
  ClusterStats& stats() { return stats_; }
  filters::CircuitBreakers& breakers() { return breakers_; }
  // Null when the cluster has no retry_policy.
  const filters::RetryPolicyOptions* retry_policy() const {
    return retry_policy_ ? &*retry_policy_ : nullptr;
  }
  // outlier_detection's consecutive thresholds for filters::record_attempt
  // (both 0 without outlier detection).
  const filters::ConsecutiveThresholds& outlier_thresholds() const { return thresholds_; }
  // Called on a worker when record_attempt() said `host` reached a
  // threshold: posts the report to the main thread (a weak reference to the
  // host travels, never a raw pointer).
  void report_outlier(filters::Host& host, filters::EjectionReason reason) const {
    if (report_) {
      report_(host, reason);
    }
  }

 private:
  std::shared_ptr<const core::ClusterConfig> config_;
  ClusterStats stats_;
  filters::CircuitBreakers breakers_;
  std::optional<filters::RetryPolicyOptions> retry_policy_;
  filters::ConsecutiveThresholds thresholds_{0, 0};
  OutlierReport report_;
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
  // Called on worker `worker` when an attempt to `host` got its response
  // head `latency` after the request was sent: feeds that worker's balancer
  // (the shared peak-EWMA estimate under lb_policy ewma; nothing otherwise).
  void record_response(unsigned worker, filters::Host& host, core::Duration latency,
                       std::chrono::steady_clock::time_point now) const;

 private:
  std::shared_ptr<ClusterShared> shared_;
  std::vector<std::shared_ptr<filters::Host>> hosts_;
  filters::RoutableHosts routable_;
  std::vector<std::unique_ptr<filters::LoadBalancer>> balancers_;  // per worker, last: main
};

}  // namespace ferry::proxy
