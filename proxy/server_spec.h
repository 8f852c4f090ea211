#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "proxy/cluster.h"
#include "proxy/core/address.h"
#include "proxy/core/duration.h"
#include "proxy/listener.h"

namespace ferry::proxy {

// What the runtime is asked to run: the config, reduced to what the runtime
// reads (proxy/config_mapping.h builds it from the YAML config).

// One configured endpoint: an IP literal or a DNS name (resolved on main,
// re-resolved every `dns_refresh_interval`).
struct EndpointSpec {
  std::string host;
  std::uint16_t port = 0;
};

struct ClusterSpec {
  std::string name;
  UpstreamOptions upstream;
  std::vector<EndpointSpec> endpoints;
  core::Duration dns_refresh_interval = std::chrono::seconds(5);
};

struct ListenerSpec {
  ListenerOptions options;
  core::SocketAddress address;  // port 0: pick a free one
};

struct ServerSpec {
  core::SocketAddress admin_address;
  unsigned workers = 1;  // resolved: never 0 here
  core::Duration propagation_delay = std::chrono::seconds(2);
  core::Duration drain_timeout = std::chrono::seconds(20);
  std::vector<ListenerSpec> listeners;
  std::vector<ClusterSpec> clusters;
};

}  // namespace ferry::proxy
