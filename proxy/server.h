#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/result.hpp>

#include "proxy/acceptor.h"
#include "proxy/core/config/proxy_config.h"
#include "proxy/core/stats.h"
#include "proxy/dns_refresher.h"
#include "proxy/host_registry.h"
#include "proxy/http/filter_chain_builder.h"
#include "proxy/listener_set.h"
#include "proxy/proxy_metrics.h"

namespace ferry::proxy {

class AdminServer;
class Cluster;
class ClusterHealth;
class ClusterShared;
class MeshRuntime;
class Worker;
class RuntimeSnapshot;

// The main thread of ferry-proxy: it owns the workers, binds listeners, builds
// snapshots and posts them to workers, resolves DNS, runs the drain sequence
// and answers signals. It never proxies traffic. Every method runs on the main
// thread unless it says otherwise.
class Server {
 public:
  // `workers`: the resolved worker count (config `workers: 0` already
  // turned into the CPUs this process may use). `config_path` is re-read by
  // reload().
  Server(std::shared_ptr<const core::ProxyConfig> config, unsigned workers,
         std::string config_path);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every listener and the admin server (all before any worker
  // starts, so a port conflict fails start-up with nothing half-started) and
  // starts the workers. Errors name the listener and the address.
  boost::system::result<void> start(std::string* error);

  // The admin server's bound address (after start()).
  core::SocketAddress admin_address() const;

  // SIGHUP / POST /reload: re-reads the config file and applies it. An
  // invalid file, or listeners that cannot be bound, change nothing: the old
  // config stays live, the error is logged and counted
  // (ferry_config_updates_rejected_total), and `*error` says why.
  bool reload(std::string* error);

  // Makes `config` (a user config, as loaded from the file) the live config:
  // with discovery or service_connect it is expanded by the MeshRuntime
  // first (server_mesh.cc); then listeners added, removed or changed
  // (ListenerSet), clusters rebuilt, a new snapshot published. All or
  // nothing. `workers` and `admin` changes take effect at the next restart.
  bool apply(std::shared_ptr<const core::ProxyConfig> config, std::string* error);

  // Runs the main loop until the drain completes (or stop()). Returns the
  // process exit code.
  int run();

  boost::asio::io_context& context() { return context_; }
  core::StatsRegistry& stats() { return stats_; }
  ProxyMetrics& metrics() { return metrics_; }
  const core::ProxyConfig& config() const { return *config_; }

  // --- state for the admin server ---
  std::vector<ListenerSet::Info> listeners() const { return listeners_.infos(); }
  const std::shared_ptr<const RuntimeSnapshot>& snapshot() const { return snapshot_; }
  bool ready() const;
  bool draining() const { return drain_phase_ != DrainPhase::None; }
  std::chrono::steady_clock::duration uptime() const;
  unsigned workers() const { return static_cast<unsigned>(workers_.size()); }

  // `POST /healthcheck/fail|ok`: a failed health check makes /ready answer 503
  // without draining.
  void set_health_check_failed(bool failed) { health_check_failed_ = failed; }

  enum class DrainTrigger { Sigterm, Sigint, Admin };
  // Starts DESIGN.md's drain sequence (see drain in the README). Idempotent:
  // a signal after `POST /drain` moves straight to waiting for in-flight
  // work, then exits.
  void drain(DrainTrigger trigger);

  // Hooks run at drain step 1 (e.g. deregistration from the registry).
  void on_drain_start(std::function<void()> hook) { drain_hooks_.push_back(std::move(hook)); }

 private:
  enum class DrainPhase { None, Propagating, Draining, Exiting };

  void start_signals();
  void on_signal(int signo);
  void rebuild_snapshot();
  // Coalesces rebuilds asked for by health checks and outlier detection
  // into one per loop turn.
  void schedule_rebuild();
  std::shared_ptr<const Cluster> build_cluster(const core::ClusterConfig& config);
  std::shared_ptr<ClusterShared> make_cluster_shared(const core::ClusterConfig& config);
  void publish(std::shared_ptr<const RuntimeSnapshot> snapshot);
  void update_endpoint_gauges();
  void stop_ingress();
  void watch_in_flight();
  std::uint32_t in_flight();
  void watch_dns_names();
  void exit_now();
  // Mesh wiring (server_mesh.cc).
  bool start_mesh(std::string* error);
  bool start_mesh_registration(std::string* error);
  bool apply_with_mesh(std::shared_ptr<const core::ProxyConfig> config, std::string* error);
  bool apply_effective(std::shared_ptr<const core::ProxyConfig> config, std::string* error);
  void wire_mesh();
  void declare_mesh_metrics();
  void on_mesh_change();
  // Gives the heap's free pages back to the kernel a second after a registry
  // change: each change builds new snapshots and frees the old ones on main,
  // and glibc would otherwise keep the high-water mark of that churn.
  void schedule_heap_trim();
  void arm_heap_trim(std::chrono::steady_clock::duration after);

  std::shared_ptr<const core::ProxyConfig> config_;
  const unsigned worker_count_;
  const std::string config_path_;
  const std::chrono::steady_clock::time_point started_;
  boost::asio::io_context context_{1};
  core::StatsRegistry stats_;
  ProxyMetrics metrics_;
  core::Gauge build_info_;
  HostRegistry hosts_;
  ReserveDescriptor reserve_;
  DnsRefresher dns_;
  std::vector<std::unique_ptr<Worker>> workers_;
  ListenerSet listeners_;
  std::map<std::string, std::shared_ptr<ClusterShared>> cluster_shared_;
  // Rate-limit buckets and fault injectors, kept across snapshots.
  FilterChainBuilder filter_chains_{metrics_};
  // Outlier detection and active health checks, per cluster that has them;
  // replaced together with the cluster's ClusterShared.
  std::map<std::string, std::shared_ptr<ClusterHealth>> cluster_health_;
  bool rebuild_posted_ = false;
  bool stopping_ = false;
  core::Counter config_rejected_;
  std::unique_ptr<AdminServer> admin_;
  std::shared_ptr<const RuntimeSnapshot> snapshot_;
  std::uint64_t generation_ = 0;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer drain_timer_;
  boost::asio::steady_timer drain_deadline_;
  boost::asio::steady_timer heap_trim_;
  bool heap_trim_armed_ = false;
  std::chrono::steady_clock::time_point last_change_;
  std::chrono::steady_clock::time_point first_untrimmed_change_;
  DrainPhase drain_phase_ = DrainPhase::None;
  bool exit_requested_ = false;
  bool ingress_stopped_ = false;
  bool health_check_failed_ = false;
  bool started_workers_ = false;
  std::vector<std::function<void()>> drain_hooks_;
  int exit_code_ = 0;
  // Discovery and Service Connect; null without them. config_ is then the
  // effective config (the user's plus the Service Connect plan's).
  std::unique_ptr<MeshRuntime> mesh_;
  bool mesh_metrics_ = false;  // the mesh gauges are declared (with the first runtime)
};

}  // namespace ferry::proxy
