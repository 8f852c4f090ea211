#pragma once

#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "filters/host.h"
#include "filters/resource_slot.h"

namespace ferry::proxy {

class ClusterShared;
class Http1UpstreamConnection;
class UpstreamCallbacks;
class Worker;

// The kept-alive HTTP/1 connections of one worker to one endpoint, and the
// requests waiting for one. Worker thread only; owned by the worker's
// UpstreamPools, keyed by Host. A pool keeps its Host and cluster state
// alive; it is dropped once the host left every snapshot and its last
// connection closed.
//
// request() hands out, in order of preference: the most recently used idle
// connection (LIFO keeps few connections warm), a new connection if the
// cluster is under circuit_breakers.max_connections (process-wide), or a place
// in the pending queue (bounded by max_pending_requests, process-wide). Over
// both limits the request fails at once with Overflow.
class UpstreamPool {
 public:
  // A request's place in the pending queue; lets it leave early (cancel).
  struct Waiter {
    UpstreamCallbacks* callbacks = nullptr;
    filters::ResourceSlot pending_slot;
    bool fresh_connection = false;  // a retry after a stale keep-alive wants a new one
  };
  using WaiterHandle = std::list<Waiter>::iterator;

  UpstreamPool(Worker& worker, std::shared_ptr<filters::Host> host,
               std::shared_ptr<ClusterShared> cluster);
  ~UpstreamPool();
  UpstreamPool(const UpstreamPool&) = delete;
  UpstreamPool& operator=(const UpstreamPool&) = delete;

  // Asks for a connection for one request. Either calls
  // callbacks.on_upstream_ready() before returning (an idle connection), or
  // queues the request (then `*handle` is set, and on_upstream_ready or
  // on_upstream_failure follows later), or calls on_upstream_failure with
  // Overflow. `fresh`: never reuse an idle connection (a retry after the
  // keep-alive race).
  void request(UpstreamCallbacks& callbacks, bool fresh, std::optional<WaiterHandle>* handle);
  // The request left the queue before getting a connection.
  void cancel(WaiterHandle handle);

  // --- called by the pool's connections ---
  void on_connected(Http1UpstreamConnection* connection);
  void on_connect_failed(Http1UpstreamConnection* connection, bool timeout);
  // The request on `connection` ended; reusable: it may serve another.
  void on_released(Http1UpstreamConnection* connection, bool reusable);
  // The connection closed (peer close while idle, error, idle timeout).
  void on_closed(Http1UpstreamConnection* connection);

  Worker& worker() { return worker_; }
  filters::Host& host() { return *host_; }
  ClusterShared& cluster() { return *cluster_; }
  const std::shared_ptr<ClusterShared>& cluster_ptr() const { return cluster_; }
  // True when it holds no connection and no waiter (it may be dropped).
  bool empty() const { return connections_.empty() && waiters_.empty(); }
  std::size_t idle_count() const { return idle_.size(); }
  // Closes every idle connection and stops handing out new ones: the host
  // left the snapshot (or the process is exiting). Busy connections finish
  // their request and close; requests waiting for a connection, and later
  // request() calls, fail as never sent (ConnectFailed, provably
  // unprocessed), so the router retries them on another endpoint.
  void retire();

 private:
  void connect_new();
  void serve_waiters();
  void fail_waiter(bool timeout);
  void arm_idle_sweep();
  bool others_wait_for_a_connection() const;
  void sweep_idle();
  std::shared_ptr<Http1UpstreamConnection> take(Http1UpstreamConnection* connection);

  Worker& worker_;
  std::shared_ptr<filters::Host> host_;
  std::shared_ptr<ClusterShared> cluster_;
  // Every live connection; the pool owns them.
  std::unordered_map<Http1UpstreamConnection*, std::shared_ptr<Http1UpstreamConnection>>
      connections_;
  std::vector<Http1UpstreamConnection*> idle_;  // LIFO
  std::list<Waiter> waiters_;
  std::size_t connecting_ = 0;
  boost::asio::steady_timer idle_timer_;
  bool idle_timer_armed_ = false;
  bool retired_ = false;
  // Handlers posted by the pool check it before touching the pool: a pool can
  // be dropped while one is queued.
  std::shared_ptr<char> alive_ = std::make_shared<char>();
};

// A worker's pools, one per endpoint it talks to. Worker thread only.
class UpstreamPools {
 public:
  explicit UpstreamPools(Worker& worker) : worker_(worker) {}
  ~UpstreamPools();
  // The pool for `host` (created on first use). The host is kept alive by the
  // pool from then on.
  UpstreamPool& get(filters::Host& host, const std::shared_ptr<ClusterShared>& cluster);
  // Retires pools whose host is not in `live` and drops empty retired ones.
  // Called when the worker gets a new snapshot.
  void prune(const std::vector<const filters::Host*>& live);
  std::size_t size() const { return pools_.size(); }

 private:
  Worker& worker_;
  std::unordered_map<const filters::Host*, std::unique_ptr<UpstreamPool>> pools_;
};

}  // namespace ferry::proxy
