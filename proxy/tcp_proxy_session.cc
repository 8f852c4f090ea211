#include "proxy/tcp_proxy_session.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <cstring>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "filters/host.h"
#include "proxy/cluster.h"
#include "proxy/core/asio_address.h"
#include "proxy/core/log.h"
#include "proxy/snapshot.h"
#include "proxy/upstream_socket.h"
#include "proxy/worker.h"

namespace ferry::proxy {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

// Endpoints tried per connection: the first pick and one failover.
constexpr int kMaxConnectAttempts = 2;

}  // namespace

TcpProxySession::TcpProxySession(Worker& worker, std::shared_ptr<Listener> listener,
                                 tcp::socket downstream)
    : worker_(worker),
      listener_(std::move(listener)),
      snapshot_(worker.snapshot()),
      downstream_(std::move(downstream)),
      upstream_(worker.context()),
      timer_(worker.context()),
      last_activity_(Clock::now()) {
  listener_->begin_work();
}

TcpProxySession::~TcpProxySession() {
  if (connected_ && cluster_ != nullptr) {
    cluster_->shared().stats().connections_active.dec();
    host_->stats.active_connections.fetch_sub(1, std::memory_order_relaxed);
  }
  listener_->stats().connections_active.dec();
  listener_->release();
  listener_->end_work();
}

void TcpProxySession::start() {
  worker_.connections().add(shared_from_this(), listener_.get(), listener_->config().direction);
  const auto& name = listener_->config().cluster;
  cluster_ = snapshot_ && name ? snapshot_->find_cluster(*name) : nullptr;
  error_code ec;
  downstream_.non_blocking(true, ec);
  if (cluster_ == nullptr || ec) {
    finish(/*reset=*/false);
    return;
  }
  connection_slot_ =
      cluster_->shared().breakers().try_acquire(filters::CircuitBreakers::Resource::Connections);
  if (!connection_slot_) {
    cluster_->shared().stats().pending_overflow.inc();
    finish(/*reset=*/true);
    return;
  }
  connect_next();
}

void TcpProxySession::start_connected(tcp::socket upstream, std::string to_upstream,
                                      std::string to_downstream) {
  worker_.connections().add(shared_from_this(), listener_.get(), listener_->config().direction);
  upstream_ = std::move(upstream);
  connected_ = true;
  error_code ec;
  downstream_.non_blocking(true, ec);
  upstream_.non_blocking(true, ec);
  to_upstream_.from = &downstream_;
  to_upstream_.to = &upstream_;
  to_upstream_.bytes = &listener_->stats().bytes_received;
  to_downstream_.from = &upstream_;
  to_downstream_.to = &downstream_;
  to_downstream_.bytes = &listener_->stats().bytes_sent;
  last_activity_ = Clock::now();
  const core::Duration idle = listener_->config().idle_timeout;
  if (idle.count() > 0) {
    arm_timer(idle);
  }
  write_prefix(to_downstream_, to_downstream);
  if (!finished_) {
    write_prefix(to_upstream_, to_upstream);
  }
}

void TcpProxySession::write_prefix(Flow& flow, const std::string& bytes) {
  // Bytes already read by the HTTP connection: write them first, then pump.
  // They fit in one buffer (they came out of one).
  if (bytes.empty()) {
    read(flow);
    return;
  }
  flow.buffer = worker_.buffers().acquire();
  const std::size_t n = std::min(bytes.size(), flow.buffer.size());
  std::memcpy(flow.buffer.data(), bytes.data(), n);
  flow.begin = 0;
  flow.end = n;
  write(flow);
  if (!finished_ && flow.begin == flow.end) {
    flow.buffer.reset();
    read(flow);
  }
}

void TcpProxySession::connect_next() {
  const int allowed =
      std::min<int>(kMaxConnectAttempts, static_cast<int>(cluster_->routable().hosts.size()));
  filters::Host* host = attempts_ < allowed ? cluster_->pick(worker_.index(), host_) : nullptr;
  if (host == nullptr) {
    FERRY_LOG_LIMITED(spdlog::level::debug, "listener {}: no upstream of cluster {} reachable",
                      listener_->name(), cluster_->name());
    finish(/*reset=*/false);
    return;
  }
  ++attempts_;
  host_ = host;
  error_code ignored;
  upstream_.close(ignored);
  upstream_ = tcp::socket(worker_.context());
  upstream_.async_connect(
      core::to_endpoint(host->address()),
      [self = shared_from_this()](const error_code& ec) { self->on_connected(ec); });
  const auto timeout = cluster_->shared().config().connect_timeout;
  if (timeout.count() > 0) {
    arm_timer(timeout);
  }
}

void TcpProxySession::on_connected(const error_code& ec) {
  if (finished_) {
    return;
  }
  if (ec == asio::error::no_descriptors ||
      ec == boost::system::errc::too_many_files_open_in_system) {
    // Out of descriptors, not an upstream failure: the connection is
    // refused like one over the listener cap (counted as overflow).
    listener_->stats().connections_overflow.inc();
    finish(/*reset=*/true);
    return;
  }
  if (ec) {
    // operation_aborted here means the connect timer closed the socket.
    cluster_->shared().stats().connect_failures.inc();
    host_->stats.connect_failures_total.fetch_add(1, std::memory_order_relaxed);
    FERRY_LOG_LIMITED(spdlog::level::debug, "cluster {}: connect to {} failed: {}",
                      cluster_->name(), host_->address_text(),
                      ec == asio::error::operation_aborted ? "timeout" : ec.message());
    connect_next();
    return;
  }
  connected_ = true;
  cluster_->shared().stats().connections_total.inc();
  cluster_->shared().stats().connections_active.inc();
  host_->stats.active_connections.fetch_add(1, std::memory_order_relaxed);
  configure_upstream();
  start_flows();
}

void TcpProxySession::configure_upstream() {
  configure_upstream_socket(upstream_, cluster_->shared().config());
}

void TcpProxySession::start_flows() {
  to_upstream_.from = &downstream_;
  to_upstream_.to = &upstream_;
  to_upstream_.bytes = &listener_->stats().bytes_received;
  to_downstream_.from = &upstream_;
  to_downstream_.to = &downstream_;
  to_downstream_.bytes = &listener_->stats().bytes_sent;
  last_activity_ = Clock::now();
  const core::Duration idle = listener_->config().idle_timeout;
  if (idle.count() > 0) {
    arm_timer(idle);
  } else {
    timer_.cancel();
  }
  read(to_upstream_);
  if (!finished_) {
    read(to_downstream_);
  }
}

void TcpProxySession::read(Flow& flow) {
  for (int turn = 0; turn < kReadsPerTurn; ++turn) {
    if (!flow.buffer) {
      flow.buffer = worker_.buffers().acquire();
    }
    error_code ec;
    const std::size_t n =
        flow.from->read_some(asio::buffer(flow.buffer.data(), flow.buffer.size()), ec);
    if (ec == asio::error::would_block) {
      flow.buffer.reset();
      wait_readable(flow);
      return;
    }
    if (ec == asio::error::eof) {
      flow.buffer.reset();
      error_code ignored;
      flow.to->shutdown(tcp::socket::shutdown_send, ignored);
      flow.done = true;
      on_flow_done(flow);
      return;
    }
    if (ec) {
      finish(/*reset=*/true);
      return;
    }
    last_activity_ = Clock::now();
    flow.bytes->inc(n);
    flow.begin = 0;
    flow.end = n;
    write(flow);
    if (finished_ || flow.begin != flow.end) {
      return;  // closed, or an async write now owns the flow
    }
    if (n < flow.buffer.size()) {
      // Drained: wait without an EAGAIN read (async_wait re-arms the
      // descriptor, so bytes that arrive meanwhile still wake us).
      flow.buffer.reset();
      wait_readable(flow);
      return;
    }
  }
  // Still readable after a full turn: yield, then continue. Waiting for
  // readiness instead could miss data that is already there.
  asio::post(worker_.context(), [self = shared_from_this(), &flow] {
    if (!self->finished_) {
      self->read(flow);
    }
  });
}

void TcpProxySession::wait_readable(Flow& flow) {
  flow.from->async_wait(tcp::socket::wait_read,
                        [self = shared_from_this(), &flow](const error_code& ec) {
                          if (ec || self->finished_) {
                            return;
                          }
                          self->read(flow);
                        });
}

void TcpProxySession::write(Flow& flow) {
  error_code ec;
  const std::size_t n =
      flow.to->write_some(asio::buffer(flow.buffer.data() + flow.begin, flow.end - flow.begin), ec);
  if (ec && ec != asio::error::would_block) {
    finish(/*reset=*/true);
    return;
  }
  flow.begin += n;
  if (flow.begin == flow.end) {
    return;
  }
  // The peer is slower than the source: stop reading until it catches up.
  asio::async_write(*flow.to, asio::buffer(flow.buffer.data() + flow.begin, flow.end - flow.begin),
                    [self = shared_from_this(), &flow](const error_code& wec, std::size_t) {
                      if (self->finished_) {
                        return;
                      }
                      if (wec) {
                        self->finish(/*reset=*/true);
                        return;
                      }
                      self->last_activity_ = Clock::now();
                      flow.begin = flow.end = 0;
                      flow.buffer.reset();
                      self->read(flow);
                    });
}

void TcpProxySession::on_flow_done(Flow&) {
  if (to_upstream_.done && to_downstream_.done) {
    finish(/*reset=*/false);
  }
}

void TcpProxySession::arm_timer(Clock::duration after) {
  timer_.expires_after(after);
  timer_.async_wait([self = shared_from_this()](const error_code& ec) { self->on_timer(ec); });
}

void TcpProxySession::on_timer(const error_code& ec) {
  if (ec == asio::error::operation_aborted || finished_) {
    return;
  }
  if (!connected_) {
    // Connect timeout: closing the socket completes the connect with
    // operation_aborted, which fails over to the next endpoint.
    error_code ignored;
    upstream_.close(ignored);
    return;
  }
  // Idle timeout, re-armed lazily: reads only stamp last_activity_.
  const auto idle = listener_->config().idle_timeout;
  const auto quiet = Clock::now() - last_activity_;
  if (quiet >= idle) {
    FERRY_LOG_LIMITED(spdlog::level::debug, "listener {}: idle timeout", listener_->name());
    finish(/*reset=*/false);
    return;
  }
  arm_timer(idle - quiet);
}

void TcpProxySession::finish(bool reset) {
  if (finished_) {
    return;
  }
  finished_ = true;
  timer_.cancel();
  error_code ignored;
  for (tcp::socket* s : {&downstream_, &upstream_}) {
    if (!s->is_open()) {
      continue;
    }
    if (reset) {
      s->set_option(asio::socket_base::linger(true, 0), ignored);
    }
    s->close(ignored);
  }
  worker_.connections().remove(this);
}

}  // namespace ferry::proxy
