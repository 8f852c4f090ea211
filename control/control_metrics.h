#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "proxy/core/stats.h"

namespace ferry::control {

// ferry-control's metrics (names in control/README.md). Every method runs on
// the loop thread: the SQLite writer reports its commits through the loop.
// Series are created on first use and cached, so a request costs a map
// lookup, not a registration.
class ControlMetrics {
 public:
  explicit ControlMetrics(core::StatsRegistry& stats);

  // One API call (or a refused one: auth failures, 413, unknown action).
  // `action` must be a known action or "unknown"; `outcome` is "success" or
  // the error's __type (a bounded set).
  void api_call(std::string_view action, std::string_view outcome,
                std::chrono::nanoseconds duration);
  void commit(std::chrono::nanoseconds duration, std::size_t batch);
  void set_instances(std::size_t n) { instances_.set(static_cast<std::int64_t>(n)); }
  void set_watchers(std::size_t n) { watchers_.set(static_cast<std::int64_t>(n)); }
  void ttl_expired() { ttl_expirations_.inc(); }
  void watch_answered(int status);

 private:
  core::StatsRegistry& stats_;
  core::StatsRegistry::FamilyId requests_family_;
  core::StatsRegistry::FamilyId duration_family_;
  core::StatsRegistry::FamilyId watch_family_;
  std::map<std::pair<std::string, std::string>, core::Counter, std::less<>> requests_;
  std::map<std::string, core::Histogram, std::less<>> durations_;
  std::map<int, core::Counter> watch_replies_;
  core::Gauge instances_;
  core::Gauge watchers_;
  core::Histogram commit_duration_;
  core::Histogram commit_batch_;
  core::Counter ttl_expirations_;
  core::Gauge build_info_;
};

}  // namespace ferry::control
