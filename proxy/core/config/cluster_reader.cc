#include <algorithm>
#include <span>

#include "proxy/core/config/config_enums.h"
#include "proxy/core/config/proxy_config_reader.h"
#include "proxy/core/config/schema_checks.h"

namespace ferry::core {
namespace {

// Cloud Map's limits on attribute filters (DiscoverInstances).
constexpr std::size_t kMaxAttributeKey = 255;
constexpr std::size_t kMaxAttributeValue = 1024;

void read_endpoints(MapReader& reader, std::vector<HostPort>& out) {
  ReadContext& ctx = reader.context();
  std::size_t items = 0;
  const bool present = reader.list("endpoints", [&](const ValueRef& item, std::size_t) {
    ++items;
    auto endpoint = read_host_port(ctx, item);
    if (!endpoint) {
      return;
    }
    const bool duplicate = std::any_of(out.begin(), out.end(), [&](const HostPort& seen) {
      return seen.host == endpoint->host && seen.port == endpoint->port;
    });
    if (duplicate) {
      ctx.error(item.line, item.path, "duplicate endpoint \"" + item.node.scalar() + "\"");
      return;
    }
    out.push_back(std::move(*endpoint));
  });
  if (present && items == 0) {
    reader.error("endpoints", "must not be empty (a cluster needs endpoints or discovery)");
  }
}

void check_attributes(MapReader& reader, std::string_view key,
                      const std::map<std::string, std::string>& attributes) {
  for (const auto& [name, value] : attributes) {
    const bool name_ok = !name.empty() && name.size() <= kMaxAttributeKey &&
                         is_cloud_map_namespace(name);  // same alphabet: visible ASCII
    if (!name_ok) {
      reader.error(key, "invalid attribute name \"" + name + "\" (1-255 visible ASCII characters)");
    }
    if (value.size() > kMaxAttributeValue) {
      reader.error(key, "value of \"" + name + "\" is longer than 1024 characters");
    }
  }
}

void read_discovery(MapReader& reader, DiscoveryConfig& out) {
  if (reader.string("namespace", out.namespace_name, Presence::Required) &&
      !is_cloud_map_namespace(out.namespace_name)) {
    reader.error("namespace", "invalid namespace name \"" + out.namespace_name +
                                  "\" (1-1024 visible ASCII characters)");
  }
  if (reader.string("service", out.service, Presence::Required) &&
      !is_cloud_map_service(out.service)) {
    reader.error("service", "invalid service name \"" + out.service +
                                "\" (dot-separated labels of letters, digits, '_' and '-')");
  }
  if (reader.string_map("query_parameters", out.query_parameters)) {
    check_attributes(reader, "query_parameters", out.query_parameters);
  }
  if (reader.string_map("optional_parameters", out.optional_parameters)) {
    check_attributes(reader, "optional_parameters", out.optional_parameters);
  }
}

void read_circuit_breakers(MapReader& reader, CircuitBreakers& out) {
  reader.integer("max_connections", out.max_connections, kCountRange);
  reader.integer("max_pending_requests", out.max_pending_requests, kCountRange);
  reader.integer("max_requests", out.max_requests, kCountRange);
  reader.integer("max_retries", out.max_retries, kCountRange);
}

void read_tcp_keepalive(MapReader& reader, TcpKeepalive& out) {
  reader.duration("time", out.time, ZeroDuration::Disables);
  reader.duration("interval", out.interval, ZeroDuration::Invalid);
  reader.integer("probes", out.probes, IntRange{1, 127});  // TCP_KEEPCNT's kernel cap
}

}  // namespace

void read_cluster(MapReader& reader, ClusterConfig& out) {
  read_identifier(reader, "name", out.name);
  reader.enumeration("protocol", out.protocol, std::span(kUpstreamProtocolNames));
  read_endpoints(reader, out.endpoints);
  reader.section("discovery", out.discovery, read_discovery);
  reader.duration("connect_timeout", out.connect_timeout, ZeroDuration::Disables);
  reader.enumeration("lb_policy", out.lb_policy, std::span(kLbPolicyNames));
  reader.section("retry_policy", out.retry_policy, read_retry_policy);
  reader.section("outlier_detection", out.outlier_detection, read_outlier_detection);
  reader.section("health_check", out.health_check,
                 [&](MapReader& m, HealthCheck& check) { read_health_check(m, check, out.name); });
  reader.map("circuit_breakers",
             [&](MapReader& m) { read_circuit_breakers(m, out.circuit_breakers); });
  reader.percent("healthy_panic_threshold", out.healthy_panic_threshold);
  reader.duration("dns_refresh_interval", out.dns_refresh_interval, ZeroDuration::Invalid);
  reader.duration("idle_timeout", out.idle_timeout, ZeroDuration::Disables);
  reader.integer("max_idle_connections", out.max_idle_connections, kCountRange);
  reader.size("per_connection_buffer_limit", out.per_connection_buffer_limit);
  reader.map("tcp_keepalive", [&](MapReader& m) { read_tcp_keepalive(m, out.tcp_keepalive); });
  reader.duration("tcp_user_timeout", out.tcp_user_timeout, ZeroDuration::Disables);
}

}  // namespace ferry::core
