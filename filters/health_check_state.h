#pragma once

#include <cstdint>
#include <optional>

#include "filters/clock.h"
#include "filters/host.h"
#include "filters/prng.h"

namespace ferry::filters {

// The bookkeeping knobs of `health_check` (DESIGN.md keys and defaults;
// `interval_jitter_percent` and `start_unhealthy` are ferry's own).
struct HealthCheckOptions {
  Duration interval = std::chrono::seconds(5);
  std::uint32_t healthy_threshold = 2;
  std::uint32_t unhealthy_threshold = 2;
  // Each interval is lengthened by a random 0..P% of itself, so the checks of
  // many sidecars (and of many hosts) drift apart instead of arriving in
  // lock-step.
  std::uint32_t interval_jitter_percent = 10;
  // Envoy starts every host unhealthy until its first check passes. ferry
  // starts it unknown (routable, like a host without checks): in a mesh a
  // newly registered task was already checked by its own sidecar before it
  // registered, and starting unhealthy would hold traffic off every new task
  // for a check interval and send a freshly started client into panic. Set
  // this for Envoy's behaviour.
  bool start_unhealthy = false;
};

// What one active check found. A timeout is a failure that the runtime may
// count apart.
enum class HealthCheckResult : std::uint8_t { Success, Failure, Timeout };

// One host's active health-check state, on the main thread (where checks
// run). The runtime calls first_delay() when the host appears, runs a check
// when it expires, reports the result with on_result(), and waits
// next_delay() before the next one. When on_result() returns a new status
// the runtime writes it to Host::state.active_health and republishes the
// cluster's routable set.
//
// Transitions: healthy → unhealthy after unhealthy_threshold consecutive
// failures; unhealthy → healthy after healthy_threshold consecutive
// successes. From the initial state the first verdict is quick the way
// Envoy's is: unknown (or start_unhealthy's unhealthy) turns healthy on the
// first success; unknown turns unhealthy after unhealthy_threshold failures
// in a row, as a healthy host would.
class HealthCheckState {
 public:
  HealthCheckState(const HealthCheckOptions& options, std::uint64_t seed);

  HealthStatus status() const { return status_; }

  // Returns the new status when this result changed it.
  std::optional<HealthStatus> on_result(HealthCheckResult result);

  // Before the first check: uniform in [0, interval), so checks of hosts
  // added together are spread over an interval.
  Duration first_delay();
  // Between checks: interval + uniform [0, interval × jitter%).
  Duration next_delay();

  std::uint64_t checks_total() const { return checks_total_; }
  std::uint64_t failures_total() const { return failures_total_; }  // timeouts included
  std::uint64_t timeouts_total() const { return timeouts_total_; }

 private:
  Duration interval_;
  std::uint32_t healthy_threshold_;
  std::uint32_t unhealthy_threshold_;
  std::uint32_t jitter_percent_;
  Prng prng_;
  HealthStatus status_;
  std::uint32_t successes_in_row_ = 0;
  std::uint32_t failures_in_row_ = 0;
  std::uint64_t checks_total_ = 0;
  std::uint64_t failures_total_ = 0;
  std::uint64_t timeouts_total_ = 0;
};

}  // namespace ferry::filters
