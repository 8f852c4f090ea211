#include "proxy/server.h"

#include <csignal>

#include <boost/asio/post.hpp>

#include "proxy/connection_set.h"
#include "proxy/core/log.h"
#include "proxy/main_thread_release.h"
#include "proxy/snapshot.h"
#include "proxy/tcp_proxy_session.h"
#include "proxy/worker.h"

namespace ferry::proxy {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

constexpr int kListenBacklog = 4096;
constexpr std::size_t kIoBufferSize = 64 * 1024;
constexpr auto kInFlightPoll = std::chrono::milliseconds(20);

void start_connection(Worker& worker, const std::shared_ptr<Listener>& listener,
                      tcp::socket socket) {
  switch (listener->options().protocol) {
    case ListenerProtocol::Tcp: {
      auto session = std::make_shared<TcpProxySession>(worker, listener, std::move(socket));
      session->start();
      return;
    }
    case ListenerProtocol::Http:
      break;
  }
  // Unreachable: the config refuses listener protocols the runtime lacks.
  listener->stats().connections_active.dec();
  listener->release();
}

}  // namespace

Server::Server(ServerSpec spec)
    : spec_(std::move(spec)),
      started_(std::chrono::steady_clock::now()),
      stats_(spec_.workers + 1),
      metrics_(stats_),
      build_info_(stats_.gauge(metrics_.build_info, {FERRY_VERSION})),
      dns_(context_, [this] { rebuild_snapshot(); }),
      signals_(context_),
      drain_timer_(context_),
      drain_deadline_(context_) {
  build_info_.set(1);
}

Server::~Server() {
  // Teardown order matters: workers first (their queued handlers own
  // connections that reference listeners and stats), then the snapshot
  // releases they posted back to main, while stats and hosts are alive.
  dns_.stop();
  for (auto& w : workers_) {
    w->stop();
  }
  acceptors_.clear();
  workers_.clear();
  snapshot_.reset();
  context_.restart();
  context_.poll();
}

boost::system::result<void> Server::start(std::string* error) {
  for (const ListenerSpec& l : spec_.listeners) {
    auto bound = bind_listen_sockets(l.address, spec_.workers, kListenBacklog);
    if (!bound) {
      *error = "listener " + l.options.name + ": cannot listen on " + l.address.to_string() + ": " +
               bound.error().message();
      return bound.error();
    }
    listeners_.push_back(std::make_shared<Listener>(l.options, bound->address(), metrics_));
    sockets_.push_back(std::move(*bound));
  }
  for (unsigned i = 0; i < spec_.workers; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, kIoBufferSize));
  }
  for (const ClusterSpec& c : spec_.clusters) {
    for (const EndpointSpec& e : c.endpoints) {
      if (!core::SocketAddress::parse(e.host + ":0") &&
          !core::SocketAddress::parse("[" + e.host + "]:0")) {
        dns_.watch(e.host, c.dns_refresh_interval);
      }
    }
  }
  rebuild_snapshot();
  // Acceptors are built before the threads run, so no post is needed yet.
  acceptors_.resize(workers_.size());
  for (std::size_t w = 0; w < workers_.size(); ++w) {
    workers_[w]->set_snapshot(snapshot_);
    for (std::size_t l = 0; l < listeners_.size(); ++l) {
      acceptors_[w].push_back(std::make_shared<Acceptor>(
          *workers_[w], listeners_[l], sockets_[l].release(w), reserve_, start_connection));
    }
  }
  sockets_.clear();
  for (std::size_t w = 0; w < workers_.size(); ++w) {
    workers_[w]->start();
    for (auto& acceptor : acceptors_[w]) {
      workers_[w]->post([acceptor] { acceptor->start(); });
    }
  }
  started_workers_ = true;
  dns_.start();
  start_signals();
  return {};
}

int Server::run() {
  context_.run();
  return exit_code_;
}

std::vector<Server::ListenerInfo> Server::listeners() const {
  std::vector<ListenerInfo> out;
  for (const auto& l : listeners_) {
    out.push_back({l->name(), l->address().to_string(), to_string(l->options().protocol)});
  }
  return out;
}

bool Server::ready() const {
  return started_workers_ && dns_.initial_done() && drain_phase_ == DrainPhase::None &&
         !health_check_failed_;
}

std::chrono::steady_clock::duration Server::uptime() const {
  return std::chrono::steady_clock::now() - started_;
}

void Server::start_signals() {
  std::signal(SIGPIPE, SIG_IGN);
  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  signals_.add(SIGHUP);
  signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
    if (!ec) {
      on_signal(signo);
    }
  });
}

void Server::on_signal(int signo) {
  switch (signo) {
    case SIGTERM:
      spdlog::info("SIGTERM: draining");
      drain(DrainTrigger::Sigterm);
      break;
    case SIGINT:
      spdlog::info("SIGINT: draining without propagation delay");
      drain(DrainTrigger::Sigint);
      break;
    case SIGHUP:
      spdlog::warn("SIGHUP: config reload is not implemented yet; nothing changed");
      break;
    default:
      break;
  }
  start_signals();
}

void Server::rebuild_snapshot() {
  std::vector<std::shared_ptr<const Cluster>> clusters;
  for (const ClusterSpec& c : spec_.clusters) {
    std::vector<std::shared_ptr<filters::Host>> hosts;
    for (const EndpointSpec& e : c.endpoints) {
      auto literal = core::SocketAddress::parse(e.host + ":" + std::to_string(e.port));
      if (!literal) {
        literal = core::SocketAddress::parse("[" + e.host + "]:" + std::to_string(e.port));
      }
      if (literal) {
        hosts.push_back(hosts_.get_or_create(*literal, {}));
        continue;
      }
      for (core::SocketAddress a : dns_.addresses(e.host)) {
        a.set_port(e.port);
        hosts.push_back(hosts_.get_or_create(a, e.host));
      }
    }
    auto& stats = cluster_stats_[c.name];
    if (!stats) {
      stats = std::make_shared<ClusterStats>(metrics_, c.name);
    }
    clusters.push_back(std::make_shared<const Cluster>(c.name, c.upstream, std::move(hosts), stats,
                                                       spec_.workers));
  }
  publish(
      release_on(context_, std::make_unique<RuntimeSnapshot>(++generation_, std::move(clusters))));
}

void Server::publish(std::shared_ptr<const RuntimeSnapshot> snapshot) {
  snapshot_ = std::move(snapshot);
  if (started_workers_) {
    for (auto& w : workers_) {
      Worker* worker = w.get();
      worker->post([worker, s = snapshot_] { worker->set_snapshot(s); });
    }
  }
  update_endpoint_gauges();
}

void Server::update_endpoint_gauges() {
  for (const auto& cluster : snapshot_->clusters()) {
    std::int64_t healthy = 0, unhealthy = 0, unknown = 0, ejected = 0;
    for (const auto& host : cluster->hosts()) {
      if (host->state.ejected.load(std::memory_order_relaxed)) {
        ++ejected;
      }
      switch (host->health()) {
        case filters::HealthStatus::Healthy:
          ++healthy;
          break;
        case filters::HealthStatus::Unhealthy:
          ++unhealthy;
          break;
        case filters::HealthStatus::Unknown:
          ++unknown;
          break;
      }
    }
    ClusterStats& s = cluster->stats();
    s.endpoints_healthy.set(healthy);
    s.endpoints_unhealthy.set(unhealthy);
    s.endpoints_unknown.set(unknown);
    s.endpoints_ejected.set(ejected);
  }
}

void Server::drain(DrainTrigger trigger) {
  const bool signal = trigger != DrainTrigger::Admin;
  if (signal && !exit_requested_) {
    exit_requested_ = true;
    // Whatever is still running at drain.timeout after the signal is cut off.
    if (spec_.drain_timeout.count() > 0) {
      drain_deadline_.expires_after(spec_.drain_timeout);
      drain_deadline_.async_wait([this](const boost::system::error_code& ec) {
        if (!ec) {
          spdlog::warn("drain timeout: exiting with {} requests or connections in flight",
                       in_flight());
          exit_now();
        }
      });
    }
  }
  switch (drain_phase_) {
    case DrainPhase::None: {
      // Step 1: /ready fails at once; deregistration hooks run.
      drain_phase_ = DrainPhase::Propagating;
      for (auto& hook : drain_hooks_) {
        hook();
      }
      // Step 2: ingress keeps accepting while peers learn (not for SIGINT).
      if (trigger != DrainTrigger::Sigint && spec_.propagation_delay.count() > 0) {
        drain_timer_.expires_after(spec_.propagation_delay);
        drain_timer_.async_wait([this](const boost::system::error_code& ec) {
          if (!ec) {
            stop_ingress();
          }
        });
      } else {
        stop_ingress();
      }
      break;
    }
    case DrainPhase::Propagating:
      if (trigger == DrainTrigger::Sigint) {
        drain_timer_.cancel();
        stop_ingress();
      }
      break;
    case DrainPhase::Draining:
      // After `POST /drain`: wait for in-flight work, once step 3 is done.
      if (signal && ingress_stopped_) {
        watch_in_flight();
      }
      break;
    case DrainPhase::Exiting:
      break;
  }
}

void Server::stop_ingress() {
  if (drain_phase_ != DrainPhase::Propagating) {
    return;
  }
  drain_phase_ = DrainPhase::Draining;
  spdlog::info("drain: ingress listeners stop accepting");
  // Step 3 on every worker; in-flight work is counted only once every worker
  // has accepted what its kernel queue still held.
  auto pending = std::make_shared<std::size_t>(workers_.size());
  for (std::size_t w = 0; w < workers_.size(); ++w) {
    Worker* worker = workers_[w].get();
    worker->post([this, worker, w, pending] {
      for (auto& acceptor : acceptors_[w]) {
        if (acceptor->listener()->options().direction == TrafficDirection::Ingress) {
          acceptor->stop();
        }
      }
      worker->connections().for_each_of_direction(TrafficDirection::Ingress,
                                                  [](Connection& c) { c.drain(); });
      asio::post(context_, [this, pending] {
        if (--*pending != 0) {
          return;
        }
        ingress_stopped_ = true;
        if (exit_requested_) {
          watch_in_flight();
        }
      });
    });
  }
}

std::uint32_t Server::in_flight() const {
  std::uint32_t total = 0;
  for (const auto& l : listeners_) {
    total += l->in_flight();
  }
  return total;
}

void Server::watch_in_flight() {
  if (drain_phase_ == DrainPhase::Exiting) {
    return;
  }
  if (in_flight() == 0) {
    spdlog::info("drain: nothing in flight, exiting");
    exit_now();
    return;
  }
  drain_timer_.expires_after(kInFlightPoll);
  drain_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) {
      watch_in_flight();
    }
  });
}

void Server::exit_now() {
  drain_phase_ = DrainPhase::Exiting;
  exit_code_ = 0;
  drain_timer_.cancel();
  drain_deadline_.cancel();
  signals_.cancel();
  dns_.stop();
  context_.stop();
}

}  // namespace ferry::proxy
