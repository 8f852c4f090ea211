// The instances a task registers (self_registration.h): ids, the advertised
// address and attributes.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "discovery/cloud_map_ids.h"
#include "discovery/self_registration.h"
#include "discovery/service_attributes.h"

namespace ferry::discovery {
namespace {

// FERRY_INSTANCE_ATTRIBUTES: "key=value,key=value".
std::map<std::string, std::string> parse_extra_attributes(std::string_view text) {
  std::map<std::string, std::string> out;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    const std::size_t eq = item.find('=');
    const std::string_view key = item.substr(0, eq);
    const bool printable =
        std::all_of(key.begin(), key.end(), [](char c) { return c >= '!' && c <= '~'; });
    if (eq == std::string_view::npos || key.empty() || key.size() > 255 || !printable ||
        key.starts_with("AWS_") || key.starts_with("ferry.") ||
        item.size() - eq - 1 > kMaxAttributeValue) {
      throw std::invalid_argument(
          "FERRY_INSTANCE_ATTRIBUTES: \"" + std::string(item.substr(0, 64)) +
          "\" is not key=value (keys printable ASCII, not AWS_* or ferry.*)");
    }
    out[std::string(key)] = std::string(item.substr(eq + 1));
    if (comma == std::string_view::npos) {
      break;
    }
    text.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

RegistrationOptions RegistrationOptions::from_config(
    const core::ControlPlaneConfig& control_plane,
    const core::ServiceConnectConfig& service_connect) {
  RegistrationOptions out;
  out.namespace_name = service_connect.namespace_name;
  out.heartbeat_interval = control_plane.heartbeat_interval;
  out.backoff = control_plane.reconnect_backoff;
  out.deregister_timeout =
      std::min<core::Duration>(out.deregister_timeout, control_plane.request_timeout);
  return out;
}

std::string default_instance_id(const std::string& env_override, const std::string& advertise,
                                std::uint16_t ingress_port) {
  if (!env_override.empty()) {
    if (!is_instance_id(env_override)) {
      throw std::invalid_argument("FERRY_INSTANCE_ID \"" + env_override.substr(0, 80) +
                                  "\" is not a Cloud Map instance id ([0-9a-zA-Z_/:.@-], at "
                                  "most 64 characters)");
    }
    return env_override;
  }
  return advertise + ":" + std::to_string(ingress_port);
}

std::string advertise_ip(const core::ServiceConnectConfig& config) {
  if (config.advertise_address) {
    return *config.advertise_address;
  }
  ifaddrs* list = nullptr;
  std::string found;
  if (::getifaddrs(&list) == 0) {
    for (ifaddrs* i = list; i != nullptr && found.empty(); i = i->ifa_next) {
      if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET ||
          (i->ifa_flags & IFF_UP) == 0 || (i->ifa_flags & IFF_LOOPBACK) != 0) {
        continue;
      }
      char text[INET_ADDRSTRLEN] = {};
      const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      if (::inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text) != nullptr) {
        found = text;
      }
    }
    ::freeifaddrs(list);
  }
  if (found.empty()) {
    spdlog::warn(
        "discovery: no IPv4 interface besides loopback; advertising 127.0.0.1 "
        "(set service_connect.advertise_address)");
    return "127.0.0.1";
  }
  return found;
}

std::vector<InstanceSpec> instance_specs(const core::ServiceConnectConfig& config,
                                         const std::vector<std::uint16_t>& ingress_ports,
                                         const std::string& advertise,
                                         const std::function<const char*(const char*)>& getenv) {
  const auto env = [&](const char* name) -> std::string {
    const char* value = getenv ? getenv(name) : std::getenv(name);
    return value == nullptr ? std::string() : std::string(value);
  };
  if (ingress_ports.size() != config.services.size()) {
    throw std::invalid_argument("instance_specs: one ingress port per service is needed");
  }
  const auto extra = parse_extra_attributes(env("FERRY_INSTANCE_ATTRIBUTES"));
  const std::string id_override = env("FERRY_INSTANCE_ID");
  const bool v6 = advertise.find(':') != std::string::npos;
  std::vector<InstanceSpec> out;
  for (std::size_t i = 0; i < config.services.size(); ++i) {
    const core::ServiceConnectService& service = config.services[i];
    InstanceSpec spec;
    spec.service = service.discovery_name;
    spec.instance_id = default_instance_id(id_override, advertise, ingress_ports[i]);
    spec.app = *core::SocketAddress::parse("127.0.0.1:" + std::to_string(service.port));
    spec.attributes = extra;
    std::string error;
    auto published = published_attributes(service, error);
    if (!published) {
      throw std::invalid_argument(error);
    }
    spec.attributes.merge(*published);
    spec.attributes[std::string(v6 ? kIpv6Attribute : kIpv4Attribute)] = advertise;
    spec.attributes[std::string(kPortAttribute)] = std::to_string(ingress_ports[i]);
    out.push_back(std::move(spec));
  }
  return out;
}

}  // namespace ferry::discovery
