#pragma once

#include <cstddef>
#include <string>
#include <vector>

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
  Id upstream_retries;
  Id upstream_retry_overflow;
  Id upstream_protocol_errors;
  Id upstream_safe_retries;
  Id endpoints;
  Id config_updates_rejected;
  Id accept_errors;
  Id headers_dropped;
  Id h2c_refused;
};

// Status classes as label values, indexed by status / 100 − 1.
inline constexpr const char* kCodeClasses[5] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
inline std::size_t code_class_index(unsigned status) {
  return status >= 100 && status < 600 ? status / 100 - 1 : 4;
}

// Per-listener series. Owned by the listener's process-wide state; workers
// write them through the handles (each worker writes its own shard).
struct ListenerStats {
  // `http`: also the request series (code classes, rejection reasons).
  ListenerStats(ProxyMetrics& metrics, const std::string& listener, bool http);
  core::Gauge connections_active;
  core::Counter connections_total;
  core::Counter connections_overflow;
  core::Counter bytes_received;
  core::Counter bytes_sent;
  core::Counter accept_errors;
  // HTTP listeners.
  core::Counter requests[5];            // by code class
  std::vector<core::Counter> rejected;  // by core::http1::RejectReason
  core::Counter headers_dropped;
  core::Counter h2c_refused;
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
  // HTTP clusters.
  core::Counter requests[5];  // by final status class
  core::Histogram request_duration;
  core::Counter retries;
  core::Counter retry_overflow;
  core::Counter pending_overflow;
  core::Counter protocol_errors;
  core::Counter safe_retries;
};

}  // namespace ferry::proxy
