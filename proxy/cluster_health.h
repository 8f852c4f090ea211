#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "filters/attempt_recorder.h"
#include "filters/health_check_state.h"
#include "filters/host.h"
#include "filters/outlier_detector.h"
#include "proxy/cluster.h"
#include "proxy/core/config/proxy_config.h"
#include "proxy/core/stats.h"
#include "proxy/proxy_metrics.h"

namespace ferry::proxy {

class HealthChecker;
struct HealthCheckSettings;

// The main thread's health machinery of one cluster: its outlier detector
// (outlier_detection) and one active checker per host (health_check). Both
// write the hosts' `state` (ejected, active_health); after any change the
// owner's `on_change` hook runs, and the owner rebuilds the snapshot, whose
// routable overlay (filters::select_routable_hosts) the workers then read.
//
// Lives on the main thread only, owned by the Server for as long as the
// cluster's config is unchanged (like ClusterShared); a changed config gets a
// fresh one, and the old one's destructor returns its ejected hosts and
// forgets its health verdicts. Workers reach it only through the
// OutlierReport of reporter(), which posts.
class ClusterHealth {
 public:
  // Whether `config` asks for anything this class does.
  static bool wanted(const core::ClusterConfig& config);

  // `on_change` runs on main after an ejection, a return to service or a
  // health verdict changed a host's routability; it must not call
  // set_hosts() synchronously (the Server posts a rebuild).
  ClusterHealth(boost::asio::io_context& main, std::shared_ptr<const core::ClusterConfig> config,
                ProxyMetrics& metrics, std::function<void()> on_change);
  ~ClusterHealth();
  ClusterHealth(const ClusterHealth&) = delete;
  ClusterHealth& operator=(const ClusterHealth&) = delete;

  // The OutlierReport for the cluster's ClusterShared: callable on any
  // worker; posts (weak host, reason, time) to `main`, where the detector
  // decides. Reports that arrive after `self` is gone are dropped.
  static OutlierReport reporter(const std::shared_ptr<ClusterHealth>& self,
                                boost::asio::io_context& main);

  // Called on main whenever the cluster's snapshot is rebuilt, with its
  // hosts, before the routable set is computed from their state. New hosts
  // start in service and (with health_check) unknown, with a first check
  // within one interval; hosts that left are forgotten (their checks stop).
  // Never calls on_change.
  void set_hosts(std::span<const std::shared_ptr<filters::Host>> hosts);

  // Stops every timer and check (process exit). Idempotent.
  void stop();

  const filters::OutlierDetector* detector() const { return detector_.get(); }

 private:
  using TimePoint = std::chrono::steady_clock::time_point;

  void on_consecutive_failure(filters::Host& host, filters::EjectionReason reason, TimePoint now);
  void handle(std::span<const filters::OutlierEvent> events);
  void arm_interval();
  void arm_return();
  void on_check(filters::Host& host, filters::HealthCheckResult result,
                std::optional<filters::HealthStatus> changed);

  boost::asio::io_context& main_;
  std::shared_ptr<const core::ClusterConfig> config_;
  std::function<void()> on_change_;
  std::unique_ptr<filters::OutlierDetector> detector_;
  boost::asio::steady_timer interval_timer_;
  boost::asio::steady_timer return_timer_;
  std::optional<TimePoint> return_armed_at_;
  std::shared_ptr<const HealthCheckSettings> check_settings_;
  std::map<const filters::Host*, std::shared_ptr<HealthChecker>> checkers_;
  std::uint64_t seed_;
  bool stopped_ = false;
  // Metrics (main thread writes them).
  std::array<core::Counter, 4> ejections_;  // by filters::EjectionReason
  std::array<core::Counter, 4> detections_;
  core::Counter reversed_;
  core::Gauge ejected_active_;
  core::Counter checks_;
  core::Counter check_failures_;
  // Liveness token for the posted reports and timer handlers.
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

}  // namespace ferry::proxy
