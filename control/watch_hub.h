#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "control/registry.h"

namespace ferry::control {

// The watch API's long-polls (GET /v1/watch). A watcher names a namespace
// and the epoch/version it holds: if they differ from the current ones it
// gets the snapshot at once, else it is parked until the namespace's version
// moves (200 with the snapshot) or its deadline passes (304).
//
// Pure bookkeeping on the loop thread: time comes in as arguments (the
// control plane's timer calls expire() at next_deadline()), replies go out
// through each watcher's responder. One snapshot text per namespace version
// is built once and shared by every watcher it answers, so 1000 idle
// watchers cost a map entry each.
class WatchHub {
 public:
  using Clock = std::chrono::steady_clock;
  struct Reply {
    int status = 200;                         // 200, 304, 404, 503
    std::shared_ptr<const std::string> body;  // null for 304
  };
  using Responder = std::function<void(Reply)>;

  WatchHub(const Registry& registry, std::size_t max_watchers);

  // Answers at once (and returns 0) or parks the watcher and returns its id.
  // `epoch`/`version` empty/nullopt mean "I hold nothing".
  std::uint64_t watch(std::string_view namespace_name, std::string_view epoch,
                      std::optional<std::int64_t> version, Clock::time_point deadline,
                      Responder responder);
  // Forgets a parked watcher without answering (its connection closed).
  void cancel(std::uint64_t id);

  // Registry listener: answers the watchers of every namespace that moved.
  void on_change(const ChangeSummary& summary);
  // Answers 304 to every watcher whose deadline is not after `now`.
  void expire(Clock::time_point now);
  std::optional<Clock::time_point> next_deadline() const;
  // Answers every parked watcher with `reply` (shutdown).
  void close_all(const Reply& reply);

  std::size_t watchers() const { return waiters_.size(); }

  // The snapshot JSON of a namespace at its current version (cached).
  std::shared_ptr<const std::string> snapshot(const std::string& namespace_id);

 private:
  struct Waiter {
    std::string namespace_id;
    std::int64_t version = 0;
    Clock::time_point deadline;
    Responder responder;
  };

  void answer(std::uint64_t id, const Reply& reply);
  static Reply not_found(std::string_view what);

  const Registry& registry_;
  std::size_t max_watchers_;
  std::uint64_t next_id_ = 1;
  std::map<std::uint64_t, Waiter> waiters_;
  std::multimap<std::string, std::uint64_t> by_namespace_;
  std::set<std::pair<Clock::time_point, std::uint64_t>> by_deadline_;
  struct Cached {
    std::int64_t version = -1;
    std::string epoch;
    std::shared_ptr<const std::string> body;
  };
  std::map<std::string, Cached> snapshots_;
};

}  // namespace ferry::control
