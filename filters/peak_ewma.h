#pragma once

#include <atomic>
#include <cstdint>

#include "filters/clock.h"

namespace ferry::filters {

class Host;

// The `ewma` balancer's knobs (ferry's own; linkerd's defaults).
struct PeakEwmaOptions {
  // Time constant of the decay: an estimate loses ~63% of its weight per
  // `decay` without observations. Below 1ms it is taken as 1ms.
  Duration decay = std::chrono::seconds(10);
  // The estimate of a host never observed, so a new host is neither shunned
  // nor flooded.
  Duration default_rtt = std::chrono::milliseconds(30);
};

// Peak-EWMA latency estimation (linkerd / Finagle): per host, a latency
// estimate that jumps up to a slower observation at once and otherwise
// moves toward new observations with a weight that grows with the time since
// the last one; between observations it decays toward zero, so a host that
// was slow and then got no traffic is tried again. The balancer's cost is
// estimate × (active requests + 1).
//
// State lives in Host::Stats::peak_ewma (one 64-bit word: float estimate in
// ns + millisecond stamp), shared by all workers: record() is a lock-free
// compare-exchange loop, estimate() a plain load. Any thread may call either.
class PeakEwma {
 public:
  explicit PeakEwma(const PeakEwmaOptions& options);

  // After an attempt got its response head, with the time it took.
  void record(Host& host, Duration rtt, TimePoint now) const;

  // The host's estimate at `now`, in nanoseconds (decayed since its last
  // observation; default_rtt when it has none).
  double estimate_ns(const Host& host, TimePoint now) const;

  // estimate × (active requests + 1).
  double cost(const Host& host, TimePoint now) const;

 private:
  double decayed(std::uint64_t packed, TimePoint now) const;
  double weight(std::int64_t elapsed_ms) const;

  double decay_ms_;
  double default_rtt_ns_;
};

}  // namespace ferry::filters
