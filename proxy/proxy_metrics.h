#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include "proxy/core/stats.h"

namespace ferry::proxy {

// ferry-proxy's metric families (names and labels are DESIGN.md contracts),
// declared once per process on the main thread.
struct ProxyMetrics {
  // `service_labels`: the process runs service_connect, so the HTTP request
  // families (downstream_requests, upstream_requests,
  // upstream_request_duration) also carry `source_service` and
  // `target_service` (DESIGN.md, "Metrics"); empty values (= absent in
  // Prometheus) for listeners and clusters that are not Service Connect's.
  explicit ProxyMetrics(core::StatsRegistry& registry, bool service_labels = false);

  // Service Connect's DiscoveryName / TargetDiscoveryName of one listener or
  // cluster.
  struct ServiceLabels {
    std::string source;
    std::string target;
  };
  // Main thread: set by the mesh wiring before listeners and clusters are
  // (re)built; read when their series are created.
  void set_service_labels(std::map<std::string, ServiceLabels, std::less<>> by_name) {
    service_labels_by_name = std::move(by_name);
  }
  // {} without service labels; else {source, target} for `name`.
  std::vector<std::string> service_label_values(const std::string& name) const;

  core::StatsRegistry& registry;
  const bool service_labels;
  std::map<std::string, ServiceLabels, std::less<>> service_labels_by_name;
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
  // Resilience policies.
  Id upstream_retry_skipped;
  Id outlier_ejections;
  Id outlier_ejections_active;
  Id outlier_detections;
  Id outlier_ejections_reversed;
  Id health_checks;
  Id health_check_failures;
  Id local_rate_limited;
  Id faults_injected;
};

// Status classes as label values, indexed by status / 100 − 1.
inline constexpr const char* kCodeClasses[5] = {"1xx", "2xx", "3xx", "4xx", "5xx"};
inline std::size_t code_class_index(unsigned status) {
  return status >= 100 && status < 600 ? status / 100 - 1 : 4;
}

// Values of filters::NoRetryReason (the `reason` label of
// ferry_upstream_retry_skipped_total).
inline constexpr std::size_t kRetrySkipReasons = 5;

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
  // Failed attempts not retried, by filters::NoRetryReason.
  std::array<core::Counter, kRetrySkipReasons> retry_skipped;
};

}  // namespace ferry::proxy
