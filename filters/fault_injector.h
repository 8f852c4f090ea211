#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string_view>

#include "filters/clock.h"
#include "filters/prng.h"
#include "filters/resource_slot.h"

namespace ferry::filters {

// Request headers that drive header-activated faults.
inline constexpr std::string_view kFaultDelayHeader = "x-ferry-fault-delay";  // milliseconds
inline constexpr std::string_view kFaultAbortHeader = "x-ferry-fault-abort";  // HTTP status

struct FaultDelayOptions {
  Duration fixed_delay{0};  // ignored under header activation (the header says)
  double percent = 100.0;
};
struct FaultAbortOptions {
  std::uint16_t http_status = 503;  // 200..599; ignored under header activation
  double percent = 100.0;
};

// A route's `fault` block (ferry's own keys; off unless configured).
struct FaultInjectionOptions {
  std::optional<FaultDelayOptions> delay = std::nullopt;
  std::optional<FaultAbortOptions> abort = std::nullopt;
  // Faults only for requests that ask: a delay for a request carrying
  // x-ferry-fault-delay: <ms>, an abort for x-ferry-fault-abort: <status>.
  // The header gives the value; the kind's percent applies when the kind is
  // configured, else 100%.
  bool header_activation = false;
  // Faults in progress at once (process-wide); beyond it requests pass
  // untouched and the overflow is counted. Keeps a 100% delay from holding
  // every connection.
  std::uint32_t max_active_faults = 1024;
  // The longest delay a header may ask for; longer asks are ignored.
  Duration max_header_delay = std::chrono::seconds(60);
};

// The header values a request carries (nullopt when absent). The runtime
// strips both headers before forwarding, whatever the configuration.
struct FaultHeaders {
  std::optional<std::string_view> delay = std::nullopt;
  std::optional<std::string_view> abort = std::nullopt;
};

// What to do to one request. Delay first (a timer on the worker), then
// either answer with abort_status locally or forward. Hold the decision
// until the faulted request ends: its slot counts toward max_active_faults.
struct FaultDecision {
  Duration delay{0};
  std::uint16_t abort_status = 0;  // 0: no abort
  ResourceSlot slot;
  bool any() const { return delay > Duration::zero() || abort_status != 0; }
};

// Fault injection for one route, shared by every worker that routes with it
// (owned by the route snapshot). decide() is called on a worker for each
// request the route matches, with that worker's Prng (the object itself
// holds no generator so workers never share one); the active-fault cap and
// the counters are relaxed atomics, written only when a fault fires.
class FaultInjector {
 public:
  explicit FaultInjector(const FaultInjectionOptions& options);
  FaultInjector(const FaultInjector&) = delete;
  FaultInjector& operator=(const FaultInjector&) = delete;

  FaultDecision decide(const FaultHeaders& headers, Prng& prng);

  std::uint32_t active() const { return active_.load(std::memory_order_relaxed); }
  std::uint64_t delays_total() const { return delays_.load(std::memory_order_relaxed); }
  std::uint64_t aborts_total() const { return aborts_.load(std::memory_order_relaxed); }
  // Faults drawn but skipped because max_active_faults were in progress.
  std::uint64_t overflow_total() const { return overflow_.load(std::memory_order_relaxed); }
  // Fault headers ignored as malformed or out of range.
  std::uint64_t invalid_header_total() const {
    return invalid_header_.load(std::memory_order_relaxed);
  }

 private:
  Duration draw_delay(const FaultHeaders& headers, Prng& prng);
  std::uint16_t draw_abort(const FaultHeaders& headers, Prng& prng);

  FaultInjectionOptions options_;
  std::uint32_t delay_ppm_;
  std::uint32_t abort_ppm_;
  alignas(64) std::atomic<std::uint32_t> active_{0};
  std::atomic<std::uint64_t> delays_{0};
  std::atomic<std::uint64_t> aborts_{0};
  std::atomic<std::uint64_t> overflow_{0};
  std::atomic<std::uint64_t> invalid_header_{0};
};

}  // namespace ferry::filters
