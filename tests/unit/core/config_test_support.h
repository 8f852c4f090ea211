#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "proxy/core/config/load.h"

// Helpers shared by the config_*_test.cc files.

namespace ferry::core::testing {

// Test YAML is written as a raw string that starts with a newline, so that
// line 1 is the first line of text in the source.
inline std::string yaml(std::string_view text) {
  if (!text.empty() && text.front() == '\n') {
    text.remove_prefix(1);
  }
  return std::string(text);
}

// Parses with the schema only (no not-implemented table), as "test.yaml".
inline LoadResult parse(std::string_view text) {
  LoadOptions options;
  options.not_implemented = {};
  return parse_proxy_config(yaml(text), "test.yaml", options);
}

inline std::string describe(const std::vector<ConfigError>& errors) {
  std::string out;
  for (const ConfigError& error : errors) {
    out += "  " + error.to_string() + "\n";
  }
  return out.empty() ? "  (no errors)\n" : out;
}

// Parses `text`, which must be valid, and returns the config.
inline ProxyConfig parse_ok(std::string_view text) {
  LoadResult result = parse(text);
  EXPECT_TRUE(result.ok()) << describe(result.errors);
  return result.ok() ? std::move(*result.config) : ProxyConfig{};
}

// Whether `errors` holds one at exactly `line` and `path` whose message
// contains `fragment`.
inline ::testing::AssertionResult has_error(const std::vector<ConfigError>& errors, int line,
                                            std::string_view path, std::string_view fragment) {
  for (const ConfigError& error : errors) {
    if (error.line == line && error.path == path &&
        error.message.find(fragment) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure() << "no error at line " << line << " path \"" << path
                                       << "\" containing \"" << fragment << "\"; got:\n"
                                       << describe(errors);
}

// Parses `text`, which must be invalid, and checks for the error.
inline ::testing::AssertionResult rejects(std::string_view text, int line, std::string_view path,
                                          std::string_view fragment) {
  const LoadResult result = parse(text);
  if (result.ok()) {
    return ::testing::AssertionFailure() << "config was accepted";
  }
  return has_error(result.errors, line, path, fragment);
}

// A valid file that other tests extend: one tcp listener and one cluster.
inline constexpr std::string_view kMinimal = R"(
listeners:
  - name: web
    address: 127.0.0.1:0
    protocol: tcp
    cluster: backend
clusters:
  - name: backend
    endpoints: [127.0.0.1:8080]
)";

// Every key of the schema, most with a value other than its default; valid
// for the schema alone (the not-implemented table refuses much of it).
inline constexpr std::string_view kEverything = R"(
admin: {address: 127.0.0.1:9902}
workers: 4
drain: {propagation_delay: 1s, timeout: 10s}
control_plane:
  addresses: [127.0.0.1:9000, "cp.internal:9001", "[::1]:9002"]
  credentials_file: /etc/ferry/creds
  snapshot_path: /var/lib/ferry/snapshot.json
  region: eu-west-1
  watch_timeout: 20s
  request_timeout: 2s
  reconnect_backoff: {base_interval: 100ms, max_interval: 10s}
  heartbeat_interval: 3s
listeners:
  - name: web
    address: 127.0.0.1:15001
    protocol: http
    direction: egress
    cluster: backend
    max_connections: 1000
    idle_timeout: 120s
    request_headers_timeout: 5s
    stream_idle_timeout: 60s
    headers_with_underscores_action: reject
    request_timeout: 30s
    max_request_headers_size: 32KiB
    max_request_headers_count: 50
    max_request_target_size: 8KiB
    per_connection_buffer_limit: 512KiB
    x_forwarded_for: replace
    access_log: {path: /var/log/ferry/web.log}
    rate_limit: {requests_per_second: 100, burst: 200}
    routes:
      - prefix: /api
        authority: api.local
        cluster: api
        timeout: 5s
        retry_policy:
          retry_on: [5xx, retriable-status-codes]
          num_retries: 3
          per_try_timeout: 1s
          retriable_status_codes: [409]
          retry_back_off: {base_interval: 10ms, max_interval: 100ms}
          budget: {budget_percent: 25.5, min_retry_concurrency: 5}
          max_body_size: 128KiB
        rate_limit: {requests_per_second: 10}
        allow_connect: true
        allow_upgrade: false
        fault:
          delay: {duration: 100ms, percent: 10}
          abort: {status: 503, percent: 0.5}
          max_active: 20
      - prefix: /chaos
        cluster: api
        fault: {header_activation: true, abort: {percent: 50}}
  - name: db
    address: "[::1]:15002"
    protocol: tcp
    cluster: backend
clusters:
  - name: backend
    protocol: http2
    endpoints: [127.0.0.1:8080, "backend.internal:8080", "[::1]:8081"]
    connect_timeout: 2s
    lb_policy: least_request
    retry_policy: {num_retries: 2}
    outlier_detection:
      consecutive_5xx: 3
      consecutive_gateway_failure: 4
      interval: 5s
      base_ejection_time: 10s
      max_ejection_time: 100s
      max_ejection_percent: 33.3
      success_rate: {minimum_hosts: 4, request_volume: 20, stdev_factor: 2.5}
      latency: {minimum_hosts: 2, request_volume: 10, threshold_factor: 4}
    health_check:
      type: http
      path: /ready
      expected_statuses: [200, 204]
      interval: 2s
      timeout: 500ms
      healthy_threshold: 3
      unhealthy_threshold: 4
      interval_jitter_percent: 5
      host: backend.local
    circuit_breakers: {max_connections: 10, max_pending_requests: 20, max_requests: 30, max_retries: 4}
    healthy_panic_threshold: 0
    dns_refresh_interval: 30s
    idle_timeout: 90s
    max_idle_connections: 8
    per_connection_buffer_limit: 2MiB
    tcp_keepalive: {time: 30s, interval: 5s, probes: 5}
    tcp_user_timeout: 10s
  - name: api
    discovery:
      namespace: mesh.local
      service: api
      query_parameters: {version: v2}
      optional_parameters: {az: us-east-1a}
    health_check: {type: tcp}
service_connect:
  namespace: mesh.local
  hosts_file: /etc/hosts
  advertise_address: 10.0.1.5
  services:
    - portName: http
      port: 8080
      appProtocol: http
      discoveryName: backend
      ingressPortOverride: 15000
      clientAliases: [{port: 80, dnsName: backend}]
      timeout: {idleTimeoutSeconds: 120, perRequestTimeoutSeconds: 10}
    - portName: db
      port: 5432
)";

}  // namespace ferry::core::testing
