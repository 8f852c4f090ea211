#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/hosts_file.h"
#include "discovery/namespace_snapshot.h"
#include "proxy/core/config/proxy_config.h"

namespace ferry::discovery {

// One service of this task: the listener in front of the application and
// the cluster that is the application.
struct IngressPlan {
  std::string service;    // discoveryName
  std::string port_name;  // portName
  core::AppProtocol app_protocol = core::AppProtocol::Tcp;
  // On 0.0.0.0 (or [::] when advertise_address is IPv6), port
  // ingressPortOverride, or 0 (any free port; the bound port is what
  // self-registration advertises).
  core::ListenerConfig listener;
  core::ClusterConfig app_cluster;  // 127.0.0.1:port
};

// One client alias seen in the namespace: a listener on its own loopback
// address and the alias port, in front of the serving service's cluster.
struct EgressPlan {
  std::string dns_name;
  std::uint16_t port = 0;
  std::string service;  // the serving service (its discoveryName)
  core::AppProtocol app_protocol = core::AppProtocol::Tcp;
  core::ListenerConfig listener;
  std::string cluster;  // name of the service's cluster in ServiceConnectPlan::clusters
};

// What `service_connect:` expands to, as static-config values the proxy runs
// like any other listeners and clusters (README.md, "Service Connect").
struct ServiceConnectPlan {
  std::vector<IngressPlan> ingress;  // in config order
  std::vector<EgressPlan> egress;    // by (dns_name, port)
  // The serving services' clusters (discovery: namespace + service), by
  // name; the app clusters are in `ingress`.
  std::vector<core::ClusterConfig> clusters;
  std::vector<HostsEntry> hosts;  // one per alias dnsName, by name
  // Stable loopback allocation: dnsName -> slot N (address_of_slot), and the
  // next slot to try, so a freed address is not handed out again at once
  // (an application may still cache the old mapping).
  std::map<std::string, std::uint32_t, std::less<>> slots;
  std::uint32_t next_slot = 1;
  // Conflicts and exhaustion, one line each (for the log).
  std::vector<std::string> warnings;

  // Every listener (ingress first) and every cluster (app clusters first).
  std::vector<core::ListenerConfig> listeners() const;
  std::vector<core::ClusterConfig> all_clusters() const;
};

// Service Connect's defaults for a serving service's cluster, as ECS
// configures its Envoy: 2 retries on connect failure, refused stream and
// 503; round robin; outlier detection on.
core::ClusterConfig service_cluster(std::string name, const std::string& namespace_name,
                                    const std::string& service);

// The loopback address of slot N (1-based) in `egress_network`
// (service_connect.egress_network, "127.N.0.0/16"): 127.255.0.1 ...
// 127.255.0.254, then 127.255.1.1 ..., never a .0 or .255 last octet.
// kMaxLoopbackSlots in all.
inline constexpr std::uint32_t kMaxLoopbackSlots = 256 * 254;
std::string address_of_slot(std::uint32_t slot, std::string_view egress_network = "127.255.0.0/16");

// Builds the plan from the config, the namespace's snapshot (null: none
// yet, so only this task's own services and aliases) and the previous plan
// (null the first time), keeping every alias that still exists on the
// address it had. Aliases come from the ferry.aliases attributes of every
// instance in the snapshot plus this task's own clientAliases; one
// (dnsName, port) claimed by two services goes to the one that had it
// before, else to the first by name (a warning either way). Protocol and
// timeouts of an alias are its service's: this task's config for its own
// services, else the first HEALTHY instance (by id) that publishes them,
// else Service Connect's defaults. Pure.
ServiceConnectPlan plan_service_connect(const core::ServiceConnectConfig& config,
                                        const NamespaceSnapshot* snapshot,
                                        const ServiceConnectPlan* previous);

// A listener or cluster name (is_identifier: [A-Za-z0-9_.-], at most 128)
// made from `prefix` and free text: other characters become '_', and a
// name too long is cut and suffixed with a hash of the whole.
std::string make_identifier(std::string_view prefix, std::string_view text);

}  // namespace ferry::discovery
