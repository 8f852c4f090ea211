#include "discovery/discovery_runtime.h"

#include <stdexcept>

#include <spdlog/spdlog.h>

#include "discovery/asio_scheduler.h"
#include "discovery/credentials_source.h"
#include "discovery/hosts_file.h"
#include "discovery/registry_client.h"
#include "discovery/self_registration.h"
#include "filters/prng.h"

namespace ferry::discovery {

bool DiscoveryRuntime::needed(const core::ProxyConfig& config) {
  if (config.service_connect) {
    return true;
  }
  return std::any_of(config.clusters.begin(), config.clusters.end(),
                     [](const core::ClusterConfig& c) { return c.discovery.has_value(); });
}

DiscoveryRuntime::DiscoveryRuntime(boost::asio::io_context& io,
                                   std::shared_ptr<const core::ProxyConfig> config,
                                   DiscoveryRuntimeOptions options)
    : io_(io), config_(std::move(config)), options_(std::move(options)) {
  if (!config_->control_plane) {
    throw std::runtime_error("discovery needs a control_plane section");
  }
  const core::ControlPlaneConfig& cp = *config_->control_plane;
  if (options_.seed == 0) {
    options_.seed = filters::Prng::entropy_seed();
  }
  if (options_.scheduler == nullptr) {
    own_scheduler_ = std::make_unique<AsioScheduler>(io_);
    scheduler_ = own_scheduler_.get();
  } else {
    scheduler_ = options_.scheduler;
  }
  std::string error;
  auto credentials = CredentialsSource::create(cp.credentials_file, error, options_.getenv);
  if (!credentials) {
    throw std::runtime_error("control_plane credentials: " + error);
  }
  spdlog::info("discovery: control-plane credentials from {}", credentials->description());
  if (credentials->description() == "none") {
    spdlog::warn(
        "discovery: no credentials (control_plane.credentials_file or AWS_ACCESS_KEY_ID); "
        "registry requests go unsigned");
  }
  client_ =
      std::make_unique<RegistryClient>(io_, *scheduler_, RegistryClientOptions::from_config(cp),
                                       std::move(*credentials), options_.seed);
  for (const core::ClusterConfig& cluster : config_->clusters) {
    if (cluster.discovery) {
      namespaces_.insert(cluster.discovery->namespace_name);
    }
  }
  if (config_->service_connect) {
    namespaces_.insert(config_->service_connect->namespace_name);
    if (config_->service_connect->hosts_file) {
      hosts_ = std::make_unique<HostsFile>(*config_->service_connect->hosts_file);
    }
  }
  if (cp.snapshot_path) {
    SnapshotStoreOptions store_options;
    store_options.limits = options_.limits;
    store_options.min_write_interval = options_.snapshot_write_interval;
    store_ = std::make_unique<SnapshotStore>(*scheduler_, *cp.snapshot_path, store_options);
  }
  WatcherOptions watcher_options;
  watcher_options.backoff = cp.reconnect_backoff;
  watcher_options.absent_namespace_retry = options_.absent_namespace_retry;
  watcher_options.limits = options_.limits;
  std::uint64_t seed = options_.seed;
  for (const std::string& name : namespaces_) {
    auto watcher = std::make_unique<NamespaceWatcher>(*client_, *scheduler_, name, watcher_options,
                                                      ++seed * 0x9e37);
    watcher->on_snapshot(
        [this, name](const std::shared_ptr<const NamespaceSnapshot>& s) { on_snapshot(name, s); });
    watcher->on_rejected([this](const std::string& reason) {
      if (on_rejected_) {
        on_rejected_(reason);
      }
    });
    watchers_.emplace(name, std::move(watcher));
  }
}

DiscoveryRuntime::~DiscoveryRuntime() {
  stop();
}

void DiscoveryRuntime::start() {
  if (started_) {
    return;
  }
  started_ = true;
  if (store_) {
    SnapshotLoad loaded = store_->load();
    if (loaded.status == SnapshotLoad::Status::Rejected) {
      ++file_rejections_;
    }
    for (auto& [name, snapshot] : loaded.snapshots.namespaces) {
      if (auto it = watchers_.find(name); it != watchers_.end()) {
        it->second->seed(snapshot, loaded.snapshots.saved_at);
      }
    }
    store_->retain(namespaces_);
  }
  if (config_->service_connect) {
    replan(snapshot(config_->service_connect->namespace_name).get());
  }
  for (auto& [name, watcher] : watchers_) {
    watcher->start();
  }
}

void DiscoveryRuntime::start_registration(const std::vector<std::uint16_t>& ingress_ports) {
  if (!config_->service_connect || config_->service_connect->services.empty() || registration_) {
    return;
  }
  const core::ServiceConnectConfig& sc = *config_->service_connect;
  auto specs = instance_specs(sc, ingress_ports, advertise_ip(sc), options_.getenv);
  registration_ = std::make_unique<SelfRegistration>(
      io_, *client_, *scheduler_, RegistrationOptions::from_config(*config_->control_plane, sc),
      std::move(specs), options_.seed + 1);
  registration_->start();
}

void DiscoveryRuntime::deregister(std::function<void()> done) {
  if (!registration_) {
    scheduler_->schedule(core::Duration::zero(), std::move(done));
    return;
  }
  registration_->deregister(std::move(done));
}

void DiscoveryRuntime::stop() {
  for (auto& [name, watcher] : watchers_) {
    watcher->stop();
  }
  registration_.reset();
  if (store_) {
    std::string error;
    if (!store_->flush(&error)) {
      spdlog::warn("discovery: snapshot file not written: {}", error);
    }
  }
}

void DiscoveryRuntime::on_snapshot(const std::string& namespace_name,
                                   const std::shared_ptr<const NamespaceSnapshot>& snapshot) {
  if (store_) {
    store_->put(snapshot);
  }
  if (config_->service_connect && config_->service_connect->namespace_name == namespace_name) {
    replan(snapshot.get());
  }
  if (on_change_) {
    on_change_(namespace_name);
  }
}

void DiscoveryRuntime::replan(const NamespaceSnapshot* snapshot) {
  auto next = std::make_shared<ServiceConnectPlan>(
      plan_service_connect(*config_->service_connect, snapshot, plan_.get()));
  for (const std::string& warning : next->warnings) {
    if (warned_.insert(warning).second) {
      spdlog::warn("discovery: service_connect: {}", warning);
    }
  }
  // A failed write is tried again at the next plan, changed or not.
  hosts_dirty_ = hosts_dirty_ || !plan_ || plan_->hosts != next->hosts;
  plan_ = std::move(next);
  if (hosts_ && hosts_dirty_) {
    std::string error;
    hosts_dirty_ = !hosts_->update(plan_->hosts, error);
    if (hosts_dirty_) {
      spdlog::error("discovery: cannot update the hosts file: {}", error);
    }
  }
}

bool DiscoveryRuntime::ready() const {
  return std::all_of(watchers_.begin(), watchers_.end(),
                     [](const auto& kv) { return kv.second->has_view(); });
}

std::vector<std::string> DiscoveryRuntime::namespaces_not_ready() const {
  std::vector<std::string> out;
  for (const auto& [name, watcher] : watchers_) {
    if (!watcher->has_view()) {
      out.push_back(name);
    }
  }
  return out;
}

bool DiscoveryRuntime::connected() const {
  return std::all_of(watchers_.begin(), watchers_.end(),
                     [](const auto& kv) { return kv.second->connected(); });
}

std::optional<double> DiscoveryRuntime::snapshot_age_seconds() const {
  std::optional<double> oldest;
  for (const auto& [name, watcher] : watchers_) {
    if (auto age = watcher->snapshot_age_seconds()) {
      oldest = std::max(oldest.value_or(0.0), *age);
    }
  }
  return oldest;
}

std::uint64_t DiscoveryRuntime::rejected_total() const {
  std::uint64_t total = file_rejections_;
  for (const auto& [name, watcher] : watchers_) {
    total += watcher->stats().rejected;
  }
  return total;
}

std::shared_ptr<const NamespaceSnapshot> DiscoveryRuntime::snapshot(
    std::string_view namespace_name) const {
  auto it = watchers_.find(namespace_name);
  return it == watchers_.end() ? nullptr : it->second->snapshot();
}

EndpointSelection DiscoveryRuntime::endpoints(const core::DiscoveryConfig& discovery) const {
  auto held = snapshot(discovery.namespace_name);
  if (!held) {
    EndpointSelection none;
    none.service_missing = true;
    return none;
  }
  return select_endpoints(discovery, *held);
}

const NamespaceWatcher* DiscoveryRuntime::watcher(std::string_view namespace_name) const {
  auto it = watchers_.find(namespace_name);
  return it == watchers_.end() ? nullptr : it->second.get();
}

}  // namespace ferry::discovery
