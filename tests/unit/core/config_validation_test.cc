// One test per validation rule, each asserting the exact key path and line.

#include <string>

#include <gtest/gtest.h>

#include "config_test_support.h"

namespace ferry::core {
namespace {

using testing::parse;
using testing::rejects;

TEST(ConfigValidation, UnknownKeyTypo) {
  EXPECT_TRUE(rejects(R"(
listeners:
  - name: web
    address: 127.0.0.1:0
    protocol: tcp
    cluster: backend
    idel_timeout: 5s
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)",
                      6, "listeners[0].idel_timeout",
                      "unknown key (did you mean \"idle_timeout\"?)"));
}

TEST(ConfigValidation, UnknownTopLevelKey) {
  EXPECT_TRUE(rejects(R"(
listener:
  - name: web
)",
                      1, "listener", "unknown key (did you mean \"listeners\"?)"));
}

TEST(ConfigValidation, WrongTypes) {
  const std::string text = R"(
workers: "4"
drain: 5s
listeners: {name: web}
)";
  EXPECT_TRUE(rejects(text, 1, "workers", "expected an integer, got the quoted string \"4\""));
  EXPECT_TRUE(rejects(text, 2, "drain", "expected a map, got \"5s\""));
  EXPECT_TRUE(rejects(text, 3, "listeners", "expected a list, got a map"));
}

TEST(ConfigValidation, RootMustBeAMap) {
  EXPECT_TRUE(rejects("- a\n- b\n", 1, "", "the config must be a map of keys"));
  EXPECT_TRUE(rejects("just text\n", 1, "", "the config must be a map of keys"));
}

TEST(ConfigValidation, PortOutOfRange) {
  EXPECT_TRUE(rejects(R"(
listeners:
  - name: web
    address: 127.0.0.1:70000
    protocol: tcp
    cluster: backend
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)",
                      3, "listeners[0].address", "port 70000 is out of range (0-65535)"));
  EXPECT_TRUE(rejects(R"(
admin: {address: "[::1]:99999"}
listeners: []
)",
                      1, "admin.address", "port 99999 is out of range"));
}

TEST(ConfigValidation, ListenAddressMustBeNumeric) {
  EXPECT_TRUE(rejects(R"(
listeners:
  - {name: web, address: "localhost:80", protocol: tcp, cluster: backend}
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)",
                      2, "listeners[0].address", "expected a numeric IPv4:port or [IPv6]:port"));
}

TEST(ConfigValidation, DurationsNeedAUnitAndCannotBeNegative) {
  const std::string text = R"(
drain:
  timeout: 5
  propagation_delay: -1s
listeners:
  - name: web
    address: 127.0.0.1:0
    protocol: tcp
    cluster: backend
    idle_timeout: "300"
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080], connect_timeout: 1.5s}
)";
  EXPECT_TRUE(rejects(text, 2, "drain.timeout", "invalid duration \"5\""));
  EXPECT_TRUE(rejects(text, 3, "drain.propagation_delay", "durations cannot be negative"));
  EXPECT_TRUE(rejects(text, 9, "listeners[0].idle_timeout", "invalid duration \"300\""));
  EXPECT_TRUE(rejects(text, 11, "clusters[0].connect_timeout", "invalid duration \"1.5s\""));
}

TEST(ConfigValidation, ZeroIsInvalidForIntervals) {
  const std::string text = R"(
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - name: backend
    endpoints: [127.0.0.1:8080]
    dns_refresh_interval: 0s
    outlier_detection: {interval: 0s}
    health_check: {interval: 0s, timeout: 0s}
)";
  EXPECT_TRUE(rejects(text, 6, "clusters[0].dns_refresh_interval", "must be greater than 0s"));
  EXPECT_TRUE(
      rejects(text, 7, "clusters[0].outlier_detection.interval", "must be greater than 0s"));
  EXPECT_TRUE(rejects(text, 8, "clusters[0].health_check.interval", "must be greater than 0s"));
  EXPECT_TRUE(rejects(text, 8, "clusters[0].health_check.timeout", "must be greater than 0s"));
}

TEST(ConfigValidation, CountsAndSizesOfZeroAreInvalid) {
  const std::string text = R"(
listeners:
  - name: web
    address: 127.0.0.1:0
    protocol: tcp
    cluster: backend
    max_connections: 0
    per_connection_buffer_limit: 0
clusters:
  - name: backend
    endpoints: [127.0.0.1:8080]
    circuit_breakers: {max_connections: 0, max_pending_requests: 0, max_requests: 0, max_retries: 0}
    max_idle_connections: 0
)";
  EXPECT_TRUE(rejects(text, 6, "listeners[0].max_connections", "must be at least 1 (got 0)"));
  EXPECT_TRUE(
      rejects(text, 7, "listeners[0].per_connection_buffer_limit", "must be at least 1 byte"));
  for (const char* key :
       {"max_connections", "max_pending_requests", "max_requests", "max_retries"}) {
    EXPECT_TRUE(rejects(text, 11, std::string("clusters[0].circuit_breakers.") + key,
                        "must be at least 1 (got 0)"));
  }
  EXPECT_TRUE(rejects(text, 12, "clusters[0].max_idle_connections", "must be at least 1"));
}

TEST(ConfigValidation, WorkersRange) {
  EXPECT_TRUE(rejects("workers: 5000\n", 1, "workers", "must be between 0 and 1024 (got 5000)"));
  EXPECT_TRUE(rejects("workers: -1\n", 1, "workers", "must be between 0 and 1024 (got -1)"));
}

TEST(ConfigValidation, DuplicateListenerNames) {
  EXPECT_TRUE(rejects(R"(
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)",
                      3, "listeners[1].name",
                      "duplicate listener name \"web\" (also listeners[0])"));
}

TEST(ConfigValidation, DuplicateClusterNames) {
  EXPECT_TRUE(rejects(R"(
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
  - name: backend
    endpoints: [127.0.0.1:8081]
)",
                      5, "clusters[1].name",
                      "duplicate cluster name \"backend\" (also clusters[0])"));
}

TEST(ConfigValidation, DuplicateListenAddresses) {
  EXPECT_TRUE(rejects(R"(
listeners:
  - {name: a, address: 127.0.0.1:15001, protocol: tcp, cluster: backend}
  - {name: b, address: 127.0.0.1:15001, protocol: tcp, cluster: backend}
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)",
                      3, "listeners[1].address",
                      "address 127.0.0.1:15001 is already used by listeners[0]"));
}

TEST(ConfigValidation, WildcardAddressesOverlapTheirPort) {
  const std::string text = R"(
listeners:
  - {name: a, address: 0.0.0.0:15001, protocol: tcp, cluster: backend}
  - {name: b, address: 10.1.2.3:15001, protocol: tcp, cluster: backend}
  - {name: c, address: "[::]:15002", protocol: tcp, cluster: backend}
  - {name: d, address: 127.0.0.1:15002, protocol: tcp, cluster: backend}
  - {name: e, address: "[::1]:15001", protocol: tcp, cluster: backend}
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)";
  EXPECT_TRUE(rejects(text, 3, "listeners[1].address", "already used by listeners[0]"));
  EXPECT_TRUE(rejects(text, 5, "listeners[3].address", "already used by listeners[2]"));
  // 0.0.0.0 does not take IPv6 addresses.
  const auto result = parse(text);
  EXPECT_FALSE(testing::has_error(result.errors, 6, "listeners[4].address", "already used"));
}

TEST(ConfigValidation, ListenersMayNotTakeTheAdminAddress) {
  EXPECT_TRUE(rejects(R"(
listeners:
  - {name: a, address: 127.0.0.1:9901, protocol: tcp, cluster: backend}
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)",
                      2, "listeners[0].address", "already used by admin.address"));
}

TEST(ConfigValidation, PortZeroNeverConflicts) {
  testing::parse_ok(R"(
admin: {address: 127.0.0.1:0}
listeners:
  - {name: a, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
  - {name: b, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)");
}

TEST(ConfigValidation, ListenerClusterMustExist) {
  EXPECT_TRUE(rejects(R"(
listeners:
  - name: web
    address: 127.0.0.1:0
    protocol: tcp
    cluster: nope
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)",
                      5, "listeners[0].cluster", "unknown cluster \"nope\""));
}

TEST(ConfigValidation, RouteClusterMustExist) {
  EXPECT_TRUE(rejects(R"(
listeners:
  - name: web
    address: 127.0.0.1:0
    routes:
      - prefix: /api
        cluster: api
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)",
                      6, "listeners[0].routes[0].cluster", "unknown cluster \"api\""));
}

TEST(ConfigValidation, RouteNeedsACluster) {
  EXPECT_TRUE(rejects(R"(
listeners:
  - name: web
    address: 127.0.0.1:0
    routes:
      - prefix: /api
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)",
                      5, "listeners[0].routes[0].cluster", "is required"));
}

TEST(ConfigValidation, ClusterNeedsEndpointsOrDiscovery) {
  EXPECT_TRUE(rejects(R"(
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - name: backend
    connect_timeout: 1s
)",
                      4, "clusters[0]", "cluster \"backend\" needs endpoints or discovery"));
}

TEST(ConfigValidation, ClusterTakesEndpointsXorDiscovery) {
  EXPECT_TRUE(rejects(R"(
control_plane: {addresses: [127.0.0.1:9000]}
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - name: backend
    endpoints: [127.0.0.1:8080]
    discovery: {namespace: mesh, service: backend}
)",
                      7, "clusters[0].discovery", "endpoints or discovery, not both"));
}

TEST(ConfigValidation, EmptyEndpointsList) {
  EXPECT_TRUE(rejects(R"(
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - name: backend
    endpoints: []
)",
                      5, "clusters[0].endpoints", "must not be empty"));
}

TEST(ConfigValidation, DiscoveryNeedsControlPlane) {
  EXPECT_TRUE(rejects(R"(
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - name: backend
    discovery: {namespace: mesh, service: backend}
)",
                      5, "clusters[0].discovery", "needs control_plane"));
}

TEST(ConfigValidation, DiscoveryNames) {
  const std::string text = R"(
control_plane: {addresses: [127.0.0.1:9000]}
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - name: backend
    discovery:
      namespace: "has space"
      service: -bad-
      query_parameters: {"": x}
)";
  EXPECT_TRUE(rejects(text, 7, "clusters[0].discovery.namespace", "invalid namespace name"));
  EXPECT_TRUE(rejects(text, 8, "clusters[0].discovery.service", "invalid service name"));
  EXPECT_TRUE(rejects(text, 9, "clusters[0].discovery.query_parameters", "invalid attribute name"));
}

TEST(ConfigValidation, EndpointForms) {
  const std::string text = R"(
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - name: backend
    endpoints:
      - backend
      - "::1:8080"
      - under_score.local:80
      - 10.0.0.1:0
      - 10.0.0.1:65536
      - 999.1.1.1:80
      - 10.0.0.1:80
      - 10.0.0.1:80
)";
  EXPECT_TRUE(rejects(text, 6, "clusters[0].endpoints[0]", "invalid address \"backend\""));
  EXPECT_TRUE(rejects(text, 7, "clusters[0].endpoints[1]", "invalid address \"::1:8080\""));
  EXPECT_TRUE(rejects(text, 8, "clusters[0].endpoints[2]", "invalid address"));
  EXPECT_TRUE(rejects(text, 9, "clusters[0].endpoints[3]", "port 0 is not a valid destination"));
  EXPECT_TRUE(rejects(text, 10, "clusters[0].endpoints[4]", "port 65536 is out of range"));
  EXPECT_TRUE(rejects(text, 11, "clusters[0].endpoints[5]", "invalid address \"999.1.1.1:80\""));
  EXPECT_TRUE(rejects(text, 13, "clusters[0].endpoints[7]", "duplicate endpoint"));
  EXPECT_FALSE(testing::has_error(parse(text).errors, 12, "clusters[0].endpoints[6]", ""));
}

TEST(ConfigValidation, TcpListenerTakesNoRoutes) {
  EXPECT_TRUE(rejects(R"(
listeners:
  - name: web
    address: 127.0.0.1:0
    protocol: tcp
    cluster: backend
    routes:
      - {cluster: backend}
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)",
                      6, "listeners[0].routes", "only for http listeners (this listener is tcp)"));
}

TEST(ConfigValidation, TcpListenerTakesNoHttpOnlyKeys) {
  const std::string text = R"(
listeners:
  - name: web
    address: 127.0.0.1:0
    protocol: tcp
    cluster: backend
    request_headers_timeout: 5s
    stream_idle_timeout: 5s
    headers_with_underscores_action: drop
    request_timeout: 5s
    max_request_headers_size: 1KiB
    max_request_headers_count: 10
    max_request_target_size: 1KiB
    x_forwarded_for: off
    rate_limit: {requests_per_second: 5}
    access_log: {path: /tmp/tcp.log}
    idle_timeout: 10s
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)";
  const auto result = parse(text);
  ASSERT_FALSE(result.ok());
  int line = 6;
  for (const char* key :
       {"request_headers_timeout", "stream_idle_timeout", "headers_with_underscores_action",
        "request_timeout", "max_request_headers_size", "max_request_headers_count",
        "max_request_target_size", "x_forwarded_for", "rate_limit"}) {
    EXPECT_TRUE(testing::has_error(result.errors, line++, std::string("listeners[0].") + key,
                                   "only for http listeners"));
  }
  // access_log and idle_timeout apply to tcp too.
  EXPECT_EQ(result.errors.size(), 9u) << testing::describe(result.errors);
}

TEST(ConfigValidation, TcpListenerNeedsACluster) {
  EXPECT_TRUE(rejects(R"(
listeners:
  - name: web
    address: 127.0.0.1:0
    protocol: tcp
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)",
                      2, "listeners[0].cluster", "is required for a tcp listener"));
}

TEST(ConfigValidation, HttpListenerNeedsAClusterOrRoutes) {
  EXPECT_TRUE(rejects(R"(
listeners:
  - name: web
    address: 127.0.0.1:0
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)",
                      2, "listeners[0].cluster", "needs a default cluster or routes"));
}

TEST(ConfigValidation, ListenerNeedsNameAndAddress) {
  const std::string text = R"(
listeners:
  - protocol: tcp
    cluster: backend
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)";
  EXPECT_TRUE(rejects(text, 2, "listeners[0].name", "is required"));
  EXPECT_TRUE(rejects(text, 2, "listeners[0].address", "is required"));
}

TEST(ConfigValidation, NamesAreIdentifiers) {
  const std::string text = R"(
listeners:
  - {name: "my listener", address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - {name: "back/end", endpoints: [127.0.0.1:8080]}
  - {name: "", endpoints: [127.0.0.1:8080]}
)";
  EXPECT_TRUE(rejects(text, 2, "listeners[0].name", "invalid name \"my listener\""));
  EXPECT_TRUE(rejects(text, 4, "clusters[0].name", "invalid name \"back/end\""));
  EXPECT_TRUE(rejects(text, 5, "clusters[1].name", "must not be empty"));
}

TEST(ConfigValidation, EnumValues) {
  const std::string text = R"(
listeners:
  - name: web
    address: 127.0.0.1:0
    protocol: udp
    direction: sideways
    headers_with_underscores_action: ignore
    x_forwarded_for: keep
    cluster: backend
clusters:
  - name: backend
    endpoints: [127.0.0.1:8080]
    protocol: http3
    lb_policy: maglev
)";
  EXPECT_TRUE(rejects(text, 4, "listeners[0].protocol",
                      "invalid value \"udp\" (expected one of: tcp, http)"));
  EXPECT_TRUE(rejects(text, 5, "listeners[0].direction", "expected one of: ingress, egress"));
  EXPECT_TRUE(rejects(text, 6, "listeners[0].headers_with_underscores_action",
                      "expected one of: allow, drop, reject"));
  EXPECT_TRUE(
      rejects(text, 7, "listeners[0].x_forwarded_for", "expected one of: append, replace, off"));
  EXPECT_TRUE(rejects(text, 12, "clusters[0].protocol", "expected one of: http1, http2"));
  EXPECT_TRUE(rejects(text, 13, "clusters[0].lb_policy",
                      "expected one of: round_robin, least_request, random, ewma"));
}

TEST(ConfigValidation, RoutePrefixAndAuthority) {
  const std::string text = R"(
listeners:
  - name: web
    address: 127.0.0.1:0
    routes:
      - {prefix: api, cluster: backend}
      - {prefix: "/a?b", cluster: backend}
      - {authority: "*.local", cluster: backend}
      - {authority: "a b", cluster: backend}
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)";
  EXPECT_TRUE(rejects(text, 5, "listeners[0].routes[0].prefix", "invalid prefix \"api\""));
  EXPECT_TRUE(rejects(text, 6, "listeners[0].routes[1].prefix", "invalid prefix"));
  EXPECT_TRUE(
      rejects(text, 7, "listeners[0].routes[2].authority", "invalid authority \"*.local\""));
  EXPECT_TRUE(rejects(text, 8, "listeners[0].routes[3].authority", "invalid authority"));
}

TEST(ConfigValidation, DrainDelayWithinTimeout) {
  EXPECT_TRUE(rejects(R"(
drain:
  propagation_delay: 30s
  timeout: 20s
listeners: []
)",
                      2, "drain.propagation_delay", "must not exceed timeout (20s)"));
}

TEST(ConfigValidation, ControlPlaneShape) {
  const std::string text = R"(
control_plane:
  addresses: []
  region: US_EAST
  watch_timeout: 0s
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)";
  EXPECT_TRUE(rejects(text, 2, "control_plane.addresses", "at least one control-plane address"));
  EXPECT_TRUE(rejects(text, 3, "control_plane.region", "invalid region \"US_EAST\""));
  EXPECT_TRUE(rejects(text, 4, "control_plane.watch_timeout", "must be greater than 0s"));
  EXPECT_TRUE(
      rejects("control_plane: {region: us-west-2}\n", 1, "control_plane.addresses", "is required"));
}

TEST(ConfigValidation, NothingToDo) {
  EXPECT_TRUE(rejects("", 1, "listeners", "no listeners and no service_connect"));
  EXPECT_TRUE(rejects("workers: 2\nlisteners: []\n", 2, "listeners", "no listeners"));
}

TEST(ConfigValidation, EveryErrorIsReportedSortedByLine) {
  const auto result = parse(R"(
workers: lots
listeners:
  - name: web
    address: 127.0.0.1:0
    protocol: tcp
    cluster: missing
    idel_timeout: 5s
clusters:
  - name: backend
    endpoints: [127.0.0.1:99999]
    lb_policy: fastest
)");
  ASSERT_FALSE(result.ok());
  ASSERT_EQ(result.errors.size(), 5u) << testing::describe(result.errors);
  const int lines[] = {1, 6, 7, 10, 11};
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(result.errors[i].line, lines[i]) << testing::describe(result.errors);
    EXPECT_EQ(result.errors[i].file, "test.yaml");
  }
}

}  // namespace
}  // namespace ferry::core
