#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "proxy/core/address.h"

namespace ferry::filters {

// Host counters and flags are independent facts read by workers and main:
// none orders other memory, so every access is relaxed.
inline constexpr auto kRelaxed = std::memory_order_relaxed;

enum class HealthStatus : std::uint8_t { Unknown, Healthy, Unhealthy };

const char* to_string(HealthStatus status);

// One upstream endpoint, process-wide: every worker and every snapshot that
// lists this address shares the one object, so its counters and state survive
// snapshot swaps (discovery updates, reloads). Owned by shared_ptr; the
// registry of live hosts (proxy/host_registry.h) hands out the same object
// for the same address while anyone still holds it.
//
// Threads: workers only bump the relaxed-atomic counters in `stats`; the
// fields in `state` are written by the main thread (health checks, outlier
// detection, registry health) and read by anyone. Decisions that must agree
// across workers (who is ejected, who is healthy) are taken on main and
// published as an immutable per-cluster overlay; `state` is its source.
class Host : public std::enable_shared_from_this<Host> {
 public:
  Host(core::SocketAddress address, std::string hostname)
      : address_(address), address_text_(address.to_string()), hostname_(std::move(hostname)) {}
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  const core::SocketAddress& address() const { return address_; }
  // Canonical "ip:port", the identity key.
  const std::string& address_text() const { return address_text_; }
  // The DNS name the address came from, or empty for a literal address.
  const std::string& hostname() const { return hostname_; }

  struct Stats {
    std::atomic<std::uint32_t> active_requests{0};
    std::atomic<std::uint32_t> active_connections{0};
    // Attempts that ended with an outcome (filters/attempt_recorder.h; a
    // refused stream counts in neither), and those that were a 5xx or a
    // gateway failure. Success-rate detection reads their interval deltas.
    std::atomic<std::uint64_t> requests_total{0};
    std::atomic<std::uint64_t> failures_total{0};
    std::atomic<std::uint32_t> consecutive_5xx{0};
    std::atomic<std::uint32_t> consecutive_gateway_failures{0};
    std::atomic<std::uint64_t> latency_sum_ns{0};  // completed requests' durations
    std::atomic<std::uint64_t> latency_count{0};
    std::atomic<std::uint64_t> connect_failures_total{0};
    // Peak-EWMA latency estimate (filters/peak_ewma.h): the estimate as a
    // float of nanoseconds in the high 32 bits, the millisecond stamp of its
    // last update in the low 32, so one compare-exchange updates both. 0:
    // never observed.
    std::atomic<std::uint64_t> peak_ewma{0};
  };
  Stats stats;

  struct State {
    std::atomic<HealthStatus> registry_health{HealthStatus::Unknown};
    std::atomic<HealthStatus> active_health{HealthStatus::Unknown};
    std::atomic<bool> ejected{false};
    // `ejected` and `times_ejected` are written by OutlierDetector (main).
    // A Host shared by two clusters is ejected from both when either
    // detector ejects it (see outlier_detector.h). times_ejected grows by
    // one per ejection and shrinks by one per detection interval spent in
    // service.
    std::atomic<std::uint32_t> times_ejected{0};
  };
  State state;

  // The health shown by /clusters and counted in ferry_endpoints: active health
  // check result if there is one, else the registry's, else unknown.
  HealthStatus health() const;

 private:
  const core::SocketAddress address_;
  const std::string address_text_;
  const std::string hostname_;
};

}  // namespace ferry::filters
