#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "perf/load/client_session.h"
#include "perf/load/open_loop_schedule.h"
#include "proxy/core/address.h"

namespace ferry::perf {

// Everything a worker needs to know about the run; built once on the main
// thread before the workers start and read-only afterwards (shared by all
// workers without locks).
struct RunPlan {
  core::SocketAddress address;  // where every connection goes
  RequestTemplate request;
  // Makes the protocol session for a freshly connected socket (HTTP/1.1 or
  // HTTP/2); called on a worker thread, once per connection attempt.
  std::function<std::unique_ptr<ClientSession>(SessionEvents&)> make_session;
  std::uint32_t connections = 1;
  std::optional<OpenLoopSchedule> schedule;  // set: open loop; empty: closed loop
  std::uint64_t start_ns = 0;                // connections open; warm-up begins
  std::uint64_t warm_ns = 0;                 // measurement window [warm_ns, end_ns)
  std::uint64_t end_ns = 0;
  std::uint64_t timeout_ns = 0;  // per request and per connect
  std::uint64_t sweep_interval_ns = 0;

  bool open_loop() const { return schedule.has_value(); }
  bool in_window(std::uint64_t t) const { return t >= warm_ns && t < end_ns; }
};

// Nanoseconds on the monotonic clock every timestamp of a run uses.
std::uint64_t monotonic_ns();

}  // namespace ferry::perf
