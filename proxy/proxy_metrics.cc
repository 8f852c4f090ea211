#include "proxy/proxy_metrics.h"

namespace ferry::proxy {

ProxyMetrics::ProxyMetrics(core::StatsRegistry& r) : registry(r) {
  build_info = r.gauge_family("ferry_build_info", "ferry build information; always 1", {"version"});
  downstream_connections_active = r.gauge_family("ferry_downstream_connections_active",
                                                 "Open downstream connections", {"listener"});
  downstream_connections_total = r.counter_family("ferry_downstream_connections_total",
                                                  "Accepted downstream connections", {"listener"});
  downstream_connections_overflow = r.counter_family(
      "ferry_downstream_connections_overflow_total",
      "Downstream connections closed at once because the listener was at max_connections or "
      "the process was out of file descriptors",
      {"listener"});
  downstream_requests = r.counter_family("ferry_downstream_requests_total",
                                         "Answered downstream requests, local replies included",
                                         {"listener", "code_class"});
  downstream_rejected =
      r.counter_family("ferry_downstream_rejected_total",
                       "Downstream requests rejected as bad, by reason", {"listener", "reason"});
  bytes_received = r.counter_family("ferry_bytes_received_total", "Bytes received from downstream",
                                    {"listener"});
  bytes_sent = r.counter_family("ferry_bytes_sent_total", "Bytes sent to downstream", {"listener"});
  upstream_requests = r.counter_family("ferry_upstream_requests_total",
                                       "Upstream requests (not attempts) by final status",
                                       {"cluster", "code_class"});
  upstream_request_duration =
      r.histogram_family("ferry_upstream_request_duration_seconds", "Upstream request duration",
                         {"cluster"}, core::default_latency_bounds(), 1e-9);
  upstream_connections_active =
      r.gauge_family("ferry_upstream_connections_active", "Open upstream connections", {"cluster"});
  upstream_connections_total = r.counter_family("ferry_upstream_connections_total",
                                                "Established upstream connections", {"cluster"});
  upstream_connect_failures = r.counter_family("ferry_upstream_connect_failures_total",
                                               "Failed upstream connection attempts", {"cluster"});
  upstream_pending_overflow = r.counter_family(
      "ferry_upstream_pending_overflow_total",
      "Requests refused by a circuit breaker (pending queue, connections or requests full)",
      {"cluster"});
  endpoints = r.gauge_family("ferry_endpoints", "Cluster endpoints by state", {"cluster", "state"});
  config_updates_rejected = r.counter_family(
      "ferry_config_updates_rejected_total",
      "Config reloads and registry snapshots rejected as invalid (the old one stays live)");
  accept_errors =
      r.counter_family("ferry_downstream_accept_errors_total",
                       "accept() failures other than overflow, by listener", {"listener"});
}

ListenerStats::ListenerStats(ProxyMetrics& m, const std::string& listener)
    : connections_active(m.registry.gauge(m.downstream_connections_active, {listener})),
      connections_total(m.registry.counter(m.downstream_connections_total, {listener})),
      connections_overflow(m.registry.counter(m.downstream_connections_overflow, {listener})),
      bytes_received(m.registry.counter(m.bytes_received, {listener})),
      bytes_sent(m.registry.counter(m.bytes_sent, {listener})),
      accept_errors(m.registry.counter(m.accept_errors, {listener})) {}

ClusterStats::ClusterStats(ProxyMetrics& m, const std::string& cluster)
    : connections_active(m.registry.gauge(m.upstream_connections_active, {cluster})),
      connections_total(m.registry.counter(m.upstream_connections_total, {cluster})),
      connect_failures(m.registry.counter(m.upstream_connect_failures, {cluster})),
      endpoints_healthy(m.registry.gauge(m.endpoints, {cluster, "healthy"})),
      endpoints_unhealthy(m.registry.gauge(m.endpoints, {cluster, "unhealthy"})),
      endpoints_unknown(m.registry.gauge(m.endpoints, {cluster, "unknown"})),
      endpoints_ejected(m.registry.gauge(m.endpoints, {cluster, "ejected"})) {}

}  // namespace ferry::proxy
