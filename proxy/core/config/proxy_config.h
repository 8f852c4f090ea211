#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/core/address.h"
#include "proxy/core/duration.h"

// The whole `ferry-proxy` config schema as typed, validated values. Every
// field carries its effective value after loading: defaults are filled in,
// defaults that depend on other keys (a tcp listener's idle timeout, a
// route's timeout) are resolved. Policies that are off when absent are
// std::optional. Key names and defaults are DESIGN.md's; keys marked
// "extension" are ferry's own. REFERENCE.md is the user-facing version.
//
// A ProxyConfig is built once by the loader (load.h) and then only read; the
// runtime shares it as std::shared_ptr<const ProxyConfig>.

namespace ferry::core {

inline constexpr std::uint64_t kKiB = 1024;
inline constexpr std::uint64_t kMiB = 1024 * kKiB;

// ---- enums (spellings in config_enums.h) ----

enum class ListenerProtocol { Tcp, Http };
enum class Direction { Ingress, Egress };
enum class UnderscoresAction { Allow, Drop, Reject };
enum class XForwardedFor { Append, Replace, Off };
enum class UpstreamProtocol { Http1, Http2 };
enum class LbPolicy { RoundRobin, LeastRequest, Random, Ewma };
enum class HealthCheckType { Http, Tcp };
enum class AppProtocol { Http, Http2, Grpc, Tcp };
enum class RetryOn {
  FiveXx,                // 5xx: any 5xx response (includes gateway-error)
  GatewayError,          // gateway-error: 502, 503, 504
  Reset,                 // reset: connection reset/closed before a response
  ConnectFailure,        // connect-failure: connect refused or timed out
  RefusedStream,         // refused-stream: HTTP/2 REFUSED_STREAM
  RetriableStatusCodes,  // retriable-status-codes: the codes in retriable_status_codes
};

// ---- top level ----

struct AdminConfig {
  // Admin server address; port 0 picks a free port.
  SocketAddress address = *SocketAddress::parse("127.0.0.1:9901");

  friend bool operator==(const AdminConfig&, const AdminConfig&) = default;
};

struct DrainConfig {
  // How long ingress listeners keep accepting after SIGTERM (0s: stop at once).
  Duration propagation_delay = std::chrono::seconds(2);
  // Exit deadline after the signal (0s: no deadline, wait for in-flight work).
  Duration timeout = std::chrono::seconds(20);

  friend bool operator==(const DrainConfig&, const DrainConfig&) = default;
};

// Capped exponential backoff.
struct Backoff {
  Duration base_interval;  // > 0
  Duration max_interval;   // >= base_interval

  friend bool operator==(const Backoff&, const Backoff&) = default;
};

struct ControlPlaneConfig {
  // ferry-control replicas (ip:port or dns-name:port); required, non-empty.
  std::vector<HostPort> addresses;
  // AWS shared-credentials file; absent: AWS_ACCESS_KEY_ID/... from the
  // environment. A path, not a secret: shown in GET /config.
  std::optional<std::string> credentials_file;
  // Last good registry snapshot on disk; absent: not persisted.
  std::optional<std::string> snapshot_path;
  // Extension: SigV4 signing region.
  std::string region = "us-east-1";
  // Extension: how long one watch request is held by the server.
  Duration watch_timeout = std::chrono::seconds(30);
  // Extension: deadline of every other control-plane request.
  Duration request_timeout = std::chrono::seconds(5);
  // Extension: reconnect backoff (jittered by the client).
  Backoff reconnect_backoff{std::chrono::milliseconds(250), std::chrono::seconds(30)};
  // Extension: how often a self-registered instance renews its custom health.
  Duration heartbeat_interval = std::chrono::seconds(5);

  friend bool operator==(const ControlPlaneConfig&, const ControlPlaneConfig&) = default;
};

// ---- policies (off when absent unless stated) ----

// Extension. A token bucket, process-wide.
struct RateLimitConfig {
  double requests_per_second = 0;  // required, > 0 (0.5: one request every 2 s)
  std::uint32_t burst = 0;         // default: one second's worth, at least 1

  friend bool operator==(const RateLimitConfig&, const RateLimitConfig&) = default;
};

struct RetryBudget {
  double budget_percent = 20;               // % of active requests that may be retries
  std::uint32_t min_retry_concurrency = 3;  // retries always allowed regardless of load

  friend bool operator==(const RetryBudget&, const RetryBudget&) = default;
};

struct RetryPolicy {
  std::vector<RetryOn> retry_on = {RetryOn::FiveXx, RetryOn::GatewayError, RetryOn::Reset,
                                   RetryOn::ConnectFailure, RetryOn::RefusedStream};
  std::uint32_t num_retries = 1;
  // Per attempt; 0s: none (the route timeout still bounds the whole request).
  Duration per_try_timeout = std::chrono::seconds(0);
  // Used only with RetryOn::RetriableStatusCodes; each 100-599.
  std::vector<std::uint16_t> retriable_status_codes;
  Backoff retry_back_off{std::chrono::milliseconds(25), std::chrono::milliseconds(250)};
  // Absent: circuit_breakers.max_retries caps concurrent retries; present:
  // the budget replaces it.
  std::optional<RetryBudget> budget;
  // Extension: a request body larger than this is not kept for replay, so
  // that request is not retried.
  std::uint64_t max_body_size = 64 * kKiB;

  bool retries_on(RetryOn condition) const;

  friend bool operator==(const RetryPolicy&, const RetryPolicy&) = default;
};

struct CircuitBreakers {  // always on
  std::uint32_t max_connections = 1024;
  std::uint32_t max_pending_requests = 1024;
  std::uint32_t max_requests = 1024;
  std::uint32_t max_retries = 3;

  friend bool operator==(const CircuitBreakers&, const CircuitBreakers&) = default;
};

// Extension: eject hosts whose success rate is below mean - stdev_factor * stdev.
struct SuccessRateDetector {
  std::uint32_t minimum_hosts = 5;     // hosts with enough volume needed to judge
  std::uint32_t request_volume = 100;  // requests per host per interval to count it
  double stdev_factor = 1.9;

  friend bool operator==(const SuccessRateDetector&, const SuccessRateDetector&) = default;
};

// Extension: eject hosts whose mean latency exceeds threshold_factor x the
// cluster's median.
struct LatencyDetector {
  std::uint32_t minimum_hosts = 3;
  std::uint32_t request_volume = 50;
  double threshold_factor = 3.0;  // > 1
  // ...and at least this far above it (0s: the factor alone decides).
  Duration minimum_excess = std::chrono::milliseconds(10);

  friend bool operator==(const LatencyDetector&, const LatencyDetector&) = default;
};

struct OutlierDetection {
  std::uint32_t consecutive_5xx = 5;
  std::uint32_t consecutive_gateway_failure = 5;
  Duration interval = std::chrono::seconds(10);
  Duration base_ejection_time = std::chrono::seconds(30);  // x number of ejections so far
  Duration max_ejection_time = std::chrono::seconds(300);  // >= base_ejection_time
  double max_ejection_percent = 10;                 // at least one host may always be ejected
  std::optional<SuccessRateDetector> success_rate;  // extension; absent: off
  std::optional<LatencyDetector> latency;           // extension; absent: off

  friend bool operator==(const OutlierDetection&, const OutlierDetection&) = default;
};

struct HealthCheck {
  HealthCheckType type = HealthCheckType::Http;
  std::string path = "/healthz";                         // http only
  std::vector<std::uint16_t> expected_statuses = {200};  // http only; each 100-599
  Duration interval = std::chrono::seconds(5);
  Duration timeout = std::chrono::seconds(1);
  std::uint32_t healthy_threshold = 2;
  std::uint32_t unhealthy_threshold = 2;
  double interval_jitter_percent = 10;  // extension
  std::string host;  // extension, http only: Host header; default the cluster name

  friend bool operator==(const HealthCheck&, const HealthCheck&) = default;
};

// Extension. Fault injection on a route.
struct FaultDelay {
  Duration duration = std::chrono::seconds(0);  // required, unless header_activation
  double percent = 100;

  friend bool operator==(const FaultDelay&, const FaultDelay&) = default;
};
struct FaultAbort {
  std::uint16_t status = 0;  // 200-599; required, unless header_activation
  double percent = 100;

  friend bool operator==(const FaultAbort&, const FaultAbort&) = default;
};
struct FaultConfig {
  // At least one of delay/abort, unless header_activation.
  std::optional<FaultDelay> delay;
  std::optional<FaultAbort> abort;
  // true: only requests that ask get a fault: `x-ferry-fault-delay: <ms>`
  // and `x-ferry-fault-abort: <status>` give the value (duration and status
  // are then not configured); a configured kind's percent still applies,
  // an unconfigured kind applies at 100%.
  bool header_activation = false;
  // Requests with an active fault at once, process-wide; beyond: no fault.
  std::uint32_t max_active = 100;

  friend bool operator==(const FaultConfig&, const FaultConfig&) = default;
};

// ---- listeners ----

struct RouteConfig {
  std::string prefix = "/";  // path prefix, starts with '/'
  // Exact host match (lower-cased, port removed); absent: any authority.
  std::optional<std::string> authority;
  std::string cluster;  // required; names a cluster
  // Whole-request deadline; default: the listener's request_timeout; 0s: none.
  Duration timeout = std::chrono::seconds(15);
  // Replaces (not merges with) the cluster's retry_policy.
  std::optional<RetryPolicy> retry_policy;
  std::optional<RateLimitConfig> rate_limit;  // extension
  bool allow_connect = false;                 // extension: accept CONNECT
  bool allow_upgrade = true;         // extension: Upgrade (WebSocket) becomes a tunnel after 101
  std::optional<FaultConfig> fault;  // extension

  friend bool operator==(const RouteConfig&, const RouteConfig&) = default;
};

struct AccessLogConfig {  // extension: one JSON line per request (tcp: per connection)
  std::string path;

  friend bool operator==(const AccessLogConfig&, const AccessLogConfig&) = default;
};

struct ListenerConfig {
  std::string name;       // required, unique; [A-Za-z0-9_.-], at most 128
  SocketAddress address;  // required; port 0 picks a free port
  ListenerProtocol protocol = ListenerProtocol::Http;
  Direction direction = Direction::Ingress;  // egress keeps accepting while draining
  // Default route's cluster; required for tcp. An http listener needs this
  // or routes (unmatched requests then get 404).
  std::optional<std::string> cluster;
  std::uint32_t max_connections = 16384;
  // 0s disables; default 300s (http) or 3600s (tcp).
  Duration idle_timeout = std::chrono::seconds(300);
  std::vector<RouteConfig> routes;  // http only; first match wins

  // HTTP only (a tcp listener refuses these keys).
  Duration request_headers_timeout = std::chrono::seconds(10);  // absolute; 0s disables
  Duration stream_idle_timeout = std::chrono::seconds(300);     // 0s disables
  UnderscoresAction headers_with_underscores_action = UnderscoresAction::Allow;
  Duration request_timeout = std::chrono::seconds(15);    // extension; 0s disables
  std::uint64_t max_request_headers_size = 60 * kKiB;     // extension
  std::uint32_t max_request_headers_count = 100;          // extension
  std::uint64_t max_request_target_size = 16 * kKiB;      // extension
  XForwardedFor x_forwarded_for = XForwardedFor::Append;  // extension
  std::optional<RateLimitConfig> rate_limit;              // extension

  // Both protocols.
  std::uint64_t per_connection_buffer_limit = 1 * kMiB;  // extension
  std::optional<AccessLogConfig> access_log;             // extension

  friend bool operator==(const ListenerConfig&, const ListenerConfig&) = default;
};

// ---- clusters ----

struct DiscoveryConfig {
  std::string namespace_name;                              // key `namespace`; required
  std::string service;                                     // required
  std::map<std::string, std::string> query_parameters;     // all must match
  std::map<std::string, std::string> optional_parameters;  // narrow when some match

  friend bool operator==(const DiscoveryConfig&, const DiscoveryConfig&) = default;
};

struct TcpKeepalive {                        // extension
  Duration time = std::chrono::seconds(60);  // idle before the first probe; 0s: keepalive off
  Duration interval = std::chrono::seconds(10);
  std::uint32_t probes = 3;

  friend bool operator==(const TcpKeepalive&, const TcpKeepalive&) = default;
};

struct ClusterConfig {
  std::string name;  // required, unique; [A-Za-z0-9_.-], at most 128
  UpstreamProtocol protocol = UpstreamProtocol::Http1;
  // Exactly one of endpoints and discovery. DNS names are re-resolved every
  // dns_refresh_interval.
  std::vector<HostPort> endpoints;
  std::optional<DiscoveryConfig> discovery;
  Duration connect_timeout =
      std::chrono::seconds(5);  // 0s: no ferry deadline (the kernel's still applies)
  LbPolicy lb_policy = LbPolicy::RoundRobin;
  std::optional<RetryPolicy> retry_policy;
  std::optional<OutlierDetection> outlier_detection;
  std::optional<HealthCheck> health_check;
  CircuitBreakers circuit_breakers;
  // Below this % of healthy hosts, balance over all hosts; 0 disables.
  double healthy_panic_threshold = 50;
  Duration dns_refresh_interval = std::chrono::seconds(5);  // extension
  Duration idle_timeout = std::chrono::seconds(60);  // extension: pooled connection; 0s disables
  std::uint32_t max_idle_connections = 64;           // extension: per worker and endpoint
  std::uint64_t per_connection_buffer_limit = 1 * kMiB;  // extension
  TcpKeepalive tcp_keepalive;                            // extension
  Duration tcp_user_timeout = std::chrono::seconds(30);  // extension; 0s: kernel default

  friend bool operator==(const ClusterConfig&, const ClusterConfig&) = default;
};

// ---- service_connect (ECS Service Connect's shape and casing) ----

struct ClientAlias {
  std::uint16_t port = 0;  // required, 1-65535
  std::string dns_name;    // dnsName; default discoveryName.namespace

  friend bool operator==(const ClientAlias&, const ClientAlias&) = default;
};

struct ServiceConnectService {
  std::string port_name;                        // portName; required
  std::uint16_t port = 0;                       // required: the application's port
  AppProtocol app_protocol = AppProtocol::Tcp;  // appProtocol; absent: tcp, as in ECS
  std::string discovery_name;                   // discoveryName; default portName
  std::uint16_t ingress_port_override = 0;      // ingressPortOverride; 0 / absent: pick a free port
  std::vector<ClientAlias> client_aliases;      // clientAliases
  // timeout.idleTimeoutSeconds: default 300 (3600 for tcp); 0 disables.
  std::uint32_t idle_timeout_seconds = 300;
  // timeout.perRequestTimeoutSeconds: default 15; 0 disables; none for tcp.
  std::optional<std::uint32_t> per_request_timeout_seconds = 15;

  friend bool operator==(const ServiceConnectService&, const ServiceConnectService&) = default;
};

struct ServiceConnectConfig {
  std::string namespace_name;                    // key `namespace`; required
  std::optional<std::string> hosts_file;         // extension; absent: not managed
  std::optional<std::string> advertise_address;  // extension; absent: primary IPv4
  // Extension: the loopback /16 egress listeners take their addresses from,
  // "127.N.0.0/16" (N 1-255). Only tasks that share one network namespace
  // (tests, the demo) need different ones.
  std::string egress_network = "127.255.0.0/16";
  std::vector<ServiceConnectService> services;  // none: a client only

  friend bool operator==(const ServiceConnectConfig&, const ServiceConnectConfig&) = default;
};

// ---- the whole file ----

struct ProxyConfig {
  AdminConfig admin;
  // Worker threads; 0: the CPUs this process may use.
  std::uint32_t workers = 0;
  DrainConfig drain;
  std::optional<ControlPlaneConfig> control_plane;
  std::vector<ListenerConfig> listeners;
  std::vector<ClusterConfig> clusters;
  std::optional<ServiceConnectConfig> service_connect;

  // nullptr when no cluster has that name.
  const ClusterConfig* find_cluster(std::string_view name) const;
  const ListenerConfig* find_listener(std::string_view name) const;

  friend bool operator==(const ProxyConfig&, const ProxyConfig&) = default;
};

}  // namespace ferry::core
