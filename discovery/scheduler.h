#pragma once

#include <chrono>
#include <cstdint>
#include <functional>

#include "proxy/core/duration.h"

namespace ferry::discovery {

// Time and timers for the discovery classes, so that their policies (backoff,
// heartbeats, snapshot age) run on simulated time in unit tests. The
// production implementation is AsioScheduler (asio_scheduler.h) on the main
// thread's io_context; tests use a manual one they advance by hand.
//
// Single-threaded: every call, and every callback, happens on the thread that
// runs the loop. A callback is never invoked from inside schedule().
class Scheduler {
 public:
  using Callback = std::function<void()>;
  using TimerId = std::uint64_t;  // 0 is never a valid id

  virtual ~Scheduler() = default;

  // Monotonic time, for intervals and deadlines.
  virtual std::chrono::steady_clock::time_point now() const = 0;
  // Wall-clock time, for SigV4 dates and the age of a saved snapshot.
  virtual std::chrono::system_clock::time_point wall_now() const = 0;

  // Runs `callback` once, `delay` from now (a negative or zero delay: at the
  // next turn of the loop). Returns an id for cancel().
  virtual TimerId schedule(core::Duration delay, Callback callback) = 0;
  // Forgets a scheduled callback; it will not run. Unknown or already-run
  // ids are ignored.
  virtual void cancel(TimerId id) = 0;
};

// One re-armable timer owned by the object it times: start() replaces the
// pending callback, and the destructor cancels it, so a callback never runs
// after its owner is gone. The Scheduler must outlive the Timer.
class Timer {
 public:
  explicit Timer(Scheduler& scheduler) : scheduler_(scheduler) {}
  ~Timer() { cancel(); }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void start(core::Duration delay, Scheduler::Callback callback) {
    cancel();
    id_ = scheduler_.schedule(delay, [this, cb = std::move(callback)]() mutable {
      id_ = 0;
      cb();
    });
  }
  void cancel() {
    if (id_ != 0) {
      scheduler_.cancel(id_);
      id_ = 0;
    }
  }
  bool pending() const { return id_ != 0; }

 private:
  Scheduler& scheduler_;
  Scheduler::TimerId id_ = 0;
};

}  // namespace ferry::discovery
