#include "proxy/server.h"

#include <csignal>

#include <boost/asio/post.hpp>

#include "proxy/admin_server.h"
#include "proxy/connection_set.h"
#include "proxy/core/config/config_json.h"
#include "proxy/core/log.h"
#include "proxy/http/access_log.h"
#include "proxy/http/http1_server_connection.h"
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
  switch (listener->config().protocol) {
    case core::ListenerProtocol::Tcp: {
      auto session = std::make_shared<TcpProxySession>(worker, listener, std::move(socket));
      session->start();
      return;
    }
    case core::ListenerProtocol::Http: {
      auto connection =
          std::make_shared<Http1ServerConnection<tcp::socket>>(worker, listener, std::move(socket));
      connection->start();
      return;
    }
  }
}

bool is_ip_literal(const std::string& host) {
  return core::SocketAddress::parse(host + ":0") || core::SocketAddress::parse("[" + host + "]:0");
}

std::optional<core::SocketAddress> literal_address(const core::HostPort& endpoint) {
  auto a = core::SocketAddress::parse(endpoint.host + ":" + std::to_string(endpoint.port));
  if (!a) {
    a = core::SocketAddress::parse("[" + endpoint.host + "]:" + std::to_string(endpoint.port));
  }
  return a;
}

}  // namespace

Server::Server(std::shared_ptr<const core::ProxyConfig> config, unsigned workers)
    : config_(std::move(config)),
      worker_count_(workers),
      started_(std::chrono::steady_clock::now()),
      stats_(workers + 1),
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
  if (admin_) {
    admin_->close();
  }
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
  for (const core::ListenerConfig& l : config_->listeners) {
    auto bound = bind_listen_sockets(l.address, worker_count_, kListenBacklog);
    if (!bound) {
      *error = "listener " + l.name + ": cannot listen on " + l.address.to_string() + ": " +
               bound.error().message();
      return bound.error();
    }
    listeners_.push_back(std::make_shared<Listener>(l, bound->address(), metrics_));
    sockets_.push_back(std::move(*bound));
  }
  AdminService::Hooks hooks;
  hooks.effective_config_json = [this] {
    return core::to_json(*config_);
  };
  admin_ = std::make_unique<AdminServer>(context_, *this, std::move(hooks));
  if (auto ec = admin_->listen(config_->admin.address)) {
    *error = "admin: cannot listen on " + config_->admin.address.to_string() + ": " + ec.message();
    return ec;
  }
  for (unsigned i = 0; i < worker_count_; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, kIoBufferSize));
  }
  for (const core::ClusterConfig& c : config_->clusters) {
    for (const core::HostPort& e : c.endpoints) {
      if (!is_ip_literal(e.host)) {
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
    out.push_back({l->name(), l->address().to_string(), to_string(l->config().protocol)});
  }
  return out;
}

bool Server::ready() const {
  return started_workers_ && dns_.initial_done() && drain_phase_ == DrainPhase::None &&
         !health_check_failed_;
}

core::SocketAddress Server::admin_address() const {
  return admin_->address();
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

std::shared_ptr<const Cluster> Server::build_cluster(const core::ClusterConfig& config) {
  std::vector<std::shared_ptr<filters::Host>> hosts;
  for (const core::HostPort& e : config.endpoints) {
    if (auto literal = literal_address(e)) {
      hosts.push_back(hosts_.get_or_create(config.name, *literal, {}));
      continue;
    }
    for (core::SocketAddress a : dns_.addresses(e.host)) {
      a.set_port(e.port);
      hosts.push_back(hosts_.get_or_create(config.name, a, e.host));
    }
  }
  auto& shared = cluster_shared_[config.name];
  if (!shared) {
    auto owned = std::make_shared<const core::ClusterConfig>(config);
    shared = std::make_shared<ClusterShared>(std::move(owned), metrics_);
  }
  return std::make_shared<const Cluster>(shared, std::move(hosts), worker_count_,
                                         generation_ * 0x9e3779b97f4a7c15ULL + 1);
}

void Server::rebuild_snapshot() {
  std::vector<std::shared_ptr<const Cluster>> clusters;
  for (const core::ClusterConfig& c : config_->clusters) {
    clusters.push_back(build_cluster(c));
  }
  std::map<std::string, std::unique_ptr<HttpListenerRuntime>, std::less<>> http;
  for (const core::ListenerConfig& l : config_->listeners) {
    if (l.protocol != core::ListenerProtocol::Http) {
      continue;
    }
    std::shared_ptr<spdlog::logger> access_log;
    if (l.access_log) {
      access_log = open_access_log(l.access_log->path);
    }
    http.emplace(l.name, std::make_unique<HttpListenerRuntime>(
                             std::make_shared<const core::ListenerConfig>(l), access_log));
  }
  ++generation_;
  publish(release_on(context_, std::make_unique<RuntimeSnapshot>(
                                   generation_, config_, std::move(clusters), std::move(http))));
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
    const filters::RoutableHosts& r = cluster->routable();
    ClusterStats& s = cluster->shared().stats();
    s.endpoints_healthy.set(static_cast<std::int64_t>(r.healthy));
    s.endpoints_unhealthy.set(static_cast<std::int64_t>(r.unhealthy));
    s.endpoints_unknown.set(static_cast<std::int64_t>(r.unknown));
    s.endpoints_ejected.set(static_cast<std::int64_t>(r.ejected));
  }
}

void Server::drain(DrainTrigger trigger) {
  const bool signal = trigger != DrainTrigger::Admin;
  if (signal && !exit_requested_) {
    exit_requested_ = true;
    // Whatever is still running at drain.timeout after the signal is cut off.
    if (config_->drain.timeout.count() > 0) {
      drain_deadline_.expires_after(config_->drain.timeout);
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
      if (trigger != DrainTrigger::Sigint && config_->drain.propagation_delay.count() > 0) {
        drain_timer_.expires_after(config_->drain.propagation_delay);
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
        if (acceptor->listener()->ingress()) {
          acceptor->stop();
        }
      }
      worker->connections().for_each_of_direction(core::Direction::Ingress,
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
