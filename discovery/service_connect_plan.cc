#include "discovery/service_connect_plan.h"

#include <algorithm>
#include <set>
#include <utility>

#include "discovery/service_attributes.h"

namespace ferry::discovery {
namespace {

constexpr std::size_t kMaxIdentifier = 128;
// ECS Service Connect: 5 minutes idle for http/http2/grpc, 1 hour for tcp,
// 15 s per request.
constexpr std::uint32_t kHttpIdleSeconds = 300;
constexpr std::uint32_t kTcpIdleSeconds = 3600;
constexpr std::uint32_t kRequestSeconds = 15;

// What a serving service asks its clients for.
struct Settings {
  std::vector<PublishedAlias> aliases;
  core::AppProtocol protocol = core::AppProtocol::Tcp;
  std::uint32_t idle_seconds = kTcpIdleSeconds;
  std::optional<std::uint32_t> request_seconds;
};

void add_alias(std::vector<PublishedAlias>& aliases, const PublishedAlias& alias) {
  if (std::find(aliases.begin(), aliases.end(), alias) == aliases.end()) {
    aliases.push_back(alias);
  }
}

void apply_defaults(Settings& s, std::optional<std::uint32_t> idle,
                    std::optional<std::uint32_t> request) {
  const bool tcp = s.protocol == core::AppProtocol::Tcp;
  s.idle_seconds = idle.value_or(tcp ? kTcpIdleSeconds : kHttpIdleSeconds);
  s.request_seconds = tcp ? std::nullopt : std::optional(request.value_or(kRequestSeconds));
}

Settings from_registry(const ServiceRecord& service) {
  Settings out;
  std::vector<std::pair<const InstanceRecord*, PublishedService>> published;
  for (const InstanceRecord& instance : service.instances) {
    std::string error;
    if (auto p = parse_published_service(instance.attributes, error)) {
      for (const PublishedAlias& alias : p->aliases) {
        add_alias(out.aliases, alias);
      }
      published.emplace_back(&instance, std::move(*p));
    }
  }
  // Instances are in id order; a healthy one speaks for the service first.
  std::stable_partition(published.begin(), published.end(), [](const auto& p) {
    return p.first->health == filters::HealthStatus::Healthy;
  });
  auto speaker = std::find_if(published.begin(), published.end(),
                              [](const auto& p) { return p.second.protocol.has_value(); });
  if (speaker == published.end()) {
    apply_defaults(out, std::nullopt, std::nullopt);
    return out;
  }
  out.protocol = *speaker->second.protocol;
  apply_defaults(out, speaker->second.idle_timeout_seconds,
                 speaker->second.request_timeout_seconds);
  return out;
}

Settings from_config(const core::ServiceConnectService& service) {
  Settings out;
  for (const core::ClientAlias& alias : service.client_aliases) {
    add_alias(out.aliases, {alias.dns_name, alias.port});
  }
  out.protocol = service.app_protocol;
  out.idle_seconds = service.idle_timeout_seconds;
  out.request_seconds = service.app_protocol == core::AppProtocol::Tcp
                            ? std::nullopt
                            : service.per_request_timeout_seconds;
  return out;
}

// HTTP/2 and gRPC run as byte streams until the runtime speaks h2c: a TCP
// listener keeps them working end to end, an HTTP/1 one would break them.
core::ListenerProtocol listener_protocol(core::AppProtocol protocol) {
  return protocol == core::AppProtocol::Http ? core::ListenerProtocol::Http
                                             : core::ListenerProtocol::Tcp;
}

void set_timeouts(core::ListenerConfig& listener, std::uint32_t idle_seconds,
                  std::optional<std::uint32_t> request_seconds) {
  listener.idle_timeout = std::chrono::seconds(idle_seconds);
  if (listener.protocol == core::ListenerProtocol::Http) {
    listener.request_timeout = std::chrono::seconds(request_seconds.value_or(0));
  }
}

std::string hash_hex(std::string_view text) {
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (unsigned char c : text) {
    h = (h ^ c) * 16777619u;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(8, '0');
  for (int i = 7; i >= 0; --i, h >>= 4) {
    out[static_cast<std::size_t>(i)] = kHex[h & 0xf];
  }
  return out;
}

IngressPlan make_ingress(const core::ServiceConnectConfig& config,
                         const core::ServiceConnectService& service) {
  IngressPlan out;
  out.service = service.discovery_name;
  out.port_name = service.port_name;
  out.app_protocol = service.app_protocol;
  out.app_cluster.name = make_identifier("sc.app.", service.port_name);
  out.app_cluster.endpoints.push_back({"127.0.0.1", service.port});
  out.app_cluster.lb_policy = core::LbPolicy::RoundRobin;
  const bool v6 =
      config.advertise_address && config.advertise_address->find(':') != std::string::npos;
  out.listener.name = make_identifier("sc.ingress.", service.port_name);
  out.listener.address = *core::SocketAddress::parse(v6 ? "[::]:0" : "0.0.0.0:0");
  out.listener.address.set_port(service.ingress_port_override);
  out.listener.protocol = listener_protocol(service.app_protocol);
  out.listener.direction = core::Direction::Ingress;
  out.listener.cluster = out.app_cluster.name;
  const Settings settings = from_config(service);
  set_timeouts(out.listener, settings.idle_seconds, settings.request_seconds);
  return out;
}

// Every (alias -> owning service) claim, conflicts resolved.
struct Claim {
  std::string service;
  const Settings* settings = nullptr;
};

std::map<std::pair<std::string, std::uint16_t>, Claim> resolve_claims(
    const std::map<std::string, Settings>& services, const ServiceConnectPlan* previous,
    std::vector<std::string>& warnings) {
  std::map<std::pair<std::string, std::uint16_t>, std::vector<std::string>> claimants;
  for (const auto& [name, settings] : services) {
    for (const PublishedAlias& alias : settings.aliases) {
      claimants[{alias.dns_name, alias.port}].push_back(name);  // in name order
    }
  }
  std::map<std::pair<std::string, std::uint16_t>, Claim> out;
  for (auto& [key, names] : claimants) {
    std::string owner = names.front();
    if (previous != nullptr) {
      for (const EgressPlan& e : previous->egress) {
        if (e.dns_name == key.first && e.port == key.second &&
            std::find(names.begin(), names.end(), e.service) != names.end()) {
          owner = e.service;
        }
      }
    }
    if (names.size() > 1) {
      warnings.push_back("client alias " + key.first + ":" + std::to_string(key.second) +
                         " is claimed by " + std::to_string(names.size()) +
                         " services; it goes to " + owner);
    }
    out.emplace(key, Claim{owner, &services.at(owner)});
  }
  return out;
}

// Keeps the slots of names still present; new names take the next free
// slot from the previous cursor on, wrapping around.
void allocate_slots(ServiceConnectPlan& plan, const std::set<std::string>& names,
                    const ServiceConnectPlan* previous) {
  std::set<std::uint32_t> used;
  if (previous != nullptr) {
    plan.next_slot = previous->next_slot;
    for (const auto& [name, slot] : previous->slots) {
      if (names.contains(name)) {
        plan.slots.emplace(name, slot);
        used.insert(slot);
      }
    }
  }
  for (const std::string& name : names) {
    if (plan.slots.contains(name)) {
      continue;
    }
    if (used.size() >= kMaxLoopbackSlots) {
      plan.warnings.push_back("no loopback address left for client alias " + name);
      continue;
    }
    std::uint32_t slot = plan.next_slot;
    while (true) {
      if (slot < 1 || slot > kMaxLoopbackSlots) {
        slot = 1;
      }
      if (!used.contains(slot)) {
        break;
      }
      ++slot;
    }
    plan.slots.emplace(name, slot);
    used.insert(slot);
    plan.next_slot = slot + 1 > kMaxLoopbackSlots ? 1 : slot + 1;
  }
}

}  // namespace

std::string make_identifier(std::string_view prefix, std::string_view text) {
  std::string out(prefix);
  bool replaced = false;
  for (char c : text) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    out.push_back(ok ? c : '_');
    replaced = replaced || !ok;
  }
  // A changed or shortened name gets a hash of the original, so two texts
  // never share a name ("a b" and "a_b").
  if (replaced || out.size() > kMaxIdentifier) {
    const std::string hash = hash_hex(text);
    out.resize(std::min(out.size(), kMaxIdentifier - hash.size() - 1));
    out.append("-").append(hash);
  }
  return out;
}

std::string address_of_slot(std::uint32_t slot, std::string_view egress_network) {
  // "127.N.0.0/16" (validated by the config loader) -> "127.N."
  const auto second_dot = egress_network.find('.', egress_network.find('.') + 1);
  const std::string prefix(second_dot == std::string_view::npos
                               ? std::string_view("127.255.")
                               : egress_network.substr(0, second_dot + 1));
  const std::uint32_t index = slot - 1;
  return prefix + std::to_string(index / 254) + "." + std::to_string(index % 254 + 1);
}

core::ClusterConfig service_cluster(std::string name, const std::string& namespace_name,
                                    const std::string& service) {
  core::ClusterConfig out;
  out.name = std::move(name);
  out.protocol = core::UpstreamProtocol::Http1;
  out.discovery = core::DiscoveryConfig{namespace_name, service, {}, {}};
  out.lb_policy = core::LbPolicy::RoundRobin;
  core::RetryPolicy retry;
  retry.retry_on = {core::RetryOn::ConnectFailure, core::RetryOn::RefusedStream,
                    core::RetryOn::RetriableStatusCodes};
  retry.retriable_status_codes = {503};
  retry.num_retries = 2;
  out.retry_policy = retry;
  out.outlier_detection = core::OutlierDetection{};
  return out;
}

std::vector<core::ListenerConfig> ServiceConnectPlan::listeners() const {
  std::vector<core::ListenerConfig> out;
  for (const IngressPlan& i : ingress) {
    out.push_back(i.listener);
  }
  for (const EgressPlan& e : egress) {
    out.push_back(e.listener);
  }
  return out;
}

std::vector<core::ClusterConfig> ServiceConnectPlan::all_clusters() const {
  std::vector<core::ClusterConfig> out;
  for (const IngressPlan& i : ingress) {
    out.push_back(i.app_cluster);
  }
  out.insert(out.end(), clusters.begin(), clusters.end());
  return out;
}

ServiceConnectPlan plan_service_connect(const core::ServiceConnectConfig& config,
                                        const NamespaceSnapshot* snapshot,
                                        const ServiceConnectPlan* previous) {
  ServiceConnectPlan plan;
  for (const core::ServiceConnectService& service : config.services) {
    plan.ingress.push_back(make_ingress(config, service));
  }
  std::map<std::string, Settings> services;
  if (snapshot != nullptr) {
    for (const ServiceRecord& service : snapshot->services) {
      Settings s = from_registry(service);
      if (!s.aliases.empty()) {
        services.emplace(service.name, std::move(s));
      }
    }
  }
  for (const core::ServiceConnectService& service : config.services) {
    Settings own = from_config(service);
    if (auto it = services.find(service.discovery_name); it != services.end()) {
      for (const PublishedAlias& alias : it->second.aliases) {
        add_alias(own.aliases, alias);  // other tasks of the service (a rollout)
      }
    }
    if (!own.aliases.empty()) {
      services[service.discovery_name] = std::move(own);
    }
  }
  const auto claims = resolve_claims(services, previous, plan.warnings);
  std::set<std::string> names;
  for (const auto& [key, claim] : claims) {
    names.insert(key.first);
  }
  allocate_slots(plan, names, previous);
  std::set<std::string> cluster_services;
  for (const auto& [key, claim] : claims) {
    auto slot = plan.slots.find(key.first);
    if (slot == plan.slots.end()) {
      continue;  // out of loopback addresses (warned)
    }
    EgressPlan e;
    e.dns_name = key.first;
    e.port = key.second;
    e.service = claim.service;
    e.app_protocol = claim.settings->protocol;
    e.cluster = make_identifier("sc.service.", claim.service);
    e.listener.name = make_identifier("sc.egress.", key.first + "." + std::to_string(key.second));
    e.listener.address = *core::SocketAddress::parse(
        address_of_slot(slot->second, config.egress_network) + ":" + std::to_string(key.second));
    e.listener.protocol = listener_protocol(claim.settings->protocol);
    e.listener.direction = core::Direction::Egress;
    e.listener.cluster = e.cluster;
    set_timeouts(e.listener, claim.settings->idle_seconds, claim.settings->request_seconds);
    plan.egress.push_back(std::move(e));
    cluster_services.insert(claim.service);
  }
  for (const std::string& service : cluster_services) {
    plan.clusters.push_back(
        service_cluster(make_identifier("sc.service.", service), config.namespace_name, service));
  }
  for (const auto& [name, slot] : plan.slots) {
    plan.hosts.push_back({address_of_slot(slot, config.egress_network), name});
  }
  return plan;
}

}  // namespace ferry::discovery
