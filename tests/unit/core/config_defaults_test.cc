// Every default of the schema, and what absent / 0 / {} mean.

#include <string>

#include <gtest/gtest.h>

#include "config_test_support.h"
#include "proxy/core/config/proxy_config.h"

namespace ferry::core {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::parse_ok;

TEST(ConfigDefaults, TopLevel) {
  const ProxyConfig config = parse_ok(testing::kMinimal);
  EXPECT_EQ(config.admin.address.to_string(), "127.0.0.1:9901");
  EXPECT_EQ(config.workers, 0u);
  EXPECT_EQ(config.drain.propagation_delay, seconds(2));
  EXPECT_EQ(config.drain.timeout, seconds(20));
  EXPECT_FALSE(config.control_plane.has_value());
  EXPECT_FALSE(config.service_connect.has_value());
  ASSERT_EQ(config.listeners.size(), 1u);
  ASSERT_EQ(config.clusters.size(), 1u);
  EXPECT_EQ(config.find_cluster("backend"), &config.clusters[0]);
  EXPECT_EQ(config.find_cluster("nope"), nullptr);
  EXPECT_EQ(config.find_listener("web"), &config.listeners[0]);
}

TEST(ConfigDefaults, TcpListener) {
  const ListenerConfig listener = parse_ok(testing::kMinimal).listeners[0];
  EXPECT_EQ(listener.name, "web");
  EXPECT_EQ(listener.address.to_string(), "127.0.0.1:0");
  EXPECT_EQ(listener.protocol, ListenerProtocol::Tcp);
  EXPECT_EQ(listener.direction, Direction::Ingress);
  EXPECT_EQ(listener.cluster, "backend");
  EXPECT_EQ(listener.max_connections, 16384u);
  EXPECT_EQ(listener.idle_timeout, seconds(3600));  // tcp: an hour
  EXPECT_EQ(listener.per_connection_buffer_limit, 1024u * 1024);
  EXPECT_FALSE(listener.access_log.has_value());
  EXPECT_TRUE(listener.routes.empty());
}

TEST(ConfigDefaults, HttpListener) {
  const ProxyConfig config = parse_ok(R"(
listeners:
  - name: web
    address: 127.0.0.1:15001
    cluster: backend
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)");
  const ListenerConfig& l = config.listeners[0];
  EXPECT_EQ(l.protocol, ListenerProtocol::Http);  // DESIGN: http unless told
  EXPECT_EQ(l.idle_timeout, seconds(300));
  EXPECT_EQ(l.request_headers_timeout, seconds(10));
  EXPECT_EQ(l.stream_idle_timeout, seconds(300));
  EXPECT_EQ(l.headers_with_underscores_action, UnderscoresAction::Allow);
  EXPECT_EQ(l.request_timeout, seconds(15));
  EXPECT_EQ(l.max_request_headers_size, 60u * 1024);
  EXPECT_EQ(l.max_request_headers_count, 100u);
  EXPECT_EQ(l.max_request_target_size, 16u * 1024);
  EXPECT_EQ(l.x_forwarded_for, XForwardedFor::Append);
  EXPECT_FALSE(l.rate_limit.has_value());
}

TEST(ConfigDefaults, RoutesInheritTheListenerRequestTimeout) {
  const ProxyConfig config = parse_ok(R"(
listeners:
  - name: web
    address: 127.0.0.1:15001
    request_timeout: 7s
    routes:
      - cluster: backend
      - {prefix: /slow, cluster: backend, timeout: 0s}
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)");
  const auto& routes = config.listeners[0].routes;
  ASSERT_EQ(routes.size(), 2u);
  EXPECT_EQ(routes[0].prefix, "/");
  EXPECT_FALSE(routes[0].authority.has_value());
  EXPECT_EQ(routes[0].timeout, seconds(7));
  EXPECT_FALSE(routes[0].retry_policy.has_value());
  EXPECT_FALSE(routes[0].rate_limit.has_value());
  EXPECT_FALSE(routes[0].allow_connect);
  EXPECT_TRUE(routes[0].allow_upgrade);
  EXPECT_FALSE(routes[0].fault.has_value());
  EXPECT_EQ(routes[1].timeout, Duration::zero());  // 0s: no timeout
  EXPECT_FALSE(config.listeners[0].cluster.has_value());
}

TEST(ConfigDefaults, RouteAuthorityIsLowerCasedWithoutPort) {
  const ProxyConfig config = parse_ok(R"(
listeners:
  - name: web
    address: 127.0.0.1:15001
    routes:
      - {authority: API.Local:8080, cluster: backend}
      - {authority: "[::1]:80", cluster: backend}
      - {authority: 10.0.0.1, cluster: backend}
      - {authority: "Web.Local.:443", cluster: backend}
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)");
  const auto& routes = config.listeners[0].routes;
  EXPECT_EQ(routes[0].authority, "api.local");
  EXPECT_EQ(routes[1].authority, "[::1]");
  EXPECT_EQ(routes[2].authority, "10.0.0.1");
  EXPECT_EQ(routes[3].authority, "web.local");
}

TEST(ConfigDefaults, Cluster) {
  const ClusterConfig c = parse_ok(testing::kMinimal).clusters[0];
  EXPECT_EQ(c.protocol, UpstreamProtocol::Http1);
  ASSERT_EQ(c.endpoints.size(), 1u);
  EXPECT_EQ(c.endpoints[0].host, "127.0.0.1");
  EXPECT_EQ(c.endpoints[0].port, 8080);
  EXPECT_FALSE(c.discovery.has_value());
  EXPECT_EQ(c.connect_timeout, seconds(5));
  EXPECT_EQ(c.lb_policy, LbPolicy::RoundRobin);
  EXPECT_FALSE(c.retry_policy.has_value());
  EXPECT_FALSE(c.outlier_detection.has_value());
  EXPECT_FALSE(c.health_check.has_value());
  EXPECT_EQ(c.circuit_breakers.max_connections, 1024u);
  EXPECT_EQ(c.circuit_breakers.max_pending_requests, 1024u);
  EXPECT_EQ(c.circuit_breakers.max_requests, 1024u);
  EXPECT_EQ(c.circuit_breakers.max_retries, 3u);
  EXPECT_DOUBLE_EQ(c.healthy_panic_threshold, 50);
  EXPECT_EQ(c.dns_refresh_interval, seconds(5));
  EXPECT_EQ(c.idle_timeout, seconds(60));
  EXPECT_EQ(c.max_idle_connections, 64u);
  EXPECT_EQ(c.per_connection_buffer_limit, 1024u * 1024);
  EXPECT_EQ(c.tcp_keepalive.time, seconds(60));
  EXPECT_EQ(c.tcp_keepalive.interval, seconds(10));
  EXPECT_EQ(c.tcp_keepalive.probes, 3u);
  EXPECT_EQ(c.tcp_user_timeout, seconds(30));
}

TEST(ConfigDefaults, EndpointsTakeIpsV6AndNames) {
  const ProxyConfig config = parse_ok(R"(
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - name: backend
    endpoints: [10.0.0.1:80, "[fd00::1]:8080", "backend.internal:9000"]
)");
  const auto& endpoints = config.clusters[0].endpoints;
  ASSERT_EQ(endpoints.size(), 3u);
  EXPECT_EQ(endpoints[1].host, "fd00::1");
  EXPECT_EQ(endpoints[1].port, 8080);
  EXPECT_EQ(endpoints[2].host, "backend.internal");
  EXPECT_EQ(endpoints[2].port, 9000);
}

TEST(ConfigDefaults, EmptyPolicyMapsTurnPoliciesOnWithDefaults) {
  const ProxyConfig config = parse_ok(R"(
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - name: backend
    endpoints: [127.0.0.1:8080]
    retry_policy: {budget: {}}
    outlier_detection: {success_rate: {}, latency: {}}
    health_check: {}
)");
  const ClusterConfig& c = config.clusters[0];
  ASSERT_TRUE(c.retry_policy.has_value());
  const RetryPolicy& retry = *c.retry_policy;
  EXPECT_EQ(retry.retry_on,
            (std::vector<RetryOn>{RetryOn::FiveXx, RetryOn::GatewayError, RetryOn::Reset,
                                  RetryOn::ConnectFailure, RetryOn::RefusedStream}));
  EXPECT_TRUE(retry.retries_on(RetryOn::Reset));
  EXPECT_FALSE(retry.retries_on(RetryOn::RetriableStatusCodes));
  EXPECT_EQ(retry.num_retries, 1u);
  EXPECT_EQ(retry.per_try_timeout, Duration::zero());
  EXPECT_TRUE(retry.retriable_status_codes.empty());
  EXPECT_EQ(retry.retry_back_off.base_interval, milliseconds(25));
  EXPECT_EQ(retry.retry_back_off.max_interval, milliseconds(250));
  ASSERT_TRUE(retry.budget.has_value());
  EXPECT_DOUBLE_EQ(retry.budget->budget_percent, 20);
  EXPECT_EQ(retry.budget->min_retry_concurrency, 3u);
  EXPECT_EQ(retry.max_body_size, 64u * 1024);

  ASSERT_TRUE(c.outlier_detection.has_value());
  const OutlierDetection& od = *c.outlier_detection;
  EXPECT_EQ(od.consecutive_5xx, 5u);
  EXPECT_EQ(od.consecutive_gateway_failure, 5u);
  EXPECT_EQ(od.interval, seconds(10));
  EXPECT_EQ(od.base_ejection_time, seconds(30));
  EXPECT_EQ(od.max_ejection_time, seconds(300));
  EXPECT_DOUBLE_EQ(od.max_ejection_percent, 10);
  ASSERT_TRUE(od.success_rate.has_value());
  EXPECT_EQ(od.success_rate->minimum_hosts, 5u);
  EXPECT_EQ(od.success_rate->request_volume, 100u);
  EXPECT_DOUBLE_EQ(od.success_rate->stdev_factor, 1.9);
  ASSERT_TRUE(od.latency.has_value());
  EXPECT_EQ(od.latency->minimum_hosts, 3u);
  EXPECT_EQ(od.latency->request_volume, 50u);
  EXPECT_DOUBLE_EQ(od.latency->threshold_factor, 3.0);

  ASSERT_TRUE(c.health_check.has_value());
  const HealthCheck& hc = *c.health_check;
  EXPECT_EQ(hc.type, HealthCheckType::Http);
  EXPECT_EQ(hc.path, "/healthz");
  EXPECT_EQ(hc.expected_statuses, (std::vector<std::uint16_t>{200}));
  EXPECT_EQ(hc.interval, seconds(5));
  EXPECT_EQ(hc.timeout, seconds(1));
  EXPECT_EQ(hc.healthy_threshold, 2u);
  EXPECT_EQ(hc.unhealthy_threshold, 2u);
  EXPECT_DOUBLE_EQ(hc.interval_jitter_percent, 10);
  EXPECT_EQ(hc.host, "backend");  // the cluster's name
}

TEST(ConfigDefaults, AbsentSubPoliciesStayOff) {
  const ProxyConfig config = parse_ok(R"(
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - name: backend
    endpoints: [127.0.0.1:8080]
    retry_policy: {}
    outlier_detection: {}
)");
  EXPECT_FALSE(config.clusters[0].retry_policy->budget.has_value());
  EXPECT_FALSE(config.clusters[0].outlier_detection->success_rate.has_value());
  EXPECT_FALSE(config.clusters[0].outlier_detection->latency.has_value());
}

TEST(ConfigDefaults, RateLimitFaultAndAccessLog) {
  const ProxyConfig config = parse_ok(R"(
listeners:
  - name: web
    address: 127.0.0.1:15001
    rate_limit: {requests_per_second: 50}
    access_log: {path: /tmp/access.log}
    routes:
      - cluster: backend
        rate_limit: {requests_per_second: 10, burst: 30}
        fault: {delay: {duration: 100ms}, abort: {status: 503, percent: 5}}
      - cluster: backend
        rate_limit: {requests_per_second: 0.5}
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)");
  const ListenerConfig& l = config.listeners[0];
  EXPECT_DOUBLE_EQ(l.rate_limit->requests_per_second, 50);
  EXPECT_EQ(l.rate_limit->burst, 50u);  // default: one second's worth
  EXPECT_EQ(l.access_log->path, "/tmp/access.log");
  const RouteConfig& r = l.routes[0];
  EXPECT_EQ(r.rate_limit->burst, 30u);
  EXPECT_DOUBLE_EQ(l.routes[1].rate_limit->requests_per_second, 0.5);
  EXPECT_EQ(l.routes[1].rate_limit->burst, 1u);
  ASSERT_TRUE(r.fault.has_value());
  EXPECT_EQ(r.fault->delay->duration, milliseconds(100));
  EXPECT_DOUBLE_EQ(r.fault->delay->percent, 100);
  EXPECT_EQ(r.fault->abort->status, 503);
  EXPECT_DOUBLE_EQ(r.fault->abort->percent, 5);
  EXPECT_FALSE(r.fault->header_activation);
  EXPECT_EQ(r.fault->max_active, 100u);
}

TEST(ConfigDefaults, ControlPlane) {
  const ProxyConfig config = parse_ok(R"(
control_plane:
  addresses: [127.0.0.1:9000, "cp.internal:9000"]
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - name: backend
    discovery: {namespace: mesh.local, service: backend}
)");
  ASSERT_TRUE(config.control_plane.has_value());
  const ControlPlaneConfig& cp = *config.control_plane;
  ASSERT_EQ(cp.addresses.size(), 2u);
  EXPECT_EQ(cp.addresses[1].host, "cp.internal");
  EXPECT_FALSE(cp.credentials_file.has_value());
  EXPECT_FALSE(cp.snapshot_path.has_value());
  EXPECT_EQ(cp.region, "us-east-1");
  EXPECT_EQ(cp.watch_timeout, seconds(30));
  EXPECT_EQ(cp.request_timeout, seconds(5));
  EXPECT_EQ(cp.reconnect_backoff.base_interval, milliseconds(250));
  EXPECT_EQ(cp.reconnect_backoff.max_interval, seconds(30));
  EXPECT_EQ(cp.heartbeat_interval, seconds(5));
  const DiscoveryConfig& d = *config.clusters[0].discovery;
  EXPECT_EQ(d.namespace_name, "mesh.local");
  EXPECT_EQ(d.service, "backend");
  EXPECT_TRUE(d.query_parameters.empty());
  EXPECT_TRUE(config.clusters[0].endpoints.empty());
}

TEST(ConfigDefaults, ZeroDurationsDisable) {
  const ProxyConfig config = parse_ok(R"(
drain: {propagation_delay: 0s, timeout: 0s}
listeners:
  - name: web
    address: 127.0.0.1:15001
    cluster: backend
    idle_timeout: 0s
    request_headers_timeout: 0s
    stream_idle_timeout: 0s
    request_timeout: 0s
clusters:
  - name: backend
    endpoints: [127.0.0.1:8080]
    connect_timeout: 0s
    idle_timeout: 0s
    tcp_user_timeout: 0s
    tcp_keepalive: {time: 0s}
)");
  EXPECT_EQ(config.drain.timeout, Duration::zero());
  EXPECT_EQ(config.listeners[0].idle_timeout, Duration::zero());
  EXPECT_EQ(config.listeners[0].request_timeout, Duration::zero());
  EXPECT_EQ(config.clusters[0].connect_timeout, Duration::zero());
  EXPECT_EQ(config.clusters[0].tcp_keepalive.time, Duration::zero());
}

TEST(ConfigDefaults, SizesTakeUnitsOrBytes) {
  const ProxyConfig config = parse_ok(R"(
listeners:
  - name: web
    address: 127.0.0.1:15001
    cluster: backend
    max_request_headers_size: 32KiB
    max_request_target_size: 4096
    per_connection_buffer_limit: 2MiB
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080], per_connection_buffer_limit: "1GiB"}
)");
  EXPECT_EQ(config.listeners[0].max_request_headers_size, 32u * 1024);
  EXPECT_EQ(config.listeners[0].max_request_target_size, 4096u);
  EXPECT_EQ(config.listeners[0].per_connection_buffer_limit, 2u * 1024 * 1024);
  EXPECT_EQ(config.clusters[0].per_connection_buffer_limit, 1ull << 30);
}

TEST(ConfigDefaults, NullValuesAreAbsent) {
  const ProxyConfig config = parse_ok(R"(
admin:
workers: null
control_plane:
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend, access_log: null}
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080], retry_policy: ~}
)");
  EXPECT_EQ(config.workers, 0u);
  EXPECT_FALSE(config.control_plane.has_value());
  EXPECT_FALSE(config.clusters[0].retry_policy.has_value());
}

}  // namespace
}  // namespace ferry::core
