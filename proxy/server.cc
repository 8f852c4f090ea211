#include "proxy/server.h"

#include <csignal>

#include <boost/asio/post.hpp>

#include "proxy/admin_server.h"
#include "proxy/cluster_health.h"
#include "proxy/connection_set.h"
#include "proxy/core/config/config_json.h"
#include "proxy/core/config/load.h"
#include "proxy/core/log.h"
#include "proxy/http/access_log.h"
#include "proxy/http/http1_server_connection.h"
#include "proxy/main_thread_release.h"
#include "proxy/mesh_runtime.h"
#include "proxy/snapshot.h"
#include "proxy/tcp_proxy_session.h"
#include "proxy/worker.h"

namespace ferry::proxy {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

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

Server::Server(std::shared_ptr<const core::ProxyConfig> config, unsigned workers,
               std::string config_path)
    : config_(std::move(config)),
      worker_count_(workers),
      config_path_(std::move(config_path)),
      started_(std::chrono::steady_clock::now()),
      stats_(workers + 1),
      metrics_(stats_, config_->service_connect.has_value()),
      build_info_(stats_.gauge(metrics_.build_info, {FERRY_VERSION})),
      dns_(context_, [this] { rebuild_snapshot(); }),
      listeners_(metrics_, workers_, reserve_, start_connection),
      config_rejected_(stats_.counter(metrics_.config_updates_rejected, {})),
      signals_(context_),
      drain_timer_(context_),
      drain_deadline_(context_),
      heap_trim_(context_) {
  build_info_.set(1);
}

Server::~Server() {
  // Teardown order matters: workers first (their queued handlers own
  // connections that reference listeners and stats), then the snapshot
  // releases they posted back to main, while stats and hosts are alive.
  // Health machinery goes first: nothing may schedule a rebuild from here on.
  stopping_ = true;
  cluster_health_.clear();
  dns_.stop();
  if (admin_) {
    admin_->close();
  }
  for (auto& w : workers_) {
    w->stop();
  }
  workers_.clear();
  snapshot_.reset();
  context_.restart();
  context_.poll();
}

boost::system::result<void> Server::start(std::string* error) {
  for (unsigned i = 0; i < worker_count_; ++i) {
    workers_.push_back(std::make_unique<Worker>(i, kIoBufferSize));
  }
  if (!start_mesh(error)) {
    return boost::system::error_code(EINVAL, boost::system::system_category());
  }
  // Every socket is bound before anything runs: a conflict ends start-up
  // with nothing half-started.
  ListenerSet::Plan plan;
  if (!listeners_.prepare(config_->listeners, worker_count_, &plan, error)) {
    return boost::system::error_code(EADDRINUSE, boost::system::system_category());
  }
  AdminService::Hooks hooks;
  hooks.effective_config_json = [this] {
    return core::to_json(*config_);
  };
  hooks.reload = [this](std::string* reload_error) {
    return reload(reload_error);
  };
  admin_ = std::make_unique<AdminServer>(context_, *this, std::move(hooks));
  if (auto ec = admin_->listen(config_->admin.address)) {
    *error = "admin: cannot listen on " + config_->admin.address.to_string() + ": " + ec.message();
    return ec;
  }
  listeners_.commit(std::move(plan), /*workers_running=*/false);
  watch_dns_names();
  rebuild_snapshot();
  for (auto& worker : workers_) {
    worker->set_snapshot(snapshot_);
    worker->start();
  }
  started_workers_ = true;
  dns_.start();
  start_signals();
  if (!start_mesh_registration(error)) {
    return boost::system::error_code(EINVAL, boost::system::system_category());
  }
  return {};
}

void Server::watch_dns_names() {
  for (const core::ClusterConfig& c : config_->clusters) {
    for (const core::HostPort& e : c.endpoints) {
      if (!is_ip_literal(e.host)) {
        dns_.watch(e.host, c.dns_refresh_interval);
      }
    }
  }
}

bool Server::reload(std::string* error) {
  core::LoadResult loaded = core::load_proxy_config_file(config_path_);
  if (!loaded.ok()) {
    std::string text;
    for (const auto& e : loaded.errors) {
      text += e.to_string() + "\n";
    }
    *error = text;
    config_rejected_.inc();
    spdlog::error("reload rejected, the previous config stays live:\n{}", text);
    return false;
  }
  auto next = std::make_shared<const core::ProxyConfig>(std::move(*loaded.config));
  if (!apply(next, error)) {
    config_rejected_.inc();
    spdlog::error("reload rejected, the previous config stays live: {}", *error);
    return false;
  }
  spdlog::info("config reloaded from {}", config_path_);
  return true;
}

bool Server::apply(std::shared_ptr<const core::ProxyConfig> config, std::string* error) {
  if (draining()) {
    *error = "draining: no config changes";
    return false;
  }
  return apply_with_mesh(std::move(config), error);
}

bool Server::apply_effective(std::shared_ptr<const core::ProxyConfig> config, std::string* error) {
  ListenerSet::Plan plan;
  if (!listeners_.prepare(config->listeners, worker_count_, &plan, error)) {
    return false;
  }
  if (config->workers != config_->workers) {
    spdlog::warn("reload: `workers` takes effect at the next restart");
  }
  if (!(config->admin == config_->admin)) {
    spdlog::warn("reload: `admin` takes effect at the next restart");
  }
  listeners_.commit(std::move(plan), started_workers_);
  // A cluster whose config changed gets fresh breakers and stats state;
  // unchanged ones keep theirs (and their counters).
  for (auto it = cluster_shared_.begin(); it != cluster_shared_.end();) {
    const core::ClusterConfig* now = config->find_cluster(it->first);
    if (now == nullptr || !(*now == it->second->config())) {
      cluster_health_.erase(it->first);
      it = cluster_shared_.erase(it);
    } else {
      ++it;
    }
  }
  config_ = std::move(config);
  watch_dns_names();
  rebuild_snapshot();
  return true;
}

int Server::run() {
  context_.run();
  return exit_code_;
}

bool Server::ready() const {
  return started_workers_ && dns_.initial_done() && drain_phase_ == DrainPhase::None &&
         !health_check_failed_ && (!mesh_ || mesh_->ready());
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
    case SIGHUP: {
      std::string error;
      reload(&error);
      break;
    }
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
  if (mesh_) {
    mesh_->add_hosts(config, hosts_, hosts);
  }
  auto& shared = cluster_shared_[config.name];
  if (!shared) {
    shared = make_cluster_shared(config);
  }
  // Health and ejection state first: the routable set is computed from it.
  if (auto it = cluster_health_.find(config.name); it != cluster_health_.end()) {
    it->second->set_hosts(hosts);
  }
  return std::make_shared<const Cluster>(shared, std::move(hosts), worker_count_,
                                         generation_ * 0x9e3779b97f4a7c15ULL + 1);
}

std::shared_ptr<ClusterShared> Server::make_cluster_shared(const core::ClusterConfig& config) {
  auto owned = std::make_shared<const core::ClusterConfig>(config);
  OutlierReport report;
  cluster_health_.erase(config.name);
  if (ClusterHealth::wanted(config)) {
    auto health =
        std::make_shared<ClusterHealth>(context_, owned, metrics_, [this] { schedule_rebuild(); });
    report = ClusterHealth::reporter(health, context_);
    cluster_health_.emplace(config.name, std::move(health));
  }
  return std::make_shared<ClusterShared>(std::move(owned), metrics_, std::move(report));
}

void Server::schedule_rebuild() {
  if (rebuild_posted_ || stopping_) {
    return;
  }
  rebuild_posted_ = true;
  asio::post(context_, [this] {
    rebuild_posted_ = false;
    if (!stopping_) {
      rebuild_snapshot();
    }
  });
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
    auto runtime = std::make_unique<HttpListenerRuntime>(
        std::make_shared<const core::ListenerConfig>(l), access_log);
    filter_chains_.attach(*runtime);
    http.emplace(l.name, std::move(runtime));
  }
  filter_chains_.prune();
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
  // In-flight work is counted only once every worker has accepted what its
  // kernel queue still held.
  listeners_.stop_ingress(context_, [this] {
    ingress_stopped_ = true;
    if (exit_requested_) {
      watch_in_flight();
    }
  });
}

std::uint32_t Server::in_flight() {
  return listeners_.in_flight();
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
  stopping_ = true;
  for (auto& [name, health] : cluster_health_) {
    health->stop();
  }
  exit_code_ = 0;
  drain_timer_.cancel();
  drain_deadline_.cancel();
  heap_trim_.cancel();
  signals_.cancel();
  dns_.stop();
  context_.stop();
}

}  // namespace ferry::proxy
