#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "proxy/core/config/config_enums.h"
#include "proxy/core/config/config_values.h"
#include "proxy/core/config/proxy_config_reader.h"
#include "proxy/core/config/schema_checks.h"

namespace ferry::core {
namespace {

// ECS TimeoutConfiguration: 0 (disabled) to INT32_MAX seconds.
constexpr IntRange kTimeoutSecondsRange{0, 2147483647};
constexpr IntRange kListenPortRange{0, 65535};

// ECS: 5 minutes for http/http2/grpc, 1 hour for tcp.
constexpr std::uint32_t kHttpIdleSeconds = 300;
constexpr std::uint32_t kTcpIdleSeconds = 3600;

void read_timeouts(MapReader& reader, ServiceConnectService& out) {
  reader.integer("idleTimeoutSeconds", out.idle_timeout_seconds, kTimeoutSecondsRange);
  if (out.app_protocol == AppProtocol::Tcp) {
    if (reader.has("perRequestTimeoutSeconds")) {
      reader.skip("perRequestTimeoutSeconds");
      reader.error("perRequestTimeoutSeconds",
                   "not allowed when appProtocol is tcp (only idleTimeoutSeconds applies)");
    }
    return;
  }
  std::uint32_t seconds = *out.per_request_timeout_seconds;
  if (reader.integer("perRequestTimeoutSeconds", seconds, kTimeoutSecondsRange)) {
    out.per_request_timeout_seconds = seconds;
  }
}

void read_alias(MapReader& reader, ClientAlias& out) {
  reader.integer("port", out.port, kPortRange, Presence::Required);
  std::string name;
  if (reader.string("dnsName", name, Presence::Optional)) {
    if (is_dns_name(name)) {
      out.dns_name = std::move(name);
    } else {
      reader.error("dnsName", "invalid dnsName \"" + name + "\" (a DNS name, e.g. \"backend\")");
    }
  }
}

void read_service(MapReader& reader, ServiceConnectService& out,
                  const std::string& namespace_name) {
  if (reader.string("portName", out.port_name, Presence::Required) && !is_ecs_name(out.port_name)) {
    reader.error("portName", "invalid portName \"" + out.port_name +
                                 "\" (1-64 lowercase letters, digits, '_' or '-', not starting "
                                 "with '-')");
  }
  reader.integer("port", out.port, kPortRange, Presence::Required);
  reader.enumeration("appProtocol", out.app_protocol, std::span(kAppProtocolNames));
  out.discovery_name = out.port_name;
  if (reader.string("discoveryName", out.discovery_name) && !is_ecs_name(out.discovery_name)) {
    reader.error("discoveryName", "invalid discoveryName \"" + out.discovery_name +
                                      "\" (1-64 lowercase letters, digits, '_' or '-', not "
                                      "starting with '-')");
  }
  reader.integer("ingressPortOverride", out.ingress_port_override, kListenPortRange);
  const std::string default_dns_name = out.discovery_name + "." + namespace_name;
  reader.map_list("clientAliases", [&](MapReader& m, std::size_t) {
    ClientAlias& alias = out.client_aliases.emplace_back();
    alias.dns_name = default_dns_name;
    read_alias(m, alias);
  });
  if (out.app_protocol == AppProtocol::Tcp) {
    out.idle_timeout_seconds = kTcpIdleSeconds;
    out.per_request_timeout_seconds.reset();
  } else {
    out.idle_timeout_seconds = kHttpIdleSeconds;
  }
  reader.map("timeout", [&](MapReader& m) { read_timeouts(m, out); });
}

// Names and ports that must be unique across the task's services.
void check_unique(ReadContext& ctx, const std::string& base,
                  const std::vector<ServiceConnectService>& services) {
  std::set<std::string> port_names;
  std::set<std::string> discovery_names;
  std::set<std::uint16_t> ingress_ports;
  std::set<std::pair<std::string, std::uint16_t>> aliases;
  auto report = [&](std::string path, std::string message) {
    const int line = ctx.lines().line_of(path);
    ctx.error(line, std::move(path), std::move(message));
  };
  for (std::size_t i = 0; i < services.size(); ++i) {
    const ServiceConnectService& service = services[i];
    const std::string item = base + "[" + std::to_string(i) + "]";
    if (!service.port_name.empty() && !port_names.insert(service.port_name).second) {
      report(item + ".portName", "duplicate portName \"" + service.port_name + "\"");
    }
    if (!service.discovery_name.empty() && !discovery_names.insert(service.discovery_name).second) {
      report(item + ".discoveryName", "duplicate discoveryName \"" + service.discovery_name + "\"");
    }
    if (service.ingress_port_override != 0 &&
        !ingress_ports.insert(service.ingress_port_override).second) {
      report(item + ".ingressPortOverride",
             "duplicate ingressPortOverride " + std::to_string(service.ingress_port_override));
    }
    for (std::size_t a = 0; a < service.client_aliases.size(); ++a) {
      const ClientAlias& alias = service.client_aliases[a];
      if (alias.port != 0 && !aliases.emplace(alias.dns_name, alias.port).second) {
        report(item + ".clientAliases[" + std::to_string(a) + "]",
               "duplicate client alias " + alias.dns_name + ":" + std::to_string(alias.port));
      }
    }
  }
}

bool is_egress_network(const std::string& text) {
  constexpr std::string_view kHead = "127.";
  constexpr std::string_view kTail = ".0.0/16";
  if (text.size() <= kHead.size() + kTail.size() || !text.starts_with(kHead) ||
      !text.ends_with(kTail)) {
    return false;
  }
  const std::string_view octet =
      std::string_view(text).substr(kHead.size(), text.size() - kHead.size() - kTail.size());
  if (octet.size() > 3 || (octet.size() > 1 && octet[0] == '0')) {
    return false;
  }
  int value = 0;
  for (char c : octet) {
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + (c - '0');
  }
  return value >= 1 && value <= 255;
}

}  // namespace

void read_service_connect(MapReader& reader, ServiceConnectConfig& out) {
  if (reader.string("namespace", out.namespace_name, Presence::Required) &&
      !is_dns_name(out.namespace_name)) {
    reader.error("namespace", "invalid namespace \"" + out.namespace_name +
                                  "\" (a DNS name, e.g. \"mesh.local\")");
  }
  reader.string("hosts_file", out.hosts_file);
  if (reader.string("advertise_address", out.advertise_address) &&
      !is_ip_literal(*out.advertise_address)) {
    reader.error("advertise_address", "invalid advertise_address \"" + *out.advertise_address +
                                          "\" (an IPv4 or IPv6 address without port)");
  }
  if (reader.string("egress_network", out.egress_network) &&
      !is_egress_network(out.egress_network)) {
    reader.error("egress_network", "invalid egress_network \"" + out.egress_network +
                                       "\" (a loopback /16, \"127.N.0.0/16\" with N 1-255)");
  }
  reader.map_list("services", [&](MapReader& m, std::size_t) {
    read_service(m, out.services.emplace_back(), out.namespace_name);
  });
  check_unique(reader.context(), reader.child_path("services"), out.services);
}

}  // namespace ferry::core
