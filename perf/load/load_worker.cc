#include "perf/load/load_worker.h"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "perf/load/load_connection.h"

namespace ferry::perf {
namespace {

constexpr std::size_t kReadBufferBytes = 64 * 1024;
constexpr int kMaxEvents = 256;

}  // namespace

std::uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000u +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

LoadWorker::LoadWorker(const RunPlan& plan, std::vector<std::uint32_t> connection_indices)
    : plan_(plan), read_buffer_(kReadBufferBytes) {
  std::vector<Wake> storage;
  storage.reserve(connection_indices.size() * 2 + 16);
  wakes_ = decltype(wakes_)(std::greater<>(), std::move(storage));
  connections_.reserve(connection_indices.size());
  for (std::uint32_t index : connection_indices) {
    connections_.push_back(std::make_unique<LoadConnection>(*this, index));
  }
}

LoadWorker::~LoadWorker() {
  connections_.clear();
  if (epoll_fd_ >= 0) {
    ::close(epoll_fd_);
  }
}

void LoadWorker::arm(LoadConnection* connection, std::uint64_t at_ns) {
  if (connection->wake_at() != 0 && connection->wake_at() <= at_ns) {
    return;
  }
  connection->set_wake_at(at_ns);
  wakes_.push(Wake{at_ns, connection});
}

void LoadWorker::fire_wakes(std::uint64_t now_ns) {
  while (!wakes_.empty() && wakes_.top().at_ns <= now_ns) {
    const Wake wake = wakes_.top();
    wakes_.pop();
    // A later arm() for an earlier time leaves this entry stale.
    if (wake.connection->wake_at() != wake.at_ns) {
      continue;
    }
    wake.connection->set_wake_at(0);
    wake.connection->on_wake(now_ns);
  }
}

void LoadWorker::record_response(const RequestTiming& timing, int status, std::uint64_t done_ns) {
  responses_seen_.store(responses_seen_.load(std::memory_order_relaxed) + 1,
                        std::memory_order_relaxed);
  // Closed loop: what completed inside the window. Open loop: what was
  // intended inside it, however late it completed.
  const bool counted =
      plan_.open_loop() ? plan_.in_window(timing.intended_ns) : plan_.in_window(done_ns);
  if (counted) {
    const std::uint64_t from = timing.intended_ns;
    results_.add_response(status, done_ns > from ? done_ns - from : 0);
  }
}

void LoadWorker::record_failure(const RequestTiming& timing, FailureKind kind,
                                std::uint64_t now_ns) {
  const bool counted =
      plan_.open_loop() ? plan_.in_window(timing.intended_ns) : plan_.in_window(now_ns);
  if (counted) {
    results_.add_failure(kind);
  }
}

void LoadWorker::record_connect_failure(std::uint64_t now_ns) {
  if (plan_.in_window(now_ns)) {
    results_.add_failure(FailureKind::Connect);
  }
}

bool LoadWorker::all_drained() const {
  return std::all_of(connections_.begin(), connections_.end(),
                     [](const auto& c) { return c->drained(); });
}

std::uint64_t LoadWorker::next_deadline(std::uint64_t limit_ns) const {
  if (!wakes_.empty()) {
    limit_ns = std::min(limit_ns, wakes_.top().at_ns);
  }
  return limit_ns;
}

std::string LoadWorker::run() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    return fmt::format("epoll_create1: {}", std::strerror(errno));
  }
  std::uint64_t now = monotonic_ns();
  for (auto& connection : connections_) {
    connection->start(now);
  }
  epoll_event events[kMaxEvents];
  std::uint64_t next_sweep = now + plan_.sweep_interval_ns;
  bool draining = false;
  const std::uint64_t drain_deadline = plan_.end_ns + plan_.timeout_ns;
  for (;;) {
    now = monotonic_ns();
    if (now >= plan_.end_ns) {
      if (!plan_.open_loop()) {
        break;
      }
      draining = true;
    }
    if (draining && (all_drained() || now >= drain_deadline)) {
      for (auto& connection : connections_) {
        connection->abandon();
      }
      break;
    }
    fire_wakes(now);
    if (now >= next_sweep) {
      for (auto& connection : connections_) {
        connection->sweep(now);
      }
      next_sweep = now + plan_.sweep_interval_ns;
    }
    const std::uint64_t limit = std::min(next_sweep, draining ? drain_deadline : plan_.end_ns);
    const std::uint64_t deadline = next_deadline(limit);
    now = monotonic_ns();
    const std::uint64_t wait = deadline > now ? deadline - now : 0;
    const timespec timeout{static_cast<time_t>(wait / 1'000'000'000u),
                           static_cast<long>(wait % 1'000'000'000u)};
    const int n = epoll_pwait2(epoll_fd_, events, kMaxEvents, &timeout, nullptr);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return fmt::format("epoll_pwait2: {}", std::strerror(errno));
    }
    for (int i = 0; i < n; ++i) {
      static_cast<LoadConnection*>(events[i].data.ptr)->on_io(events[i].events);
    }
  }
  for (auto& connection : connections_) {
    connection->shut();
  }
  return {};
}

}  // namespace ferry::perf
