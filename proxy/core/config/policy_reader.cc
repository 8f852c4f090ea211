#include <algorithm>
#include <cmath>
#include <span>

#include "proxy/core/config/config_enums.h"
#include "proxy/core/config/proxy_config_reader.h"
#include "proxy/core/config/schema_checks.h"

namespace ferry::core {
namespace {

constexpr double kMaxRequestsPerSecond = 1e9;

// A fault may abort with any final status a proxy can produce.
constexpr IntRange kAbortStatusRange{200, 599};

void read_budget(MapReader& reader, RetryBudget& out) {
  reader.percent("budget_percent", out.budget_percent);
  reader.integer("min_retry_concurrency", out.min_retry_concurrency, kCountRange);
}

void read_success_rate(MapReader& reader, SuccessRateDetector& out) {
  reader.integer("minimum_hosts", out.minimum_hosts, kCountRange);
  reader.integer("request_volume", out.request_volume, kCountRange);
  if (reader.number("stdev_factor", out.stdev_factor, 0.0, 100.0) && out.stdev_factor == 0.0) {
    reader.error("stdev_factor", "must be greater than 0");
  }
}

void read_latency(MapReader& reader, LatencyDetector& out) {
  reader.integer("minimum_hosts", out.minimum_hosts, kCountRange);
  reader.integer("request_volume", out.request_volume, kCountRange);
  if (reader.number("threshold_factor", out.threshold_factor, 1.0, 1000.0) &&
      out.threshold_factor == 1.0) {
    reader.error("threshold_factor",
                 "must be greater than 1 (1 would eject every host above the median)");
  }
}

void refuse_with_header_activation(MapReader& reader, std::string_view key,
                                   std::string_view header) {
  if (reader.has(key)) {
    reader.skip(key);
    reader.error(key, "not used with header_activation: true (the " + std::string(header) +
                          " request header gives it)");
  }
}

// Under header activation the request header gives the delay or status,
// so the fixed value is neither needed nor allowed.
void read_delay(MapReader& reader, FaultDelay& out, bool header_activation) {
  if (header_activation) {
    refuse_with_header_activation(reader, "duration", "x-ferry-fault-delay");
  } else {
    reader.duration("duration", out.duration, ZeroDuration::Disables, Presence::Required);
  }
  reader.percent("percent", out.percent);
}

void read_abort(MapReader& reader, FaultAbort& out, bool header_activation) {
  if (header_activation) {
    refuse_with_header_activation(reader, "status", "x-ferry-fault-abort");
  } else {
    reader.integer("status", out.status, kAbortStatusRange, Presence::Required);
  }
  reader.percent("percent", out.percent);
}

}  // namespace

void read_retry_policy(MapReader& reader, RetryPolicy& out) {
  std::size_t conditions = 0;
  if (reader.enum_list("retry_on", out.retry_on, std::span(kRetryOnNames))) {
    conditions = out.retry_on.size();
    if (conditions == 0) {
      reader.error("retry_on",
                   "must name at least one condition (leave retry_policy out to disable retries)");
    }
  }
  reader.integer("num_retries", out.num_retries, kCountRange);
  reader.duration("per_try_timeout", out.per_try_timeout, ZeroDuration::Disables);
  reader.integer_list("retriable_status_codes", out.retriable_status_codes, kStatusRange);
  const bool by_code = out.retries_on(RetryOn::RetriableStatusCodes);
  if (by_code && out.retriable_status_codes.empty()) {
    reader.error("retriable_status_codes",
                 "must list codes when retry_on has retriable-status-codes");
  } else if (!by_code && !out.retriable_status_codes.empty()) {
    reader.error("retriable_status_codes",
                 "has no effect unless retry_on includes retriable-status-codes");
  }
  reader.map("retry_back_off", [&](MapReader& m) { read_backoff(m, out.retry_back_off); });
  reader.section("budget", out.budget, read_budget);
  reader.size("max_body_size", out.max_body_size);
}

void read_outlier_detection(MapReader& reader, OutlierDetection& out) {
  reader.integer("consecutive_5xx", out.consecutive_5xx, kCountRange);
  reader.integer("consecutive_gateway_failure", out.consecutive_gateway_failure, kCountRange);
  reader.duration("interval", out.interval, ZeroDuration::Invalid);
  reader.duration("base_ejection_time", out.base_ejection_time, ZeroDuration::Invalid);
  reader.duration("max_ejection_time", out.max_ejection_time, ZeroDuration::Invalid);
  if (out.max_ejection_time < out.base_ejection_time) {
    reader.error("max_ejection_time", "max_ejection_time (" +
                                          format_duration(out.max_ejection_time) +
                                          ") must be >= base_ejection_time (" +
                                          format_duration(out.base_ejection_time) + ")");
  }
  reader.percent("max_ejection_percent", out.max_ejection_percent);
  reader.section("success_rate", out.success_rate, read_success_rate);
  reader.section("latency", out.latency, read_latency);
}

void read_health_check(MapReader& reader, HealthCheck& out, std::string_view cluster_name) {
  out.host = std::string(cluster_name);
  reader.enumeration("type", out.type, std::span(kHealthCheckTypeNames));
  if (out.type == HealthCheckType::Tcp) {
    for (std::string_view http_only : {"path", "expected_statuses", "host"}) {
      if (reader.has(http_only)) {
        reader.skip(http_only);
        reader.error(http_only, "only for type: http health checks");
      }
    }
  } else {
    if (reader.string("path", out.path) && !is_url_path(out.path)) {
      reader.error("path", "invalid path \"" + out.path + "\" (must start with '/')");
    }
    if (reader.integer_list("expected_statuses", out.expected_statuses, kStatusRange) &&
        out.expected_statuses.empty()) {
      reader.error("expected_statuses", "must list at least one status");
    }
    if (reader.string("host", out.host) && out.host.empty()) {
      reader.error("host", "must not be empty");
    }
  }
  reader.duration("interval", out.interval, ZeroDuration::Invalid);
  reader.duration("timeout", out.timeout, ZeroDuration::Invalid);
  reader.integer("healthy_threshold", out.healthy_threshold, kCountRange);
  reader.integer("unhealthy_threshold", out.unhealthy_threshold, kCountRange);
  reader.percent("interval_jitter_percent", out.interval_jitter_percent);
}

void read_rate_limit(MapReader& reader, RateLimitConfig& out) {
  if (reader.number("requests_per_second", out.requests_per_second, 0.0, kMaxRequestsPerSecond,
                    Presence::Required) &&
      out.requests_per_second == 0.0) {
    reader.error("requests_per_second", "must be greater than 0 (leave rate_limit out instead)");
  }
  // One second's worth, so a steady rate never waits.
  out.burst = static_cast<std::uint32_t>(std::max(1.0, std::ceil(out.requests_per_second)));
  reader.integer("burst", out.burst, kCountRange);
}

void read_fault(MapReader& reader, FaultConfig& out) {
  reader.boolean("header_activation", out.header_activation);
  const bool by_header = out.header_activation;
  reader.section("delay", out.delay,
                 [&](MapReader& m, FaultDelay& delay) { read_delay(m, delay, by_header); });
  reader.section("abort", out.abort,
                 [&](MapReader& m, FaultAbort& abort) { read_abort(m, abort, by_header); });
  if (!by_header && !out.delay && !out.abort && !reader.has("delay") && !reader.has("abort")) {
    reader.map_error("a fault needs a delay, an abort, or both (or header_activation: true)");
  }
  reader.integer("max_active", out.max_active, kCountRange);
}

}  // namespace ferry::core
