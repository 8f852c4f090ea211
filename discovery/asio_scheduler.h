#pragma once

#include <map>
#include <memory>

#include "discovery/scheduler.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace ferry::discovery {

// The Scheduler of production: real clocks and one steady_timer per
// scheduled callback on the given io_context (the proxy's main thread).
// Destroying it cancels every pending callback.
class AsioScheduler final : public Scheduler {
 public:
  explicit AsioScheduler(boost::asio::io_context& io);
  ~AsioScheduler() override;
  AsioScheduler(const AsioScheduler&) = delete;
  AsioScheduler& operator=(const AsioScheduler&) = delete;

  std::chrono::steady_clock::time_point now() const override;
  std::chrono::system_clock::time_point wall_now() const override;
  TimerId schedule(core::Duration delay, Callback callback) override;
  void cancel(TimerId id) override;

  std::size_t pending() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace ferry::discovery
