#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/endpoint_selection.h"
#include "discovery/namespace_snapshot.h"
#include "discovery/namespace_watcher.h"
#include "discovery/scheduler.h"
#include "discovery/service_connect_plan.h"
#include "discovery/snapshot_store.h"
#include "proxy/core/config/proxy_config.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace ferry::discovery {

class AsioScheduler;
class HostsFile;
class RegistryClient;
class SelfRegistration;

struct DiscoveryRuntimeOptions {
  // Null: an AsioScheduler on the io_context (production). Tests pass a
  // manual one. Must outlive the runtime.
  Scheduler* scheduler = nullptr;
  // Environment lookups (credentials, FERRY_INSTANCE_*); empty: ::getenv.
  std::function<const char*(const char*)> getenv;
  // 0: from std::random_device.
  std::uint64_t seed = 0;
  SnapshotLimits limits;
  core::Duration absent_namespace_retry = std::chrono::seconds(5);
  core::Duration snapshot_write_interval = std::chrono::seconds(1);
};

// The sidecar's registry side in one object, for the proxy's Server to own
// on its main thread: a RegistryClient, one NamespaceWatcher per followed
// namespace (every `clusters[].discovery.namespace` and the
// service_connect namespace), the SnapshotStore, the Service Connect plan
// and its hosts file, and SelfRegistration.
//
// The owner reads state through the accessors and learns of changes through
// on_change(); it never gets a call from another thread. Everything runs on
// the io_context's thread; the io_context outlives the runtime.
class DiscoveryRuntime {
 public:
  // Builds every part from the config (which the caller keeps alive).
  // Throws std::runtime_error when there is nothing to follow without a
  // control_plane section, or when the credentials cannot be loaded.
  DiscoveryRuntime(boost::asio::io_context& io, std::shared_ptr<const core::ProxyConfig> config,
                   DiscoveryRuntimeOptions options = {});
  ~DiscoveryRuntime();
  DiscoveryRuntime(const DiscoveryRuntime&) = delete;
  DiscoveryRuntime& operator=(const DiscoveryRuntime&) = delete;

  // True when the config asks for any of this (a discovery cluster or
  // service_connect).
  static bool needed(const core::ProxyConfig& config);

  // Start-up, before the loop runs: loads the snapshot file (its namespaces
  // are served at once, so a restart during an outage comes back with them),
  // computes the first Service Connect plan (listeners to bind) and writes
  // the hosts file, then starts every watcher. on_change() is not called for
  // this initial state.
  void start();

  // After the ingress listeners are bound: `ingress_ports[i]` is the port of
  // service_connect.services[i]'s listener. Starts self-registration (it
  // registers once each application answers). Throws std::invalid_argument
  // for a bad FERRY_INSTANCE_ID / FERRY_INSTANCE_ATTRIBUTES.
  void start_registration(const std::vector<std::uint16_t>& ingress_ports);

  // Drain step 1: deregisters at once; `done` runs on the loop when the
  // registry answered or after the deregister timeout (at once when nothing
  // is registered). Watching goes on (egress keeps routing while draining).
  void deregister(std::function<void()> done);

  // Stops watching and registering (no deregistration) and writes a pending
  // snapshot file. Idempotent.
  void stop();

  // Runs on the loop after a namespace's snapshot was replaced (and the plan
  // recomputed), with the namespace's name.
  void on_change(std::function<void(const std::string&)> callback) {
    on_change_ = std::move(callback);
  }
  // Runs after a snapshot from the wire failed validation (it was counted).
  void on_rejected(std::function<void(const std::string&)> callback) {
    on_rejected_ = std::move(callback);
  }

  // /ready: every followed namespace has a snapshot (from the wire or the
  // file), or ferry-control said it does not exist yet (an empty view: a
  // client must not wait for its servers' first registration). Staying
  // ready while ferry-control is unreachable is the point.
  bool ready() const;
  // The namespaces that keep ready() false (for a /ready 503 reason).
  std::vector<std::string> namespaces_not_ready() const;
  // ferry_control_plane_connected: every watcher is connected.
  bool connected() const;
  // ferry_snapshot_age_seconds: the oldest over the namespaces; nullopt
  // while none has a snapshot.
  std::optional<double> snapshot_age_seconds() const;
  // ferry_config_updates_rejected_total's share: snapshots rejected from the
  // wire, plus a rejected snapshot file.
  std::uint64_t rejected_total() const;

  const std::set<std::string, std::less<>>& namespaces() const { return namespaces_; }
  std::shared_ptr<const NamespaceSnapshot> snapshot(std::string_view namespace_name) const;
  // The endpoints of a discovery cluster now (empty, service_missing, while
  // its namespace has no snapshot).
  EndpointSelection endpoints(const core::DiscoveryConfig& discovery) const;
  // The current Service Connect plan; null without service_connect.
  std::shared_ptr<const ServiceConnectPlan> plan() const { return plan_; }
  const NamespaceWatcher* watcher(std::string_view namespace_name) const;
  const SelfRegistration* registration() const { return registration_.get(); }
  const RegistryClient& client() const { return *client_; }
  const SnapshotStore* store() const { return store_.get(); }

 private:
  void on_snapshot(const std::string& namespace_name,
                   const std::shared_ptr<const NamespaceSnapshot>& snapshot);
  void replan(const NamespaceSnapshot* snapshot);

  boost::asio::io_context& io_;
  const std::shared_ptr<const core::ProxyConfig> config_;
  DiscoveryRuntimeOptions options_;
  std::unique_ptr<AsioScheduler> own_scheduler_;
  Scheduler* scheduler_ = nullptr;
  std::unique_ptr<RegistryClient> client_;
  std::unique_ptr<SnapshotStore> store_;
  std::unique_ptr<HostsFile> hosts_;
  std::map<std::string, std::unique_ptr<NamespaceWatcher>, std::less<>> watchers_;
  std::unique_ptr<SelfRegistration> registration_;
  std::set<std::string, std::less<>> namespaces_;
  std::shared_ptr<const ServiceConnectPlan> plan_;
  std::set<std::string> warned_;
  bool hosts_dirty_ = false;
  std::uint64_t file_rejections_ = 0;
  bool started_ = false;
  std::function<void(const std::string&)> on_change_;
  std::function<void(const std::string&)> on_rejected_;
};

}  // namespace ferry::discovery
