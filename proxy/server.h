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
#include "proxy/core/stats.h"
#include "proxy/dns_refresher.h"
#include "proxy/host_registry.h"
#include "proxy/listen_sockets.h"
#include "proxy/proxy_metrics.h"
#include "proxy/server_spec.h"

namespace ferry::proxy {

class Worker;
class RuntimeSnapshot;

// The main thread of ferry-proxy: it owns the workers, binds listeners, builds
// snapshots and posts them to workers, resolves DNS, runs the drain sequence
// and answers signals. It never proxies traffic. Every method runs on the main
// thread unless it says otherwise.
class Server {
 public:
  explicit Server(ServerSpec spec);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds every listener (all before any worker starts, so a port conflict
  // fails start-up with nothing half-started) and starts the workers.
  // Errors name the listener and the address.
  boost::system::result<void> start(std::string* error);

  // Runs the main loop until the drain completes (or stop()). Returns the
  // process exit code.
  int run();

  boost::asio::io_context& context() { return context_; }
  core::StatsRegistry& stats() { return stats_; }
  ProxyMetrics& metrics() { return metrics_; }
  const ServerSpec& spec() const { return spec_; }

  // --- state for the admin server ---
  struct ListenerInfo {
    std::string name;
    std::string address;
    std::string protocol;
  };
  std::vector<ListenerInfo> listeners() const;
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
  void publish(std::shared_ptr<const RuntimeSnapshot> snapshot);
  void update_endpoint_gauges();
  void stop_ingress();
  void watch_in_flight();
  std::uint32_t in_flight() const;
  void exit_now();

  const ServerSpec spec_;
  const std::chrono::steady_clock::time_point started_;
  boost::asio::io_context context_{1};
  core::StatsRegistry stats_;
  ProxyMetrics metrics_;
  core::Gauge build_info_;
  HostRegistry hosts_;
  ReserveDescriptor reserve_;
  DnsRefresher dns_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::shared_ptr<Listener>> listeners_;
  std::vector<ListenSockets> sockets_;  // until handed to the workers
  // acceptors_[worker][listener], touched only on their worker.
  std::vector<std::vector<std::shared_ptr<Acceptor>>> acceptors_;
  std::map<std::string, std::shared_ptr<ClusterStats>> cluster_stats_;
  std::shared_ptr<const RuntimeSnapshot> snapshot_;
  std::uint64_t generation_ = 0;
  boost::asio::signal_set signals_;
  boost::asio::steady_timer drain_timer_;
  boost::asio::steady_timer drain_deadline_;
  DrainPhase drain_phase_ = DrainPhase::None;
  bool exit_requested_ = false;
  bool ingress_stopped_ = false;
  bool health_check_failed_ = false;
  bool started_workers_ = false;
  std::vector<std::function<void()>> drain_hooks_;
  int exit_code_ = 0;
};

}  // namespace ferry::proxy
