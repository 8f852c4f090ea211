#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

#include "filters/attempt_recorder.h"
#include "filters/clock.h"

namespace ferry::filters {

class Host;

// `outlier_detection` (DESIGN.md keys and defaults; the success-rate and
// latency knobs are ferry's own additions with the defaults below).
struct OutlierDetectionOptions {
  std::uint32_t consecutive_5xx = 5;
  std::uint32_t consecutive_gateway_failure = 5;
  Duration interval = std::chrono::seconds(10);
  Duration base_ejection_time = std::chrono::seconds(30);
  Duration max_ejection_time = std::chrono::seconds(300);
  // 0: detect and count, never eject (a dry run). Otherwise at least one
  // host may always be ejected.
  std::uint32_t max_ejection_percent = 10;

  // Success rate (Envoy's defaults): among hosts with at least
  // `request_volume` attempts in the interval, when there are at least
  // `minimum_hosts` of them, eject those below mean − stdev_factor × stdev.
  bool success_rate_enabled = true;
  std::uint32_t success_rate_minimum_hosts = 5;
  std::uint32_t success_rate_request_volume = 100;
  double success_rate_stdev_factor = 1.9;

  // Latency (ferry's): among hosts with at least `request_volume` responses
  // in the interval, when there are at least `minimum_hosts` of them, eject
  // a host whose mean latency is above threshold_factor × the median of the
  // others' means and at least minimum_excess above it.
  bool latency_enabled = true;
  std::uint32_t latency_minimum_hosts = 5;
  std::uint32_t latency_request_volume = 100;
  double latency_threshold_factor = 3.0;
  Duration latency_minimum_excess = std::chrono::milliseconds(10);

  ConsecutiveThresholds thresholds() const {
    return {consecutive_5xx, consecutive_gateway_failure};
  }
};

// What one call changed. Ejected and Returned change the overlay (publish a
// new one); NotEnforced is a detection that max_ejection_percent blocked.
enum class OutlierAction : std::uint8_t { Ejected, NotEnforced, Returned };

struct OutlierEvent {
  std::shared_ptr<Host> host;
  OutlierAction action = OutlierAction::Ejected;
  // Why the host was (or would have been) ejected; for Returned, the reason
  // of the ejection that ended.
  EjectionReason reason = EjectionReason::Consecutive5xx;
  Duration ejection_time{0};  // Ejected only
};

// Outlier detection for one cluster (Envoy's detector, nghttpx's
// ConnectBlocker idea of growing ejection times). Lives on the main thread
// and is only ever called there; it reads the hosts' worker-written
// counters and is the one writer of their `state.ejected` and
// `state.times_ejected`. After any call that returns Ejected or Returned
// events, the runtime rebuilds the cluster's routable set
// (select_routable_hosts) and publishes it to the workers.
//
// Ejection time = base_ejection_time × times ejected, capped at
// max(max_ejection_time, base_ejection_time). A host's times_ejected drops
// by one for each full interval it spends in service, so a host that
// recovered for good is eventually treated as new. At most
// max_ejection_percent of the hosts are ejected at once (at least one).
//
// Hosts shared between clusters: proxy/host_registry.h keys hosts by address,
// so two clusters listing one endpoint share a Host and its `ejected` flag.
// The detector never clears a flag it did not set (a host joining keeps
// whatever another cluster's detector decided; ejected anywhere means out of
// every routable set), and clears the ones it set when its ejections end,
// when a host leaves, and when it is destroyed. Each detector keeps its own
// ejection bookkeeping, so the shared case is coherent but not exact (the
// first detector to return the host returns it for both); keying hosts per
// cluster makes it exact.
class OutlierDetector {
 public:
  explicit OutlierDetector(const OutlierDetectionOptions& options);
  // Returns every host it ejected to service. Main thread.
  ~OutlierDetector();
  OutlierDetector(const OutlierDetector&) = delete;
  OutlierDetector& operator=(const OutlierDetector&) = delete;

  const OutlierDetectionOptions& options() const { return options_; }

  // Called when the cluster's host list changes (a discovery snapshot, a
  // reload) and once at start. Keeps the state of hosts that stay; a new
  // host starts in service (for this detector) with its counters' current
  // values as the baseline; a host that left is returned to service
  // silently (no event, not counted) so it comes back clean if it is
  // re-added. The detector keeps the hosts alive until the next call.
  void set_hosts(std::span<const std::shared_ptr<Host>> hosts, TimePoint now);

  // Called when a worker's record_attempt() reported a threshold crossing
  // for `host`. Resets the host's consecutive counters; ejects it unless it
  // is already ejected, no longer in this cluster, or the max percent blocks
  // it (then a NotEnforced event).
  std::optional<OutlierEvent> on_consecutive_failure(Host& host, EjectionReason reason,
                                                     TimePoint now);

  // Called every `interval` (the runtime's timer): lets ejection multipliers
  // decay, returns hosts whose time is up, then runs success-rate and
  // latency detection over the interval's figures.
  std::vector<OutlierEvent> on_interval(TimePoint now);

  // Returns to service every host whose ejection ended by `now`. on_interval
  // does this too; a runtime that wants exact return times arms a timer for
  // next_return() and calls this.
  std::vector<OutlierEvent> return_due(TimePoint now);
  std::optional<TimePoint> next_return() const;

  std::size_t ejected_count() const { return ejected_count_; }
  std::size_t host_count() const { return records_.size(); }
  // The most hosts that may be ejected at once right now.
  std::size_t max_ejectable() const;

  // Per reason: detections, and those enforced (ejected). Detected minus
  // enforced were blocked by max_ejection_percent.
  std::uint64_t detected_total(EjectionReason reason) const { return detected_[idx(reason)]; }
  std::uint64_t enforced_total(EjectionReason reason) const { return enforced_[idx(reason)]; }
  // Ejections reversed: hosts returned to service when their time was up.
  std::uint64_t returned_total() const { return returned_total_; }

 private:
  struct Record {
    std::shared_ptr<Host> host;
    bool ejected = false;
    EjectionReason reason = EjectionReason::Consecutive5xx;  // of the last ejection
    TimePoint ejected_until{};
    TimePoint in_service_since{};
    // The cumulative counters at the previous sweep.
    std::uint64_t requests_base = 0;
    std::uint64_t failures_base = 0;
    std::uint64_t latency_sum_base = 0;
    std::uint64_t latency_count_base = 0;
  };
  struct IntervalFigures {
    std::uint64_t requests = 0;
    std::uint64_t failures = 0;
    std::uint64_t latency_sum = 0;
    std::uint64_t latency_count = 0;
  };

  static constexpr std::size_t idx(EjectionReason r) { return static_cast<std::size_t>(r); }
  static void take_baseline(Record& record);
  static IntervalFigures advance_baseline(Record& record);

  Record* find(const Host& host);
  std::optional<OutlierEvent> try_eject(Record& record, EjectionReason reason, TimePoint now);
  void decay_multipliers(TimePoint now);
  void detect_success_rate(std::span<Record* const> hosts, std::span<const IntervalFigures> figures,
                           TimePoint now, std::vector<OutlierEvent>& events);
  void detect_latency(std::span<Record* const> hosts, std::span<const IntervalFigures> figures,
                      TimePoint now, std::vector<OutlierEvent>& events);

  const OutlierDetectionOptions options_;
  std::vector<Record> records_;  // in the cluster's host order
  std::unordered_map<const Host*, std::size_t> index_;
  std::size_t ejected_count_ = 0;
  std::array<std::uint64_t, 4> detected_{};
  std::array<std::uint64_t, 4> enforced_{};
  std::uint64_t returned_total_ = 0;
};

}  // namespace ferry::filters
