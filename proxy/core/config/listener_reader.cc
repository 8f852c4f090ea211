#include <span>

#include "proxy/core/config/config_enums.h"
#include "proxy/core/config/proxy_config_reader.h"
#include "proxy/core/config/schema_checks.h"

namespace ferry::core {
namespace {

// DESIGN.md and ECS Service Connect: HTTP connections idle out after 5
// minutes, TCP ones after an hour.
constexpr Duration kHttpIdleTimeout = std::chrono::seconds(300);
constexpr Duration kTcpIdleTimeout = std::chrono::seconds(3600);

void read_access_log(MapReader& reader, AccessLogConfig& out) {
  reader.string("path", out.path, Presence::Required);
}

// Keys that only an HTTP listener reads; tcp listeners refuse them in
// validate_proxy_config(), which knows the listener's protocol.
void read_http_settings(MapReader& reader, ListenerConfig& out) {
  reader.duration("request_headers_timeout", out.request_headers_timeout, ZeroDuration::Disables);
  reader.duration("stream_idle_timeout", out.stream_idle_timeout, ZeroDuration::Disables);
  reader.enumeration("headers_with_underscores_action", out.headers_with_underscores_action,
                     std::span(kUnderscoresActionNames));
  reader.duration("request_timeout", out.request_timeout, ZeroDuration::Disables);
  reader.size("max_request_headers_size", out.max_request_headers_size);
  reader.integer("max_request_headers_count", out.max_request_headers_count, kCountRange);
  reader.size("max_request_target_size", out.max_request_target_size);
  reader.enumeration("x_forwarded_for", out.x_forwarded_for, std::span(kXForwardedForNames));
  reader.section("rate_limit", out.rate_limit, read_rate_limit);
}

}  // namespace

void read_listener(MapReader& reader, ListenerConfig& out) {
  read_identifier(reader, "name", out.name);
  reader.socket_address("address", out.address, Presence::Required);
  reader.enumeration("protocol", out.protocol, std::span(kListenerProtocolNames));
  reader.enumeration("direction", out.direction, std::span(kDirectionNames));
  read_reference(reader, "cluster", out.cluster);
  reader.integer("max_connections", out.max_connections, kCountRange);
  out.idle_timeout = out.protocol == ListenerProtocol::Tcp ? kTcpIdleTimeout : kHttpIdleTimeout;
  reader.duration("idle_timeout", out.idle_timeout, ZeroDuration::Disables);
  read_http_settings(reader, out);
  reader.size("per_connection_buffer_limit", out.per_connection_buffer_limit);
  reader.section("access_log", out.access_log, read_access_log);
  reader.map_list("routes", [&](MapReader& m, std::size_t) {
    RouteConfig& route = out.routes.emplace_back();
    route.timeout = out.request_timeout;
    read_route(m, route);
  });
}

void read_route(MapReader& reader, RouteConfig& out) {
  if (reader.string("prefix", out.prefix) && !is_url_path(out.prefix)) {
    reader.error("prefix", "invalid prefix \"" + out.prefix +
                               "\" (a path starting with '/', without '?' or '#')");
  }
  std::optional<std::string> authority;
  if (reader.string("authority", authority)) {
    out.authority = normalize_authority(*authority);
    if (!out.authority) {
      reader.error("authority", "invalid authority \"" + *authority +
                                    "\" (a host name or IP, optionally with a port)");
    }
  }
  read_reference(reader, "cluster", out.cluster);
  reader.duration("timeout", out.timeout, ZeroDuration::Disables);
  reader.section("retry_policy", out.retry_policy, read_retry_policy);
  reader.section("rate_limit", out.rate_limit, read_rate_limit);
  reader.boolean("allow_connect", out.allow_connect);
  reader.boolean("allow_upgrade", out.allow_upgrade);
  reader.section("fault", out.fault, read_fault);
}

}  // namespace ferry::core
