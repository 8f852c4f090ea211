#include "proxy/mesh_runtime.h"

#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>

#include "discovery/discovery_runtime.h"
#include "proxy/core/log.h"

namespace ferry::proxy {
namespace {

std::set<std::string> followed_namespaces(const core::ProxyConfig& config) {
  std::set<std::string> out;
  for (const core::ClusterConfig& c : config.clusters) {
    if (c.discovery) {
      out.insert(c.discovery->namespace_name);
    }
  }
  if (config.service_connect) {
    out.insert(config.service_connect->namespace_name);
  }
  return out;
}

std::optional<std::uint16_t> bound_port(const std::vector<ListenerSet::Info>& listeners,
                                        const std::string& name) {
  for (const ListenerSet::Info& info : listeners) {
    if (info.name == name) {
      if (auto address = core::SocketAddress::parse(info.address)) {
        return address->port();
      }
    }
  }
  return std::nullopt;
}

}  // namespace

bool MeshRuntime::needed(const core::ProxyConfig& config) {
  return discovery::DiscoveryRuntime::needed(config);
}

MeshRuntime::MeshRuntime(boost::asio::io_context& io,
                         std::shared_ptr<const core::ProxyConfig> user_config)
    : user_config_(std::move(user_config)),
      discovery_(std::make_unique<discovery::DiscoveryRuntime>(io, user_config_)) {}

MeshRuntime::~MeshRuntime() = default;

void MeshRuntime::start() {
  discovery_->start();
}

bool MeshRuntime::serves(const core::ProxyConfig& user_config) const {
  return user_config.control_plane == user_config_->control_plane &&
         user_config.service_connect == user_config_->service_connect &&
         followed_namespaces(user_config) == followed_namespaces(*user_config_);
}

std::shared_ptr<const core::ProxyConfig> MeshRuntime::effective() const {
  return effective(*user_config_);
}

std::shared_ptr<const core::ProxyConfig> MeshRuntime::effective(
    const core::ProxyConfig& user_config) const {
  auto out = std::make_shared<core::ProxyConfig>(user_config);
  if (const auto plan = discovery_->plan()) {
    for (core::ListenerConfig& l : plan->listeners()) {
      out->listeners.push_back(std::move(l));
    }
    for (core::ClusterConfig& c : plan->all_clusters()) {
      out->clusters.push_back(std::move(c));
    }
  }
  return out;
}

std::map<std::string, ProxyMetrics::ServiceLabels, std::less<>> MeshRuntime::service_labels()
    const {
  std::map<std::string, ProxyMetrics::ServiceLabels, std::less<>> out;
  const auto plan = discovery_->plan();
  if (!plan) {
    return out;
  }
  const std::string own = plan->ingress.empty() ? std::string() : plan->ingress.front().service;
  for (const discovery::IngressPlan& i : plan->ingress) {
    out[i.listener.name] = {"", i.service};
    out[i.app_cluster.name] = {"", i.service};
  }
  for (const discovery::EgressPlan& e : plan->egress) {
    out[e.listener.name] = {own, e.service};
    out[e.cluster] = {own, e.service};
  }
  return out;
}

void MeshRuntime::add_hosts(const core::ClusterConfig& cluster, HostRegistry& registry,
                            std::vector<std::shared_ptr<filters::Host>>& hosts) const {
  if (!cluster.discovery) {
    return;
  }
  const discovery::EndpointSelection selection = discovery_->endpoints(*cluster.discovery);
  hosts.reserve(hosts.size() + selection.endpoints.size());
  for (const discovery::SelectedEndpoint& e : selection.endpoints) {
    auto host = registry.get_or_create(cluster.name, e.address, {});
    host->state.registry_health.store(e.registry_health, std::memory_order_relaxed);
    hosts.push_back(std::move(host));
  }
}

void MeshRuntime::start_registration(const std::vector<ListenerSet::Info>& listeners) {
  if (registration_started_) {
    return;
  }
  registration_started_ = true;
  const auto plan = discovery_->plan();
  if (!plan || plan->ingress.empty()) {
    return;
  }
  std::vector<std::uint16_t> ports;
  for (const discovery::IngressPlan& ingress : plan->ingress) {
    const auto port = bound_port(listeners, ingress.listener.name);
    if (!port) {
      throw std::runtime_error("service_connect: ingress listener " + ingress.listener.name +
                               " is not bound");
    }
    ports.push_back(*port);
  }
  discovery_->start_registration(ports);
}

void MeshRuntime::deregister(std::function<void()> done) {
  discovery_->deregister(done ? std::move(done) : [] {});
}

void MeshRuntime::stop() {
  discovery_->stop();
}

void MeshRuntime::on_change(std::function<void()> callback) {
  discovery_->on_change([callback = std::move(callback)](const std::string&) { callback(); });
}

void MeshRuntime::on_rejected(std::function<void()> callback) {
  discovery_->on_rejected([callback = std::move(callback)](const std::string&) { callback(); });
}

bool MeshRuntime::ready() const {
  return discovery_->ready();
}

std::vector<std::string> MeshRuntime::namespaces_not_ready() const {
  return discovery_->namespaces_not_ready();
}

bool MeshRuntime::connected() const {
  return discovery_->connected();
}

std::optional<double> MeshRuntime::snapshot_age_seconds() const {
  return discovery_->snapshot_age_seconds();
}

std::uint64_t MeshRuntime::rejected_total() const {
  return discovery_->rejected_total();
}

void register_mesh_metrics(core::StatsRegistry& registry,
                           std::function<const MeshRuntime*()> current) {
  const auto connected = registry.gauge_family(
      "ferry_control_plane_connected",
      "1 while every followed namespace's watch on ferry-control is answered, else 0");
  const auto age = registry.gauge_family(
      "ferry_snapshot_age_seconds",
      "Seconds since the oldest held registry snapshot was last known current (0 while "
      "connected; NaN before the first snapshot)");
  registry.callback_gauge(connected, {}, [current] {
    const MeshRuntime* mesh = current();
    return mesh != nullptr && mesh->connected() ? 1.0 : 0.0;
  });
  registry.callback_gauge(age, {}, [current] {
    const MeshRuntime* mesh = current();
    const auto seconds = mesh != nullptr ? mesh->snapshot_age_seconds() : std::nullopt;
    return seconds ? *seconds : std::numeric_limits<double>::quiet_NaN();
  });
}

}  // namespace ferry::proxy
