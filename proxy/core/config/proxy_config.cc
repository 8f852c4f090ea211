#include "proxy/core/config/proxy_config.h"

#include <algorithm>
#include <span>

#include "proxy/core/config/config_enums.h"

namespace ferry::core {

bool RetryPolicy::retries_on(RetryOn condition) const {
  return std::find(retry_on.begin(), retry_on.end(), condition) != retry_on.end();
}

const ClusterConfig* ProxyConfig::find_cluster(std::string_view name) const {
  for (const ClusterConfig& cluster : clusters) {
    if (cluster.name == name) {
      return &cluster;
    }
  }
  return nullptr;
}

const ListenerConfig* ProxyConfig::find_listener(std::string_view name) const {
  for (const ListenerConfig& listener : listeners) {
    if (listener.name == name) {
      return &listener;
    }
  }
  return nullptr;
}

std::string_view to_string(ListenerProtocol value) {
  return enum_to_string(std::span(kListenerProtocolNames), value);
}
std::string_view to_string(Direction value) {
  return enum_to_string(std::span(kDirectionNames), value);
}
std::string_view to_string(UnderscoresAction value) {
  return enum_to_string(std::span(kUnderscoresActionNames), value);
}
std::string_view to_string(XForwardedFor value) {
  return enum_to_string(std::span(kXForwardedForNames), value);
}
std::string_view to_string(UpstreamProtocol value) {
  return enum_to_string(std::span(kUpstreamProtocolNames), value);
}
std::string_view to_string(LbPolicy value) {
  return enum_to_string(std::span(kLbPolicyNames), value);
}
std::string_view to_string(HealthCheckType value) {
  return enum_to_string(std::span(kHealthCheckTypeNames), value);
}
std::string_view to_string(AppProtocol value) {
  return enum_to_string(std::span(kAppProtocolNames), value);
}
std::string_view to_string(RetryOn value) {
  return enum_to_string(std::span(kRetryOnNames), value);
}

}  // namespace ferry::core
