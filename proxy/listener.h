#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "proxy/core/address.h"
#include "proxy/core/duration.h"
#include "proxy/proxy_metrics.h"

namespace ferry::proxy {

enum class ListenerProtocol : std::uint8_t { Tcp, Http };
enum class TrafficDirection : std::uint8_t { Ingress, Egress };

const char* to_string(ListenerProtocol protocol);

// What a listener does, from its config.
struct ListenerOptions {
  std::string name;
  ListenerProtocol protocol = ListenerProtocol::Http;
  TrafficDirection direction = TrafficDirection::Ingress;
  std::string cluster;  // the default route
  std::uint32_t max_connections = 16384;
  core::Duration idle_timeout = std::chrono::seconds(300);
};

// A listener's process-wide state: options, the bound address, stats, and the
// connection cap, which holds for the whole process (one atomic shared by
// every worker's acceptor), never N times over.
class Listener {
 public:
  Listener(ListenerOptions options, core::SocketAddress bound, ProxyMetrics& metrics)
      : options_(std::move(options)), address_(bound), stats_(metrics, options_.name) {}

  const ListenerOptions& options() const { return options_; }
  const std::string& name() const { return options_.name; }
  const core::SocketAddress& address() const { return address_; }
  ListenerStats& stats() { return stats_; }

  // Admits one more connection if under max_connections (any thread).
  bool try_admit() {
    if (active_.fetch_add(1, std::memory_order_relaxed) >= options_.max_connections) {
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
  const ListenerOptions options_;
  const core::SocketAddress address_;
  ListenerStats stats_;
  std::atomic<std::uint32_t> active_{0};
  std::atomic<std::uint32_t> in_flight_{0};
};

}  // namespace ferry::proxy
