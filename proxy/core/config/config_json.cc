#include "proxy/core/config/config_json.h"

#include <charconv>
#include <cmath>
#include <optional>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include "proxy/core/config/config_enums.h"
#include "proxy/core/config/source_map.h"

namespace ferry::core {
namespace json = boost::json;
namespace {

constexpr std::string_view kRedacted = "[redacted]";

json::value duration(Duration d) {
  return json::string(format_duration(d));
}

json::value size(std::uint64_t bytes) {
  return bytes;
}

std::string host_port(const HostPort& hp) {
  const bool v6 = hp.host.find(':') != std::string::npos;
  return (v6 ? "[" + hp.host + "]" : hp.host) + ":" + std::to_string(hp.port);
}

template <class T, class F>
json::value optional(const std::optional<T>& value, F&& convert) {
  return value ? convert(*value) : json::value(nullptr);
}

json::value optional_string(const std::optional<std::string>& value) {
  return value ? json::value(json::string(*value)) : json::value(nullptr);
}

json::value string_map(const std::map<std::string, std::string>& items) {
  json::object out;
  for (const auto& [key, value] : items) {
    out[key] = json::string(value);
  }
  return out;
}

json::value statuses(const std::vector<std::uint16_t>& codes) {
  json::array out;
  for (auto code : codes) {
    out.emplace_back(code);
  }
  return out;
}

json::value backoff(const Backoff& b) {
  return json::object{{"base_interval", duration(b.base_interval)},
                      {"max_interval", duration(b.max_interval)}};
}

json::value rate_limit(const RateLimitConfig& r) {
  return json::object{{"requests_per_second", r.requests_per_second}, {"burst", r.burst}};
}

json::value retry_policy(const RetryPolicy& p) {
  json::array retry_on;
  for (RetryOn condition : p.retry_on) {
    retry_on.emplace_back(json::string(to_string(condition)));
  }
  json::object out;
  out["retry_on"] = std::move(retry_on);
  out["num_retries"] = p.num_retries;
  out["per_try_timeout"] = duration(p.per_try_timeout);
  out["retriable_status_codes"] = statuses(p.retriable_status_codes);
  out["retry_back_off"] = backoff(p.retry_back_off);
  out["budget"] = optional(p.budget, [](const RetryBudget& b) {
    return json::value(json::object{{"budget_percent", b.budget_percent},
                                    {"min_retry_concurrency", b.min_retry_concurrency}});
  });
  out["max_body_size"] = size(p.max_body_size);
  return out;
}

json::value outlier_detection(const OutlierDetection& o) {
  json::object out;
  out["consecutive_5xx"] = o.consecutive_5xx;
  out["consecutive_gateway_failure"] = o.consecutive_gateway_failure;
  out["interval"] = duration(o.interval);
  out["base_ejection_time"] = duration(o.base_ejection_time);
  out["max_ejection_time"] = duration(o.max_ejection_time);
  out["max_ejection_percent"] = o.max_ejection_percent;
  out["success_rate"] = optional(o.success_rate, [](const SuccessRateDetector& s) {
    return json::value(json::object{{"minimum_hosts", s.minimum_hosts},
                                    {"request_volume", s.request_volume},
                                    {"stdev_factor", s.stdev_factor}});
  });
  out["latency"] = optional(o.latency, [](const LatencyDetector& l) {
    return json::value(json::object{{"minimum_hosts", l.minimum_hosts},
                                    {"request_volume", l.request_volume},
                                    {"minimum_excess", duration(l.minimum_excess)},
                                    {"threshold_factor", l.threshold_factor}});
  });
  return out;
}

json::value health_check(const HealthCheck& h) {
  json::object out;
  out["type"] = json::string(to_string(h.type));
  if (h.type == HealthCheckType::Http) {
    out["path"] = json::string(h.path);
    out["expected_statuses"] = statuses(h.expected_statuses);
    out["host"] = json::string(h.host);
  }
  out["interval"] = duration(h.interval);
  out["timeout"] = duration(h.timeout);
  out["healthy_threshold"] = h.healthy_threshold;
  out["unhealthy_threshold"] = h.unhealthy_threshold;
  out["interval_jitter_percent"] = h.interval_jitter_percent;
  return out;
}

// Under header activation the headers give the delay and status, so the
// fixed values are left out (the reader refuses them there).
json::value fault(const FaultConfig& f) {
  const bool fixed = !f.header_activation;
  json::object out;
  out["header_activation"] = f.header_activation;
  out["delay"] = optional(f.delay, [&](const FaultDelay& d) {
    json::object delay;
    if (fixed) {
      delay["duration"] = duration(d.duration);
    }
    delay["percent"] = d.percent;
    return json::value(std::move(delay));
  });
  out["abort"] = optional(f.abort, [&](const FaultAbort& a) {
    json::object abort;
    if (fixed) {
      abort["status"] = a.status;
    }
    abort["percent"] = a.percent;
    return json::value(std::move(abort));
  });
  out["max_active"] = f.max_active;
  return out;
}

json::value route(const RouteConfig& r) {
  json::object out;
  out["prefix"] = json::string(r.prefix);
  out["authority"] = optional_string(r.authority);
  out["cluster"] = json::string(r.cluster);
  out["timeout"] = duration(r.timeout);
  out["retry_policy"] = optional(r.retry_policy, retry_policy);
  out["rate_limit"] = optional(r.rate_limit, rate_limit);
  out["allow_connect"] = r.allow_connect;
  out["allow_upgrade"] = r.allow_upgrade;
  out["fault"] = optional(r.fault, fault);
  return out;
}

void http_settings(const ListenerConfig& l, json::object& out) {
  out["request_headers_timeout"] = duration(l.request_headers_timeout);
  out["stream_idle_timeout"] = duration(l.stream_idle_timeout);
  out["headers_with_underscores_action"] =
      json::string(to_string(l.headers_with_underscores_action));
  out["request_timeout"] = duration(l.request_timeout);
  out["max_request_headers_size"] = size(l.max_request_headers_size);
  out["max_request_headers_count"] = l.max_request_headers_count;
  out["max_request_target_size"] = size(l.max_request_target_size);
  out["x_forwarded_for"] = json::string(to_string(l.x_forwarded_for));
  out["rate_limit"] = optional(l.rate_limit, rate_limit);
  json::array routes;
  for (const RouteConfig& r : l.routes) {
    routes.push_back(route(r));
  }
  out["routes"] = std::move(routes);
}

json::value listener(const ListenerConfig& l) {
  json::object out;
  out["name"] = json::string(l.name);
  out["address"] = json::string(l.address.to_string());
  out["protocol"] = json::string(to_string(l.protocol));
  out["direction"] = json::string(to_string(l.direction));
  out["cluster"] = optional_string(l.cluster);
  out["max_connections"] = l.max_connections;
  out["idle_timeout"] = duration(l.idle_timeout);
  if (l.protocol == ListenerProtocol::Http) {
    http_settings(l, out);
  }
  out["per_connection_buffer_limit"] = size(l.per_connection_buffer_limit);
  out["access_log"] = optional(l.access_log, [](const AccessLogConfig& a) {
    return json::value(json::object{{"path", json::string(a.path)}});
  });
  return out;
}

json::value discovery(const DiscoveryConfig& d) {
  return json::object{{"namespace", json::string(d.namespace_name)},
                      {"service", json::string(d.service)},
                      {"query_parameters", string_map(d.query_parameters)},
                      {"optional_parameters", string_map(d.optional_parameters)}};
}

json::value cluster(const ClusterConfig& c) {
  json::object out;
  out["name"] = json::string(c.name);
  out["protocol"] = json::string(to_string(c.protocol));
  if (!c.discovery) {
    json::array endpoints;
    for (const HostPort& endpoint : c.endpoints) {
      endpoints.emplace_back(json::string(host_port(endpoint)));
    }
    out["endpoints"] = std::move(endpoints);
  }
  out["discovery"] = optional(c.discovery, discovery);
  out["connect_timeout"] = duration(c.connect_timeout);
  out["lb_policy"] = json::string(to_string(c.lb_policy));
  out["retry_policy"] = optional(c.retry_policy, retry_policy);
  out["outlier_detection"] = optional(c.outlier_detection, outlier_detection);
  out["health_check"] = optional(c.health_check, health_check);
  const CircuitBreakers& cb = c.circuit_breakers;
  out["circuit_breakers"] = json::object{{"max_connections", cb.max_connections},
                                         {"max_pending_requests", cb.max_pending_requests},
                                         {"max_requests", cb.max_requests},
                                         {"max_retries", cb.max_retries}};
  out["healthy_panic_threshold"] = c.healthy_panic_threshold;
  out["dns_refresh_interval"] = duration(c.dns_refresh_interval);
  out["idle_timeout"] = duration(c.idle_timeout);
  out["max_idle_connections"] = c.max_idle_connections;
  out["per_connection_buffer_limit"] = size(c.per_connection_buffer_limit);
  out["tcp_keepalive"] = json::object{{"time", duration(c.tcp_keepalive.time)},
                                      {"interval", duration(c.tcp_keepalive.interval)},
                                      {"probes", c.tcp_keepalive.probes}};
  out["tcp_user_timeout"] = duration(c.tcp_user_timeout);
  return out;
}

json::value control_plane(const ControlPlaneConfig& cp) {
  json::array addresses;
  for (const HostPort& address : cp.addresses) {
    addresses.emplace_back(json::string(host_port(address)));
  }
  json::object out;
  out["addresses"] = std::move(addresses);
  out["credentials_file"] = optional_string(cp.credentials_file);
  out["snapshot_path"] = optional_string(cp.snapshot_path);
  out["region"] = json::string(cp.region);
  out["watch_timeout"] = duration(cp.watch_timeout);
  out["request_timeout"] = duration(cp.request_timeout);
  out["reconnect_backoff"] = backoff(cp.reconnect_backoff);
  out["heartbeat_interval"] = duration(cp.heartbeat_interval);
  return out;
}

json::value service_connect_service(const ServiceConnectService& s) {
  json::array aliases;
  for (const ClientAlias& alias : s.client_aliases) {
    aliases.push_back(
        json::object{{"port", alias.port}, {"dnsName", json::string(alias.dns_name)}});
  }
  json::object timeout;
  timeout["idleTimeoutSeconds"] = s.idle_timeout_seconds;
  if (s.per_request_timeout_seconds) {
    timeout["perRequestTimeoutSeconds"] = *s.per_request_timeout_seconds;
  }
  json::object out;
  out["portName"] = json::string(s.port_name);
  out["port"] = s.port;
  out["appProtocol"] = json::string(to_string(s.app_protocol));
  out["discoveryName"] = json::string(s.discovery_name);
  out["ingressPortOverride"] = s.ingress_port_override;
  out["clientAliases"] = std::move(aliases);
  out["timeout"] = std::move(timeout);
  return out;
}

json::value service_connect(const ServiceConnectConfig& sc) {
  json::array services;
  for (const ServiceConnectService& s : sc.services) {
    services.push_back(service_connect_service(s));
  }
  return json::object{{"namespace", json::string(sc.namespace_name)},
                      {"hosts_file", optional_string(sc.hosts_file)},
                      {"advertise_address", optional_string(sc.advertise_address)},
                      {"egress_network", json::string(sc.egress_network)},
                      {"services", std::move(services)}};
}

// Walks `json` and redacts the values whose normalized path is `secret`.
void redact_path(json::value& node, const std::string& path, std::string_view secret) {
  if (auto* object = node.if_object()) {
    for (auto& entry : *object) {
      const std::string child =
          path.empty() ? std::string(entry.key()) : path + "." + std::string(entry.key());
      if (normalize_path(child) == secret) {
        if (!entry.value().is_null()) {
          entry.value() = json::string(kRedacted);
        }
      } else {
        redact_path(entry.value(), child, secret);
      }
    }
  } else if (auto* array = node.if_array()) {
    for (std::size_t i = 0; i < array->size(); ++i) {
      const std::string child = path + "[" + std::to_string(i) + "]";
      json::value& item = (*array)[i];
      if (normalize_path(child) == secret) {
        if (!item.is_null()) {
          item = json::string(kRedacted);
        }
      } else {
        redact_path(item, child, secret);
      }
    }
  }
}

void format_number(double value, std::string& out) {
  if (std::trunc(value) == value && std::fabs(value) < 9007199254740992.0) {
    out += std::to_string(static_cast<std::int64_t>(value));
    return;
  }
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, ec == std::errc() ? end : buffer);
}

void format_value(const json::value& value, int indent, std::string& out) {
  const std::string pad(static_cast<std::size_t>(indent + 2), ' ');
  if (const auto* object = value.if_object()) {
    if (object->empty()) {
      out += "{}";
      return;
    }
    out += "{\n";
    bool first = true;
    for (const auto& entry : *object) {
      out += first ? "" : ",\n";
      first = false;
      out += pad + json::serialize(entry.key()) + ": ";
      format_value(entry.value(), indent + 2, out);
    }
    out += "\n" + std::string(static_cast<std::size_t>(indent), ' ') + "}";
  } else if (const auto* array = value.if_array()) {
    if (array->empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    for (std::size_t i = 0; i < array->size(); ++i) {
      out += (i == 0 ? "" : ",\n") + pad;
      format_value((*array)[i], indent + 2, out);
    }
    out += "\n" + std::string(static_cast<std::size_t>(indent), ' ') + "]";
  } else if (const auto* number = value.if_double()) {
    format_number(*number, out);
  } else {
    out += json::serialize(value);
  }
}

}  // namespace

std::span<const std::string_view> secret_paths() {
  // No secret in the schema yet; TLS private keys and inline credentials go here.
  return {};
}

json::value to_json_value(const ProxyConfig& config) {
  json::array listeners;
  for (const ListenerConfig& l : config.listeners) {
    listeners.push_back(listener(l));
  }
  json::array clusters;
  for (const ClusterConfig& c : config.clusters) {
    clusters.push_back(cluster(c));
  }
  json::object out;
  out["admin"] = json::object{{"address", json::string(config.admin.address.to_string())}};
  out["workers"] = config.workers;
  out["drain"] = json::object{{"propagation_delay", duration(config.drain.propagation_delay)},
                              {"timeout", duration(config.drain.timeout)}};
  out["control_plane"] = optional(config.control_plane, control_plane);
  out["listeners"] = std::move(listeners);
  out["clusters"] = std::move(clusters);
  out["service_connect"] = optional(config.service_connect, service_connect);
  return out;
}

void redact_secrets(json::value& root, std::span<const std::string_view> secrets) {
  for (std::string_view secret : secrets) {
    redact_path(root, {}, secret);
  }
}

std::string to_json(const ProxyConfig& config, std::span<const std::string_view> secrets) {
  json::value value = to_json_value(config);
  redact_secrets(value, secrets);
  return format_json(value);
}

std::string format_json(const json::value& root) {
  std::string out;
  format_value(root, 0, out);
  out += '\n';
  return out;
}

}  // namespace ferry::core
