#include "discovery/asio_scheduler.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace ferry::discovery {

struct AsioScheduler::State {
  explicit State(boost::asio::io_context& context) : io(context) {}
  boost::asio::io_context& io;
  TimerId next_id = 1;
  std::map<TimerId, std::unique_ptr<boost::asio::steady_timer>> timers;
};

AsioScheduler::AsioScheduler(boost::asio::io_context& io) : state_(std::make_shared<State>(io)) {}

AsioScheduler::~AsioScheduler() {
  // The handlers hold only a weak_ptr to the state; cancelling here makes
  // them see operation_aborted (or an expired state) and do nothing.
  for (auto& [id, timer] : state_->timers) {
    timer->cancel();
  }
}

std::chrono::steady_clock::time_point AsioScheduler::now() const {
  return std::chrono::steady_clock::now();
}

std::chrono::system_clock::time_point AsioScheduler::wall_now() const {
  return std::chrono::system_clock::now();
}

Scheduler::TimerId AsioScheduler::schedule(core::Duration delay, Callback callback) {
  const TimerId id = state_->next_id++;
  auto timer = std::make_unique<boost::asio::steady_timer>(state_->io);
  timer->expires_after(std::max(delay, core::Duration::zero()));
  std::weak_ptr<State> weak = state_;
  timer->async_wait(
      [weak, id, cb = std::move(callback)](const boost::system::error_code& ec) mutable {
        auto state = weak.lock();
        if (!state || ec == boost::asio::error::operation_aborted) {
          return;
        }
        auto it = state->timers.find(id);
        if (it == state->timers.end()) {
          return;  // cancelled after it had already fired
        }
        state->timers.erase(it);
        cb();
      });
  state_->timers.emplace(id, std::move(timer));
  return id;
}

void AsioScheduler::cancel(TimerId id) {
  auto it = state_->timers.find(id);
  if (it == state_->timers.end()) {
    return;
  }
  it->second->cancel();
  state_->timers.erase(it);
}

std::size_t AsioScheduler::pending() const {
  return state_->timers.size();
}

}  // namespace ferry::discovery
