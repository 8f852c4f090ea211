#include "proxy/http/upstream_pool.h"

#include <algorithm>

#include <boost/asio/post.hpp>

#include "proxy/cluster.h"
#include "proxy/http/http1_upstream_connection.h"
#include "proxy/worker.h"

namespace ferry::proxy {
namespace {

namespace asio = boost::asio;
using Resource = filters::CircuitBreakers::Resource;

}  // namespace

UpstreamPool::UpstreamPool(Worker& worker, std::shared_ptr<filters::Host> host,
                           std::shared_ptr<ClusterShared> cluster)
    : worker_(worker),
      host_(std::move(host)),
      cluster_(std::move(cluster)),
      idle_timer_(worker.context()) {}

UpstreamPool::~UpstreamPool() {
  retired_ = true;
  idle_timer_.cancel();
  // Connections still referenced by pending handlers see their pool gone:
  // close them silently first, so none calls back into this pool.
  for (auto& [ptr, connection] : connections_) {
    connection->close(/*silent=*/true);
  }
}

void UpstreamPool::request(UpstreamCallbacks& callbacks, bool fresh,
                           std::optional<WaiterHandle>* handle) {
  if (!fresh && !idle_.empty()) {
    Http1UpstreamConnection* connection = idle_.back();
    idle_.pop_back();
    connection->attach(callbacks);
    callbacks.on_upstream_ready(*connection);
    return;
  }
  if (retired_) {
    // The host left the snapshot (a request still holding the old one
    // picked it): no connection will come, so the request fails as never
    // sent and the router tries another endpoint.
    UpstreamFailure gone;
    gone.kind = UpstreamFailure::Kind::ConnectFailed;
    gone.provably_unprocessed = true;
    callbacks.on_upstream_failure(gone);
    return;
  }
  filters::ResourceSlot pending = cluster_->breakers().try_acquire(Resource::PendingRequests);
  if (!pending) {
    cluster_->stats().pending_overflow.inc();
    UpstreamFailure overflow;
    overflow.kind = UpstreamFailure::Kind::Overflow;
    callbacks.on_upstream_failure(overflow);
    return;
  }
  waiters_.push_back(Waiter{&callbacks, std::move(pending), fresh});
  *handle = std::prev(waiters_.end());
  // One new connection per waiter not yet covered by a connection in progress.
  if (connecting_ < waiters_.size()) {
    connect_new();
  }
}

void UpstreamPool::cancel(WaiterHandle handle) {
  waiters_.erase(handle);
}

void UpstreamPool::connect_new() {
  if (retired_) {
    return;
  }
  filters::ResourceSlot slot = cluster_->breakers().try_acquire(Resource::Connections);
  if (!slot && !connections_.empty()) {
    // At max_connections: the waiters get one of this pool's connections as
    // it is released.
    return;
  }
  // A pool with no connection opens one even past max_connections (as
  // Envoy's pools do): the slots may all be held by idle kept-alive
  // connections of other workers, which this worker cannot reuse or close,
  // and its waiters would starve until their timeout. Such a connection
  // holds no slot, so the cap is exceeded by at most one connection per
  // worker and endpoint.
  auto connection = std::make_shared<Http1UpstreamConnection>(*this, std::move(slot));
  connections_.emplace(connection.get(), connection);
  ++connecting_;
  connection->connect(cluster_->config().connect_timeout);
}

void UpstreamPool::on_connected(Http1UpstreamConnection* connection) {
  --connecting_;
  cluster_->stats().connections_total.inc();
  cluster_->stats().connections_active.inc();
  host_->stats.active_connections.fetch_add(1, std::memory_order_relaxed);
  connection->set_idle();
  if (retired_ && waiters_.empty()) {
    connection->close();  // nobody will ask this pool again
    return;
  }
  idle_.push_back(connection);
  serve_waiters();
}

void UpstreamPool::on_connect_failed(Http1UpstreamConnection* connection, bool timeout) {
  --connecting_;
  cluster_->stats().connect_failures.inc();
  host_->stats.connect_failures_total.fetch_add(1, std::memory_order_relaxed);
  auto owned = take(connection);
  // A connect failure fails one waiter (the router retries it elsewhere);
  // the others keep waiting for the connections still in progress.
  if (connecting_ < waiters_.size()) {
    fail_waiter(timeout);
  }
}

void UpstreamPool::fail_waiter(bool timeout) {
  if (waiters_.empty()) {
    return;
  }
  UpstreamCallbacks* callbacks = waiters_.front().callbacks;
  waiters_.pop_front();
  UpstreamFailure failure;
  failure.kind = UpstreamFailure::Kind::ConnectFailed;
  failure.provably_unprocessed = true;
  failure.connect_timeout = timeout;
  callbacks->on_upstream_failure(failure);
}

void UpstreamPool::on_released(Http1UpstreamConnection* connection, bool reusable) {
  if (!reusable || retired_ || idle_.size() >= cluster_->config().max_idle_connections ||
      (waiters_.empty() && others_wait_for_a_connection())) {
    connection->close();
    return;
  }
  idle_.push_back(connection);
  arm_idle_sweep();
  if (!waiters_.empty()) {
    // Not on this stack: the releasing connection is inside its read handler.
    asio::post(worker_.context(), [this, alive = std::weak_ptr<char>(alive_)] {
      if (!alive.expired()) {
        serve_waiters();
      }
    });
  }
}

// The cluster is at max_connections and requests wait for one somewhere
// (another worker's pool; this one has no waiter): an idle connection kept
// here would hold a slot they need until its idle timeout, so it is closed.
bool UpstreamPool::others_wait_for_a_connection() const {
  const filters::CircuitBreakers& b = cluster_->breakers();
  return b.active(Resource::PendingRequests) > 0 &&
         b.active(Resource::Connections) >= b.limit(Resource::Connections);
}

void UpstreamPool::on_closed(Http1UpstreamConnection* connection) {
  auto it = std::find(idle_.begin(), idle_.end(), connection);
  if (it != idle_.end()) {
    idle_.erase(it);
  }
  auto owned = take(connection);
  if (owned) {
    cluster_->stats().connections_active.dec();
    host_->stats.active_connections.fetch_sub(1, std::memory_order_relaxed);
  }
  // A freed slot may let a waiter connect.
  if (!waiters_.empty() && connecting_ < waiters_.size()) {
    asio::post(worker_.context(), [this, alive = std::weak_ptr<char>(alive_)] {
      if (!alive.expired() && connecting_ < waiters_.size()) {
        connect_new();
      }
    });
  }
}

std::shared_ptr<Http1UpstreamConnection> UpstreamPool::take(Http1UpstreamConnection* connection) {
  auto it = connections_.find(connection);
  if (it == connections_.end()) {
    return nullptr;
  }
  auto owned = std::move(it->second);
  connections_.erase(it);
  return owned;
}

void UpstreamPool::serve_waiters() {
  while (!waiters_.empty() && !idle_.empty()) {
    Waiter waiter = std::move(waiters_.front());
    waiters_.pop_front();
    Http1UpstreamConnection* connection = idle_.back();
    if (waiter.fresh_connection && connection->reused()) {
      // Wanted a new connection (a retry after the keep-alive race). The
      // idle one is closed rather than kept: at max_connections its slot is
      // the one the new connection needs.
      waiters_.push_front(std::move(waiter));
      if (connecting_ == 0) {
        connection->close();
        if (connecting_ == 0) {
          connect_new();
        }
      }
      return;
    }
    idle_.pop_back();
    waiter.pending_slot.release();
    connection->attach(*waiter.callbacks);
    waiter.callbacks->on_upstream_ready(*connection);
  }
}

void UpstreamPool::arm_idle_sweep() {
  const auto timeout = cluster_->config().idle_timeout;
  if (idle_timer_armed_ || timeout.count() == 0) {
    return;
  }
  idle_timer_armed_ = true;
  idle_timer_.expires_after(timeout);
  idle_timer_.async_wait(
      [this, alive = std::weak_ptr<char>(alive_)](const boost::system::error_code& ec) {
        if (alive.expired()) {
          return;
        }
        idle_timer_armed_ = false;
        if (!ec) {
          sweep_idle();
        }
      });
}

void UpstreamPool::sweep_idle() {
  const auto timeout = cluster_->config().idle_timeout;
  const auto now = std::chrono::steady_clock::now();
  std::vector<Http1UpstreamConnection*> expired;
  for (Http1UpstreamConnection* c : idle_) {
    if (now - c->idle_since() >= timeout) {
      expired.push_back(c);
    }
  }
  for (Http1UpstreamConnection* c : expired) {
    c->close();
  }
  if (!idle_.empty()) {
    arm_idle_sweep();
  }
}

void UpstreamPool::retire() {
  retired_ = true;
  std::vector<Http1UpstreamConnection*> idle = idle_;
  for (Http1UpstreamConnection* c : idle) {
    c->close();
  }
  // Requests queued for a connection would wait for one a retired pool no
  // longer opens (until their timeout): they fail as never sent, so the
  // router retries them on another endpoint. Posted: retire() runs inside
  // the worker's snapshot swap.
  if (!waiters_.empty()) {
    asio::post(worker_.context(), [this, alive = std::weak_ptr<char>(alive_)] {
      while (!alive.expired() && !waiters_.empty()) {
        fail_waiter(/*timeout=*/false);
      }
    });
  }
}

UpstreamPools::~UpstreamPools() = default;

UpstreamPool& UpstreamPools::get(filters::Host& host,
                                 const std::shared_ptr<ClusterShared>& cluster) {
  auto& pool = pools_[&host];
  if (!pool) {
    pool = std::make_unique<UpstreamPool>(worker_, host.shared_from_this(), cluster);
  }
  return *pool;
}

void UpstreamPools::prune(const std::vector<const filters::Host*>& live) {
  for (auto it = pools_.begin(); it != pools_.end();) {
    const bool listed = std::find(live.begin(), live.end(), it->first) != live.end();
    if (!listed) {
      it->second->retire();
      if (it->second->empty()) {
        it = pools_.erase(it);
        continue;
      }
    }
    ++it;
  }
}

}  // namespace ferry::proxy
