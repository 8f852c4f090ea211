#include "proxy/proxy_metrics.h"

#include "filters/retry_state.h"
#include "proxy/core/http1/parse_error.h"

namespace ferry::proxy {

static_assert(kRetrySkipReasons == static_cast<std::size_t>(filters::NoRetryReason::Deadline) + 1,
              "one retry_skipped series per NoRetryReason");

namespace {

std::vector<std::string> with_services(std::vector<std::string> labels, bool service_labels) {
  if (service_labels) {
    labels.push_back("source_service");
    labels.push_back("target_service");
  }
  return labels;
}

core::LabelValues join(core::LabelValues values, const std::vector<std::string>& more) {
  values.insert(values.end(), more.begin(), more.end());
  return values;
}

}  // namespace

std::vector<std::string> ProxyMetrics::service_label_values(const std::string& name) const {
  if (!service_labels) {
    return {};
  }
  auto it = service_labels_by_name.find(name);
  if (it == service_labels_by_name.end()) {
    return {"", ""};
  }
  return {it->second.source, it->second.target};
}

ProxyMetrics::ProxyMetrics(core::StatsRegistry& r, bool with_service_labels)
    : registry(r), service_labels(with_service_labels) {
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
                                         with_services({"listener", "code_class"}, service_labels));
  downstream_rejected =
      r.counter_family("ferry_downstream_rejected_total",
                       "Downstream requests rejected as bad, by reason", {"listener", "reason"});
  bytes_received = r.counter_family("ferry_bytes_received_total", "Bytes received from downstream",
                                    {"listener"});
  bytes_sent = r.counter_family("ferry_bytes_sent_total", "Bytes sent to downstream", {"listener"});
  upstream_requests = r.counter_family("ferry_upstream_requests_total",
                                       "Upstream requests (not attempts) by final status",
                                       with_services({"cluster", "code_class"}, service_labels));
  upstream_request_duration = r.histogram_family(
      "ferry_upstream_request_duration_seconds", "Upstream request duration",
      with_services({"cluster"}, service_labels), core::default_latency_bounds(), 1e-9);
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
  upstream_retries =
      r.counter_family("ferry_upstream_retries_total", "Upstream retries started", {"cluster"});
  upstream_retry_overflow = r.counter_family(
      "ferry_upstream_retry_overflow_total",
      "Retries not started because the retry budget or max_retries was exhausted", {"cluster"});
  upstream_protocol_errors = r.counter_family(
      "ferry_upstream_protocol_errors_total",
      "Malformed upstream responses (answered 502 or reset; the connection is not reused)",
      {"cluster"});
  upstream_safe_retries = r.counter_family(
      "ferry_upstream_safe_retries_total",
      "Requests retried because they provably never reached an application (connect failure, "
      "or a reused keep-alive connection closed before any response byte)",
      {"cluster"});
  endpoints = r.gauge_family("ferry_endpoints", "Cluster endpoints by state", {"cluster", "state"});
  config_updates_rejected = r.counter_family(
      "ferry_config_updates_rejected_total",
      "Config reloads and registry snapshots rejected as invalid (the old one stays live)");
  headers_dropped = r.counter_family(
      "ferry_downstream_headers_dropped_total",
      "Request header fields dropped by headers_with_underscores_action: drop", {"listener"});
  h2c_refused = r.counter_family(
      "ferry_downstream_h2c_refused_total",
      "Connections that opened with the HTTP/2 prior-knowledge preface on an HTTP/1.1 listener",
      {"listener"});
  upstream_retry_skipped = r.counter_family(
      "ferry_upstream_retry_skipped_total",
      "Failed upstream attempts that were not retried, by reason (budget overflow is "
      "ferry_upstream_retry_overflow_total)",
      {"cluster", "reason"});
  outlier_ejections = r.counter_family(
      "ferry_outlier_ejections_total",
      "Endpoints ejected by outlier detection (enforced), by reason", {"cluster", "reason"});
  outlier_ejections_active =
      r.gauge_family("ferry_outlier_ejections_active",
                     "Endpoints currently ejected by outlier detection", {"cluster"});
  outlier_detections = r.counter_family(
      "ferry_outlier_detections_total",
      "Outliers detected, by reason, including those max_ejection_percent kept in service",
      {"cluster", "reason"});
  outlier_ejections_reversed = r.counter_family(
      "ferry_outlier_ejections_reversed_total",
      "Ejected endpoints returned to service when their ejection time was up", {"cluster"});
  health_checks = r.counter_family("ferry_health_checks_total",
                                   "Active health checks completed (any result)", {"cluster"});
  health_check_failures = r.counter_family(
      "ferry_health_check_failures_total",
      "Active health checks that failed (unexpected status, connect error or timeout)",
      {"cluster"});
  local_rate_limited = r.counter_family(
      "ferry_local_rate_limited_total",
      "Requests refused with 429 by a listener's or route's local rate limit", {"listener"});
  faults_injected = r.counter_family("ferry_faults_injected_total",
                                     "Faults injected into requests, by kind (delay, abort)",
                                     {"listener", "kind"});
  accept_errors =
      r.counter_family("ferry_downstream_accept_errors_total",
                       "accept() failures other than overflow, by listener", {"listener"});
  headers_dropped = r.counter_family(
      "ferry_downstream_headers_dropped_total",
      "Request header fields dropped by headers_with_underscores_action: drop", {"listener"});
  h2c_refused = r.counter_family(
      "ferry_downstream_h2c_refused_total",
      "Connections that opened with the HTTP/2 prior-knowledge preface on an HTTP/1.1 listener "
      "(answered with GOAWAY HTTP_1_1_REQUIRED)",
      {"listener"});
}

ListenerStats::ListenerStats(ProxyMetrics& m, const std::string& listener, bool http)
    : connections_active(m.registry.gauge(m.downstream_connections_active, {listener})),
      connections_total(m.registry.counter(m.downstream_connections_total, {listener})),
      connections_overflow(m.registry.counter(m.downstream_connections_overflow, {listener})),
      bytes_received(m.registry.counter(m.bytes_received, {listener})),
      bytes_sent(m.registry.counter(m.bytes_sent, {listener})),
      accept_errors(m.registry.counter(m.accept_errors, {listener})),
      headers_dropped(m.registry.counter(m.headers_dropped, {listener})),
      h2c_refused(m.registry.counter(m.h2c_refused, {listener})) {
  if (!http) {
    // Zero-valued series a tcp listener can never move would only clutter
    // /metrics; handles left default-constructed count nothing.
    headers_dropped = core::Counter();
    h2c_refused = core::Counter();
    rejected.resize(static_cast<std::size_t>(core::http1::RejectReason::Count));
    return;
  }
  const auto services = m.service_label_values(listener);
  for (std::size_t i = 0; i < 5; ++i) {
    requests[i] =
        m.registry.counter(m.downstream_requests, join({listener, kCodeClasses[i]}, services));
  }
  using core::http1::RejectReason;
  for (std::size_t i = 0; i < static_cast<std::size_t>(RejectReason::Count); ++i) {
    rejected.push_back(m.registry.counter(
        m.downstream_rejected,
        {listener, std::string(core::http1::reason_name(static_cast<RejectReason>(i)))}));
  }
}

ClusterStats::ClusterStats(ProxyMetrics& m, const std::string& cluster)
    : connections_active(m.registry.gauge(m.upstream_connections_active, {cluster})),
      connections_total(m.registry.counter(m.upstream_connections_total, {cluster})),
      connect_failures(m.registry.counter(m.upstream_connect_failures, {cluster})),
      endpoints_healthy(m.registry.gauge(m.endpoints, {cluster, "healthy"})),
      endpoints_unhealthy(m.registry.gauge(m.endpoints, {cluster, "unhealthy"})),
      endpoints_unknown(m.registry.gauge(m.endpoints, {cluster, "unknown"})),
      endpoints_ejected(m.registry.gauge(m.endpoints, {cluster, "ejected"})),
      request_duration(m.registry.histogram(m.upstream_request_duration,
                                            join({cluster}, m.service_label_values(cluster)))),
      retries(m.registry.counter(m.upstream_retries, {cluster})),
      retry_overflow(m.registry.counter(m.upstream_retry_overflow, {cluster})),
      pending_overflow(m.registry.counter(m.upstream_pending_overflow, {cluster})),
      protocol_errors(m.registry.counter(m.upstream_protocol_errors, {cluster})),
      safe_retries(m.registry.counter(m.upstream_safe_retries, {cluster})) {
  const auto services = m.service_label_values(cluster);
  for (std::size_t i = 0; i < 5; ++i) {
    requests[i] =
        m.registry.counter(m.upstream_requests, join({cluster, kCodeClasses[i]}, services));
  }
  for (std::size_t i = 0; i < kRetrySkipReasons; ++i) {
    retry_skipped[i] =
        m.registry.counter(m.upstream_retry_skipped,
                           {cluster, filters::to_string(static_cast<filters::NoRetryReason>(i))});
  }
}

}  // namespace ferry::proxy
