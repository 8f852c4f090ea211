#pragma once

#include <string>

#include "proxy/core/stats.h"

namespace ferry::proxy {

// ferry-proxy's metric families (names and labels are DESIGN.md contracts),
// declared once per process on the main thread.
struct ProxyMetrics {
  explicit ProxyMetrics(core::StatsRegistry& registry);

  core::StatsRegistry& registry;
  using Id = core::StatsRegistry::FamilyId;
  Id build_info;
  Id downstream_connections_active;
  Id downstream_connections_total;
  Id downstream_connections_overflow;
  Id downstream_requests;
  Id downstream_rejected;
  Id bytes_received;
  Id bytes_sent;
  Id upstream_requests;
  Id upstream_request_duration;
  Id upstream_connections_active;
  Id upstream_connections_total;
  Id upstream_connect_failures;
  Id upstream_pending_overflow;
  Id endpoints;
  Id config_updates_rejected;
  Id accept_errors;
};

// Per-listener series. Owned by the listener's process-wide state; workers
// write them through the handles (each worker writes its own shard).
struct ListenerStats {
  ListenerStats(ProxyMetrics& metrics, const std::string& listener);
  core::Gauge connections_active;
  core::Counter connections_total;
  core::Counter connections_overflow;
  core::Counter bytes_received;
  core::Counter bytes_sent;
  core::Counter accept_errors;
};

// Per-cluster series.
struct ClusterStats {
  ClusterStats(ProxyMetrics& metrics, const std::string& cluster);
  core::Gauge connections_active;
  core::Counter connections_total;
  core::Counter connect_failures;
  core::Gauge endpoints_healthy;
  core::Gauge endpoints_unhealthy;
  core::Gauge endpoints_unknown;
  core::Gauge endpoints_ejected;
};

}  // namespace ferry::proxy
