#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "control/api.h"
#include "control/control_metrics.h"
#include "control/registry.h"
#include "control/store.h"
#include "control/watch_hub.h"
#include "proxy/core/stats.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace ferry::control {

struct ControlOptions {
  ApiConfig api;
  // --instance-ttl: custom-health instances not renewed within it turn
  // UNHEALTHY. Zero: off.
  std::chrono::nanoseconds instance_ttl{0};
  // Replicas share renewals through the store (etcd): renewals are written
  // as heartbeats, at most every instance_ttl / 4 per instance.
  bool shared_renewals = false;
  std::size_t max_watchers = 10000;
  // Operation and idempotency records are kept this long, and at most
  // max_operations of each (oldest go first).
  std::chrono::nanoseconds operation_retention = std::chrono::hours(24);
  std::size_t max_operations = 50000;
  std::chrono::nanoseconds purge_interval = std::chrono::seconds(60);
};

// Ties the registry's parts together on the loop thread: the API (with its
// metrics), the watch hub and its deadlines, the TTL tracker and its
// expiries, the purge of old operations, and readiness. The HTTP front end
// calls into it; it never touches sockets.
class ControlPlane {
 public:
  ControlPlane(boost::asio::io_context& loop, Registry& registry, Store& store,
               ControlOptions options, core::StatsRegistry& stats);
  ~ControlPlane();
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  // Arms the TTL of every loaded instance and starts the timers. Loop thread,
  // after the store's records are in the registry.
  void start();

  // One API call; `done` runs on the loop thread. Counted and timed.
  void handle_api(std::string_view action, std::string_view body, const AuthContext& auth,
                  Api::Done done);
  // A call refused before the API saw it (authentication, size, framing):
  // counted with `action` ("unknown" when not a known action) and `code`.
  void count_refused(std::string_view action, std::string_view code,
                     std::chrono::nanoseconds duration);

  // The watch API. Returns the id of a parked watcher (0 when answered at
  // once) for cancel_watch(); `timeout` is capped by the caller.
  std::uint64_t watch(std::string_view namespace_name, std::string_view epoch,
                      std::optional<std::int64_t> version, std::chrono::nanoseconds timeout,
                      WatchHub::Responder responder);
  void cancel_watch(std::uint64_t id);

  // /ready: the store can serve and no drain has begun.
  bool ready() const;
  // Begins shutdown: /ready turns 503, parked watchers are answered 503 and
  // the timers stop. Loop thread.
  void drain();

  ControlMetrics& metrics();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::control
