#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "perf/load/client_session.h"

namespace ferry::perf {

class LoadWorker;

// One client connection of a run and its request schedule. Owned by its
// LoadWorker and used only on that worker's thread. Reconnects on its own
// after a failure or a graceful close (with a capped back-off while the
// server is unreachable), so the run keeps `--connections` sockets busy.
class LoadConnection final : public SessionEvents {
 public:
  // `index` is the connection's number in the whole run (0 … connections-1):
  // it selects the connection's slots in the open-loop schedule.
  LoadConnection(LoadWorker& worker, std::uint32_t index);
  ~LoadConnection();
  LoadConnection(const LoadConnection&) = delete;
  LoadConnection& operator=(const LoadConnection&) = delete;

  // Opens the first connection (called once, by the worker, at the start).
  void start(std::uint64_t now_ns);
  // Socket readiness from epoll.
  void on_io(std::uint32_t events);
  // A deadline this connection asked for (LoadWorker::arm) has come.
  void on_wake(std::uint64_t now_ns);
  // Coarse deadline check, every sweep interval: connect and request timeouts.
  void sweep(std::uint64_t now_ns);

  // Open loop, after the window closed: true once nothing intended inside
  // the window is still unsent or unanswered.
  bool drained() const;
  // Open loop, at the drain deadline: everything intended in the window and
  // not answered yet counts as a timeout.
  void abandon();
  // Closes the socket without counting anything (end of a closed-loop run).
  void shut();

  std::uint64_t wake_at() const { return wake_at_; }
  void set_wake_at(std::uint64_t at) { wake_at_ = at; }

  // SessionEvents.
  void on_response(const RequestTiming& timing, int status) override;
  void on_request_failed(const RequestTiming& timing, FailureKind kind) override;
  void on_request_refused(const RequestTiming& timing) override;

 private:
  enum class State { Waiting, Connecting, Open };

  void connect(std::uint64_t now_ns);
  void on_connected();
  void connect_failed();
  void read_all(bool peer_closing);
  void issue(std::uint64_t now_ns);
  void flush();
  // The single place a socket is closed: fails what is in flight with
  // `kind` (if any) and schedules the next connection attempt.
  void close(FailureKind kind, bool backoff);
  void close_socket();

  LoadWorker& worker_;
  const std::uint32_t index_;
  State state_ = State::Waiting;
  int fd_ = -1;
  std::unique_ptr<ClientSession> session_;
  std::vector<std::uint8_t> out_;  // bytes not yet written; capacity is kept
  std::size_t out_offset_ = 0;
  std::uint64_t next_ = 0;              // open loop: this connection's next request number
  std::vector<RequestTiming> refused_;  // open loop: to send again
  std::uint64_t wake_at_ = 0;           // 0: no wake-up armed
  std::uint64_t connect_started_ns_ = 0;
  std::uint64_t backoff_ns_ = 0;
  bool answered_since_connect_ = false;
};

}  // namespace ferry::perf
