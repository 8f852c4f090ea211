#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "filters/host.h"
#include "proxy/core/config/proxy_config.h"
#include "proxy/core/stats.h"
#include "proxy/host_registry.h"
#include "proxy/listener_set.h"
#include "proxy/proxy_metrics.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace ferry::discovery {
class DiscoveryRuntime;
}  // namespace ferry::discovery

namespace ferry::proxy {

// The proxy side of discovery and Service Connect (issue 6): owns the
// discovery::DiscoveryRuntime of one user config and turns what it knows into
// what the Server runs — the *effective* config (the user's listeners and
// clusters plus the Service Connect plan's, in that order), the hosts of
// every `discovery:` cluster, the bound ingress ports for self-registration,
// and the mesh metrics.
//
// Main thread only, like the Server that owns it. The Server rebuilds its
// snapshot (and, for the service_connect namespace, its listener set) from
// effective() whenever on_change() fires; workers only ever see the result as
// an immutable RuntimeSnapshot.
class MeshRuntime {
 public:
  // True when `config` has a discovery cluster or service_connect.
  static bool needed(const core::ProxyConfig& config);

  // Builds the registry side for `user_config` (kept alive here). Throws
  // std::runtime_error when the control plane cannot be set up (credentials
  // file unreadable, nothing to follow without control_plane).
  MeshRuntime(boost::asio::io_context& io, std::shared_ptr<const core::ProxyConfig> user_config);
  ~MeshRuntime();
  MeshRuntime(const MeshRuntime&) = delete;
  MeshRuntime& operator=(const MeshRuntime&) = delete;

  // Loads the snapshot file and computes the first plan (so effective() and
  // hosts already answer from the file), then starts watching. Before the
  // Server binds its listeners.
  void start();

  // True when `user_config` needs nothing this runtime does not follow: the
  // same control_plane, service_connect and set of discovery namespaces. A
  // reload that changes them gets a new MeshRuntime.
  bool serves(const core::ProxyConfig& user_config) const;

  const std::shared_ptr<const core::ProxyConfig>& user_config() const { return user_config_; }
  // After a reload this runtime serves(): effective() expands it from now on.
  void set_user_config(std::shared_ptr<const core::ProxyConfig> config) {
    user_config_ = std::move(config);
  }

  // The user's config plus the Service Connect listeners and clusters of
  // the current plan. A fresh object per call; the Server keeps it as its
  // live config.
  std::shared_ptr<const core::ProxyConfig> effective() const;
  // Same for another user config this runtime serves (a reload that only
  // changed static parts).
  std::shared_ptr<const core::ProxyConfig> effective(const core::ProxyConfig& user_config) const;

  // source_service / target_service of every Service Connect listener and
  // cluster of the current plan, by name: the ingress listener and the app
  // cluster of service S are {"", S} (the caller is not known); an egress
  // listener and a service cluster for alias service T are {own, T}, `own`
  // being this task's first service ("" for a client only).
  std::map<std::string, ProxyMetrics::ServiceLabels, std::less<>> service_labels() const;

  // Appends the hosts of discovery cluster `cluster` (one per selected
  // endpoint, from `registry` so a host keeps its identity across
  // snapshots) and sets each host's registry health.
  void add_hosts(const core::ClusterConfig& cluster, HostRegistry& registry,
                 std::vector<std::shared_ptr<filters::Host>>& hosts) const;

  // After the listeners are bound: registers this task's services with the
  // ports their ingress listeners got (from `listeners`). Once per runtime;
  // later calls do nothing. Throws std::invalid_argument for a bad
  // FERRY_INSTANCE_ID / FERRY_INSTANCE_ATTRIBUTES.
  void start_registration(const std::vector<ListenerSet::Info>& listeners);

  // Drain step 1: deregisters at once (bounded; `done` may be empty).
  void deregister(std::function<void()> done);
  // Stops watching and registering; writes a pending snapshot file.
  void stop();

  // Runs on main after a followed namespace changed (its snapshot was
  // replaced and the plan recomputed).
  void on_change(std::function<void()> callback);
  // Runs on main for every snapshot rejected from the wire.
  void on_rejected(std::function<void()> callback);

  bool ready() const;
  std::vector<std::string> namespaces_not_ready() const;
  bool connected() const;
  std::optional<double> snapshot_age_seconds() const;
  std::uint64_t rejected_total() const;

  const discovery::DiscoveryRuntime& discovery() const { return *discovery_; }

 private:
  std::shared_ptr<const core::ProxyConfig> user_config_;
  std::unique_ptr<discovery::DiscoveryRuntime> discovery_;
  bool registration_started_ = false;
};

// Declares ferry_control_plane_connected and ferry_snapshot_age_seconds as
// callback gauges reading whatever MeshRuntime `current()` returns at
// scrape time (on main, where /metrics is served). Without a runtime the
// gauges read 0 (connected) and NaN (age); with one but no snapshot yet the
// age is NaN too. Called once per process.
void register_mesh_metrics(core::StatsRegistry& registry,
                           std::function<const MeshRuntime*()> current);

}  // namespace ferry::proxy
