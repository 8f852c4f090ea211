// Validation of the policies (retry, outlier detection, health checks, rate
// limits, faults, backoffs), each asserting the exact key path and line.

#include <string>

#include <gtest/gtest.h>

#include "config_test_support.h"

namespace ferry::core {
namespace {

using testing::parse;
using testing::rejects;

TEST(PolicyValidation, PercentValues) {
  const std::string text = R"(
listeners:
  - name: web
    address: 127.0.0.1:0
    routes:
      - cluster: backend
        fault: {abort: {status: 503, percent: -1}}
clusters:
  - name: backend
    endpoints: [127.0.0.1:8080]
    healthy_panic_threshold: 101
    outlier_detection: {max_ejection_percent: 100.5}
    retry_policy: {budget: {budget_percent: 200}}
)";
  EXPECT_TRUE(rejects(text, 6, "listeners[0].routes[0].fault.abort.percent",
                      "must be between 0 and 100 (got -1)"));
  EXPECT_TRUE(
      rejects(text, 10, "clusters[0].healthy_panic_threshold", "must be between 0 and 100"));
  EXPECT_TRUE(rejects(text, 11, "clusters[0].outlier_detection.max_ejection_percent",
                      "must be between 0 and 100 (got 100.5)"));
  EXPECT_TRUE(rejects(text, 12, "clusters[0].retry_policy.budget.budget_percent",
                      "must be between 0 and 100"));
}

TEST(PolicyValidation, BackoffMaxAtLeastBase) {
  const std::string text = R"(
control_plane:
  addresses: [127.0.0.1:9000]
  reconnect_backoff: {base_interval: 1m, max_interval: 30s}
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - name: backend
    endpoints: [127.0.0.1:8080]
    retry_policy:
      retry_back_off:
        base_interval: 1s
)";
  EXPECT_TRUE(rejects(text, 3, "control_plane.reconnect_backoff.max_interval",
                      "max_interval (30s) must be >= base_interval (1m)"));
  // max_interval not written: the error points at the backoff map.
  EXPECT_TRUE(rejects(text, 10, "clusters[0].retry_policy.retry_back_off.max_interval",
                      "max_interval (250ms) must be >= base_interval (1s)"));
}

TEST(PolicyValidation, MaxEjectionTimeAtLeastBase) {
  EXPECT_TRUE(rejects(R"(
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - name: backend
    endpoints: [127.0.0.1:8080]
    outlier_detection:
      base_ejection_time: 60s
      max_ejection_time: 30s
)",
                      8, "clusters[0].outlier_detection.max_ejection_time",
                      "max_ejection_time (30s) must be >= base_ejection_time (1m)"));
}

TEST(PolicyValidation, HealthCheckThresholdsAndStatuses) {
  const std::string text = R"(
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - name: backend
    endpoints: [127.0.0.1:8080]
    health_check:
      healthy_threshold: 0
      unhealthy_threshold: 0
      expected_statuses: [200, 600, 99]
      path: healthz
  - name: other
    endpoints: [127.0.0.1:8081]
    health_check: {expected_statuses: []}
)";
  EXPECT_TRUE(rejects(text, 7, "clusters[0].health_check.healthy_threshold", "must be at least 1"));
  EXPECT_TRUE(
      rejects(text, 8, "clusters[0].health_check.unhealthy_threshold", "must be at least 1"));
  EXPECT_TRUE(rejects(text, 9, "clusters[0].health_check.expected_statuses[1]",
                      "must be between 100 and 599 (got 600)"));
  EXPECT_TRUE(rejects(text, 9, "clusters[0].health_check.expected_statuses[2]",
                      "must be between 100 and 599 (got 99)"));
  EXPECT_TRUE(rejects(text, 10, "clusters[0].health_check.path", "must start with '/'"));
  EXPECT_TRUE(rejects(text, 13, "clusters[1].health_check.expected_statuses",
                      "must list at least one status"));
}

TEST(PolicyValidation, TcpHealthCheckTakesNoHttpKeys) {
  EXPECT_TRUE(rejects(R"(
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - name: backend
    endpoints: [127.0.0.1:8080]
    health_check:
      type: tcp
      path: /healthz
)",
                      8, "clusters[0].health_check.path", "only for type: http health checks"));
}

TEST(PolicyValidation, RetryOnValues) {
  const std::string text = R"(
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - name: a
    endpoints: [127.0.0.1:8080]
    retry_policy: {retry_on: [5xx, timeout]}
  - name: b
    endpoints: [127.0.0.1:8080]
    retry_policy: {retry_on: []}
  - name: c
    endpoints: [127.0.0.1:8080]
    retry_policy: {retry_on: [5xx], retriable_status_codes: [409]}
  - name: d
    endpoints: [127.0.0.1:8080]
    retry_policy: {retry_on: [retriable-status-codes]}
  - name: backend
    endpoints: [127.0.0.1:8080]
    retry_policy: {retry_on: [retriable-status-codes, reset], retriable_status_codes: [409], num_retries: 0}
)";
  EXPECT_TRUE(rejects(text, 6, "clusters[0].retry_policy.retry_on[1]",
                      "invalid value \"timeout\" (expected one of: 5xx, gateway-error, reset, "
                      "connect-failure, refused-stream, retriable-status-codes)"));
  EXPECT_TRUE(rejects(text, 9, "clusters[1].retry_policy.retry_on", "must name at least one"));
  EXPECT_TRUE(rejects(text, 12, "clusters[2].retry_policy.retriable_status_codes",
                      "has no effect unless retry_on includes retriable-status-codes"));
  EXPECT_TRUE(
      rejects(text, 15, "clusters[3].retry_policy.retriable_status_codes", "must list codes"));
  EXPECT_TRUE(rejects(text, 18, "clusters[4].retry_policy.num_retries", "must be at least 1"));
  EXPECT_EQ(parse(text).errors.size(), 5u) << testing::describe(parse(text).errors);
}

TEST(PolicyValidation, OutlierDetectorFactors) {
  const std::string text = R"(
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - name: backend
    endpoints: [127.0.0.1:8080]
    outlier_detection:
      consecutive_5xx: 0
      success_rate: {stdev_factor: 0}
      latency: {threshold_factor: 1}
)";
  EXPECT_TRUE(
      rejects(text, 7, "clusters[0].outlier_detection.consecutive_5xx", "must be at least 1"));
  EXPECT_TRUE(rejects(text, 8, "clusters[0].outlier_detection.success_rate.stdev_factor",
                      "must be greater than 0"));
  EXPECT_TRUE(rejects(text, 9, "clusters[0].outlier_detection.latency.threshold_factor",
                      "must be greater than 1"));
}

TEST(PolicyValidation, RateLimitAndFaultShapes) {
  const std::string text = R"(
listeners:
  - name: web
    address: 127.0.0.1:0
    rate_limit: {burst: 5}
    routes:
      - cluster: backend
        fault: {max_active: 5}
      - cluster: backend
        fault:
          abort: {status: 100}
          delay: {percent: 5}
          max_active: 0
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)";
  EXPECT_TRUE(rejects(text, 4, "listeners[0].rate_limit.requests_per_second", "is required"));
  EXPECT_TRUE(rejects(text, 7, "listeners[0].routes[0].fault", "needs a delay, an abort, or both"));
  EXPECT_TRUE(rejects(text, 10, "listeners[0].routes[1].fault.abort.status",
                      "must be between 200 and 599 (got 100)"));
  EXPECT_TRUE(rejects(text, 11, "listeners[0].routes[1].fault.delay.duration", "is required"));
  EXPECT_TRUE(rejects(text, 12, "listeners[0].routes[1].fault.max_active", "must be at least 1"));
}

TEST(PolicyValidation, RateLimitNeedsAPositiveRate) {
  const std::string text = R"(
listeners:
  - name: web
    address: 127.0.0.1:0
    cluster: backend
    rate_limit: {requests_per_second: 0}
    routes:
      - {cluster: backend, rate_limit: {requests_per_second: 5, burst: 0}}
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)";
  EXPECT_TRUE(
      rejects(text, 5, "listeners[0].rate_limit.requests_per_second", "must be greater than 0"));
  EXPECT_TRUE(rejects(text, 7, "listeners[0].routes[0].rate_limit.burst", "must be at least 1"));
}

TEST(PolicyValidation, HeaderActivatedFaults) {
  const std::string text = R"(
listeners:
  - name: web
    address: 127.0.0.1:0
    routes:
      - cluster: backend
        fault: {header_activation: true}
      - cluster: backend
        fault:
          header_activation: true
          delay: {duration: 1s}
          abort: {status: 503, percent: 10}
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)";
  EXPECT_TRUE(rejects(text, 10, "listeners[0].routes[1].fault.delay.duration",
                      "not used with header_activation: true (the x-ferry-fault-delay request "
                      "header gives it)"));
  EXPECT_TRUE(rejects(text, 11, "listeners[0].routes[1].fault.abort.status",
                      "not used with header_activation: true (the x-ferry-fault-abort"));
  // A header-activated fault needs no kind: both apply at 100% when asked for.
  EXPECT_EQ(parse(text).errors.size(), 2u) << testing::describe(parse(text).errors);
}

}  // namespace
}  // namespace ferry::core
