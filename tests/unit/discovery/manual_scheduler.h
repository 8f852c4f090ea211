#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <utility>

#include "discovery/scheduler.h"

namespace ferry::discovery::test {

// Simulated time for unit tests: nothing runs until the test advances the
// clock, and then callbacks run in deadline order (ties in scheduling
// order) with now() at their deadline. Wall time starts at the real time of
// construction (SigV4 signatures must verify) and moves with now().
class ManualScheduler final : public Scheduler {
 public:
  ManualScheduler()
      : now_(std::chrono::steady_clock::time_point(std::chrono::hours(1000))),
        wall_(std::chrono::system_clock::now()) {}

  std::chrono::steady_clock::time_point now() const override { return now_; }
  std::chrono::system_clock::time_point wall_now() const override {
    return wall_ + (now_ - start_);
  }

  TimerId schedule(core::Duration delay, Callback callback) override {
    const TimerId id = next_id_++;
    const auto at = now_ + std::max(delay, core::Duration::zero());
    timers_.emplace(std::pair(at, id), std::move(callback));
    return id;
  }

  void cancel(TimerId id) override {
    for (auto it = timers_.begin(); it != timers_.end(); ++it) {
      if (it->first.second == id) {
        timers_.erase(it);
        return;
      }
    }
  }

  // Moves time forward by `d`, running every callback due on the way.
  void advance(core::Duration d) {
    const auto end = now_ + d;
    while (!timers_.empty() && timers_.begin()->first.first <= end) {
      auto it = timers_.begin();
      now_ = std::max(now_, it->first.first);
      Callback cb = std::move(it->second);
      timers_.erase(it);
      cb();
    }
    now_ = end;
  }

  // Runs the callbacks due now (zero delays).
  void run_due() { advance(core::Duration::zero()); }

  std::size_t pending() const { return timers_.size(); }
  // Delay from now to the earliest pending callback; nullopt when none.
  std::optional<core::Duration> next_delay() const {
    if (timers_.empty()) {
      return std::nullopt;
    }
    return timers_.begin()->first.first - now_;
  }

 private:
  const std::chrono::steady_clock::time_point start_ =
      std::chrono::steady_clock::time_point(std::chrono::hours(1000));
  std::chrono::steady_clock::time_point now_;
  std::chrono::system_clock::time_point wall_;
  TimerId next_id_ = 1;
  std::map<std::pair<std::chrono::steady_clock::time_point, TimerId>, Callback> timers_;
};

}  // namespace ferry::discovery::test
