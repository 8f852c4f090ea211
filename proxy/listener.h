#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "proxy/core/address.h"
#include "proxy/core/config/proxy_config.h"
#include "proxy/proxy_metrics.h"

namespace ferry::proxy {

const char* to_string(core::ListenerProtocol protocol);

// A listener's process-wide state: its config, the bound address, stats, and
// the connection cap, which holds for the whole process (one atomic shared by
// every worker's acceptor), never N times over. Shared by main and workers;
// everything mutable is atomic.
class Listener {
 public:
  Listener(core::ListenerConfig config, core::SocketAddress bound, ProxyMetrics& metrics)
      : config_(std::move(config)),
        address_(bound),
        stats_(metrics, config_.name, config_.protocol == core::ListenerProtocol::Http) {}

  const core::ListenerConfig& config() const { return config_; }
  const std::string& name() const { return config_.name; }
  bool ingress() const { return config_.direction == core::Direction::Ingress; }
  const core::SocketAddress& address() const { return address_; }
  ListenerStats& stats() { return stats_; }

  // Admits one more connection if under max_connections (any thread).
  bool try_admit() {
    if (active_.fetch_add(1, std::memory_order_relaxed) >= config_.max_connections) {
      active_.fetch_sub(1, std::memory_order_relaxed);
      return false;
    }
    return true;
  }
  void release() { active_.fetch_sub(1, std::memory_order_relaxed); }
  std::uint32_t active_connections() const { return active_.load(std::memory_order_relaxed); }

  // Work that must finish before a drain completes: open connections for TCP
  // listeners, requests in flight for HTTP ones (idle keep-alives don't count).
  void begin_work() { in_flight_.fetch_add(1, std::memory_order_relaxed); }
  void end_work() { in_flight_.fetch_sub(1, std::memory_order_relaxed); }
  std::uint32_t in_flight() const { return in_flight_.load(std::memory_order_relaxed); }

 private:
  const core::ListenerConfig config_;
  const core::SocketAddress address_;
  ListenerStats stats_;
  std::atomic<std::uint32_t> active_{0};
  std::atomic<std::uint32_t> in_flight_{0};
};

}  // namespace ferry::proxy
