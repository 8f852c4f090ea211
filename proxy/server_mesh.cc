// The Server's mesh wiring: discovery clusters and Service Connect through a
// MeshRuntime (mesh_runtime.h). Kept out of server.cc so the runtime's core
// stays readable; every function here runs on the main thread.
#include <malloc.h>

#include <algorithm>
#include <exception>
#include <stdexcept>

#include "proxy/core/log.h"
#include "proxy/mesh_runtime.h"
#include "proxy/server.h"

namespace ferry::proxy {
namespace {

// The heap is trimmed this long after the last registry change of a burst
// (the old snapshots are freed by then), and at least this often while
// changes keep coming.
constexpr auto kHeapTrimQuiet = std::chrono::seconds(1);
constexpr auto kHeapTrimAtLeastEvery = std::chrono::seconds(10);

}  // namespace

void Server::declare_mesh_metrics() {
  // Once, with the first runtime (a proxy without discovery shows none).
  // The gauges read through mesh_, so they follow a runtime replaced by a
  // reload; once it is dropped they read "not connected".
  if (!mesh_metrics_) {
    mesh_metrics_ = true;
    register_mesh_metrics(stats_, [this]() -> const MeshRuntime* { return mesh_.get(); });
  }
}

bool Server::start_mesh(std::string* error) {
  if (!MeshRuntime::needed(*config_)) {
    return true;
  }
  try {
    mesh_ = std::make_unique<MeshRuntime>(context_, config_);
  } catch (const std::exception& e) {
    *error = std::string("control_plane: ") + e.what();
    return false;
  }
  mesh_->start();
  // A snapshot file that failed its checks counts as a rejected update.
  if (const std::uint64_t rejected = mesh_->rejected_total(); rejected > 0) {
    config_rejected_.inc(rejected);
  }
  config_ = mesh_->effective();
  metrics_.set_service_labels(mesh_->service_labels());
  wire_mesh();
  on_drain_start([this] {
    if (mesh_) {
      spdlog::info("drain: deregistering from the registry");
      mesh_->deregister({});
    }
  });
  return true;
}

bool Server::start_mesh_registration(std::string* error) {
  if (!mesh_) {
    return true;
  }
  try {
    mesh_->start_registration(listeners_.infos());
  } catch (const std::exception& e) {
    *error = std::string("service_connect: ") + e.what();
    return false;
  }
  return true;
}

void Server::wire_mesh() {
  declare_mesh_metrics();
  mesh_->on_change([this] { on_mesh_change(); });
  mesh_->on_rejected([this] { config_rejected_.inc(); });
}

void Server::schedule_heap_trim() {
  const auto now = std::chrono::steady_clock::now();
  last_change_ = now;
  if (heap_trim_armed_ || stopping_) {
    return;
  }
  first_untrimmed_change_ = now;
  arm_heap_trim(kHeapTrimQuiet);
}

void Server::arm_heap_trim(std::chrono::steady_clock::duration after) {
  heap_trim_armed_ = true;
  heap_trim_.expires_after(after);
  heap_trim_.async_wait([this](const boost::system::error_code& ec) {
    heap_trim_armed_ = false;
    if (ec || stopping_) {
      return;
    }
    const auto now = std::chrono::steady_clock::now();
    const auto quiet_at = last_change_ + kHeapTrimQuiet;
    const auto deadline = first_untrimmed_change_ + kHeapTrimAtLeastEvery;
    if (now < quiet_at && now < deadline) {
      arm_heap_trim(std::min(quiet_at, deadline) - now);
      return;
    }
    ::malloc_trim(0);
  });
}

void Server::on_mesh_change() {
  schedule_heap_trim();
  auto effective = mesh_->effective();
  metrics_.set_service_labels(mesh_->service_labels());
  std::string error;
  if (apply_effective(effective, &error)) {
    return;
  }
  // Only listeners can fail (an egress address or port that cannot be
  // bound). Endpoint changes must still reach the workers, so the clusters
  // are applied with the listeners left as they are; the listener change is
  // tried again at the next registry change.
  spdlog::error("service_connect: {}; endpoints updated, listeners kept as they were", error);
  auto fallback = std::make_shared<core::ProxyConfig>(*effective);
  fallback->listeners = config_->listeners;
  for (const core::ClusterConfig& old : config_->clusters) {
    if (fallback->find_cluster(old.name) == nullptr) {
      fallback->clusters.push_back(old);  // still named by a kept listener
    }
  }
  if (!apply_effective(std::move(fallback), &error)) {
    spdlog::error("service_connect: update not applied: {}", error);
  }
}

bool Server::apply_with_mesh(std::shared_ptr<const core::ProxyConfig> config, std::string* error) {
  if (!MeshRuntime::needed(*config)) {
    if (!apply_effective(std::move(config), error)) {
      return false;
    }
    if (mesh_) {
      mesh_->stop();
      mesh_.reset();
    }
    return true;
  }
  if (mesh_ && mesh_->serves(*config)) {
    // Same registry view: only the static parts changed.
    metrics_.set_service_labels(mesh_->service_labels());
    if (!apply_effective(mesh_->effective(*config), error)) {
      return false;
    }
    mesh_->set_user_config(std::move(config));
    return true;
  }
  // control_plane, service_connect or the followed namespaces changed: a
  // new runtime (it starts from the snapshot file, so it is ready at once
  // for namespaces it shares with the old one).
  std::unique_ptr<MeshRuntime> fresh;
  try {
    fresh = std::make_unique<MeshRuntime>(context_, config);
  } catch (const std::exception& e) {
    *error = std::string("control_plane: ") + e.what();
    return false;
  }
  fresh->start();
  metrics_.set_service_labels(fresh->service_labels());
  std::swap(mesh_, fresh);
  if (!apply_effective(mesh_->effective(), error)) {
    mesh_->stop();
    std::swap(mesh_, fresh);
    if (mesh_) {
      metrics_.set_service_labels(mesh_->service_labels());
    }
    return false;
  }
  if (fresh) {
    // Not deregistered: the new runtime registers the same instance ids
    // (FERRY_INSTANCE_ID or ip:port) again. A service the new config no
    // longer serves stops heartbeating (ferry-control's --instance-ttl
    // then marks it unhealthy).
    fresh->stop();
    fresh.reset();
  }
  wire_mesh();
  return start_mesh_registration(error);
}

}  // namespace ferry::proxy
