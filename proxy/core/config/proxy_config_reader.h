#pragma once

#include <string_view>

#include "proxy/core/config/config_reader.h"
#include "proxy/core/config/proxy_config.h"

// One reader function per section of the proxy schema. Each reads the keys
// of its map into a struct that already holds the defaults, reports every
// problem local to that map (types, ranges, names, max >= base), and leaves
// cross-object rules (cluster references, duplicates) to validate_proxy_config().
// Called on the loading thread only; discovery reuses read_service_connect()
// and the policy readers for its own input.

namespace ferry::core {

// The whole file; `root` is the document's top-level map.
void read_proxy_config(MapReader& root, ProxyConfig& out);

void read_control_plane(MapReader& reader, ControlPlaneConfig& out);
void read_listener(MapReader& reader, ListenerConfig& out);
// `out.timeout` holds the listener's request_timeout (the default) on entry.
void read_route(MapReader& reader, RouteConfig& out);
void read_cluster(MapReader& reader, ClusterConfig& out);

void read_retry_policy(MapReader& reader, RetryPolicy& out);
void read_outlier_detection(MapReader& reader, OutlierDetection& out);
// `cluster_name` is the default Host header of HTTP checks.
void read_health_check(MapReader& reader, HealthCheck& out, std::string_view cluster_name);
void read_rate_limit(MapReader& reader, RateLimitConfig& out);
void read_fault(MapReader& reader, FaultConfig& out);

void read_service_connect(MapReader& reader, ServiceConnectConfig& out);

}  // namespace ferry::core
