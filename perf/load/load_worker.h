#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <queue>
#include <vector>

#include "perf/load/run_plan.h"
#include "perf/load/run_results.h"

namespace ferry::perf {

class LoadConnection;

// One load-generating thread: its own epoll instance, its share of the
// connections, its own results. Shares nothing mutable with other workers;
// the main thread reads only `responses_seen()` (a relaxed atomic) while it
// runs, and `results()` after run() returned.
class LoadWorker {
 public:
  // `plan` outlives the worker; `connection_indices` are the run-wide numbers
  // of the connections this worker owns.
  LoadWorker(const RunPlan& plan, std::vector<std::uint32_t> connection_indices);
  ~LoadWorker();
  LoadWorker(const LoadWorker&) = delete;
  LoadWorker& operator=(const LoadWorker&) = delete;

  // The thread body: runs until the plan's end (closed loop) or until the
  // open-loop drain finished. Errors that stop the worker itself (epoll
  // failing) are returned as a message; empty on success.
  std::string run();

  const RunResults& results() const { return results_; }
  // Responses so far, window or not (for the progress line; any thread).
  std::uint64_t responses_seen() const { return responses_seen_.load(std::memory_order_relaxed); }

  // Services for this worker's connections (worker thread only).
  const RunPlan& plan() const { return plan_; }
  int epoll_fd() const { return epoll_fd_; }
  std::vector<std::uint8_t>& read_buffer() { return read_buffer_; }
  // Calls `connection->on_wake` at `at_ns` (or at an earlier time already
  // armed for it; the connection re-arms what it still needs).
  void arm(LoadConnection* connection, std::uint64_t at_ns);
  void record_response(const RequestTiming& timing, int status, std::uint64_t done_ns);
  void record_failure(const RequestTiming& timing, FailureKind kind, std::uint64_t now_ns);
  void record_connect_failure(std::uint64_t now_ns);
  void record_bytes(std::size_t n, std::uint64_t now_ns) {
    if (plan_.in_window(now_ns)) {
      results_.bytes_received += n;
    }
  }
  void record_connection() { ++results_.connections_opened; }

 private:
  struct Wake {
    std::uint64_t at_ns;
    LoadConnection* connection;
    bool operator>(const Wake& other) const { return at_ns > other.at_ns; }
  };

  void fire_wakes(std::uint64_t now_ns);
  bool all_drained() const;
  std::uint64_t next_deadline(std::uint64_t limit_ns) const;

  const RunPlan& plan_;
  int epoll_fd_ = -1;
  std::vector<std::unique_ptr<LoadConnection>> connections_;
  std::vector<std::uint8_t> read_buffer_;
  std::priority_queue<Wake, std::vector<Wake>, std::greater<>> wakes_;
  RunResults results_;
  std::atomic<std::uint64_t> responses_seen_{0};
};

}  // namespace ferry::perf
