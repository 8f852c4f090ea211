#include "proxy/core/config/validate.h"

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace ferry::core {
namespace {

// Listener keys that mean nothing to a tcp listener.
constexpr std::array<std::string_view, 10> kHttpOnlyListenerKeys = {
    "routes",
    "request_headers_timeout",
    "stream_idle_timeout",
    "headers_with_underscores_action",
    "request_timeout",
    "max_request_headers_size",
    "max_request_headers_count",
    "max_request_target_size",
    "x_forwarded_for",
    "rate_limit",
};

class Validator {
 public:
  Validator(const ProxyConfig& config, ReadContext& ctx) : config_(config), ctx_(ctx) {
    for (const ClusterConfig& cluster : config_.clusters) {
      cluster_names_.insert(cluster.name);
    }
  }

  void run() {
    check_not_empty();
    check_unique_names();
    check_listen_addresses();
    for (std::size_t i = 0; i < config_.listeners.size(); ++i) {
      check_listener(config_.listeners[i], "listeners[" + std::to_string(i) + "]");
    }
    for (std::size_t i = 0; i < config_.clusters.size(); ++i) {
      check_cluster(config_.clusters[i], "clusters[" + std::to_string(i) + "]");
    }
    if (config_.service_connect && !config_.control_plane) {
      report("service_connect", "needs control_plane (the registry it registers with)");
    }
  }

 private:
  void report(std::string path, std::string message) {
    const int line = ctx_.lines().line_of(path);
    ctx_.error(line, std::move(path), std::move(message));
  }

  void check_not_empty() {
    if (config_.listeners.empty() && !config_.service_connect) {
      report("listeners",
             "no listeners and no service_connect: the proxy would have nothing to do");
    }
  }

  void check_unique_names() {
    std::map<std::string_view, std::size_t> listeners;
    for (std::size_t i = 0; i < config_.listeners.size(); ++i) {
      const std::string& name = config_.listeners[i].name;
      auto [it, fresh] = listeners.emplace(name, i);
      if (!name.empty() && !fresh) {
        report("listeners[" + std::to_string(i) + "].name", "duplicate listener name \"" + name +
                                                                "\" (also listeners[" +
                                                                std::to_string(it->second) + "])");
      }
    }
    std::map<std::string_view, std::size_t> clusters;
    for (std::size_t i = 0; i < config_.clusters.size(); ++i) {
      const std::string& name = config_.clusters[i].name;
      auto [it, fresh] = clusters.emplace(name, i);
      if (!name.empty() && !fresh) {
        report("clusters[" + std::to_string(i) + "].name", "duplicate cluster name \"" + name +
                                                               "\" (also clusters[" +
                                                               std::to_string(it->second) + "])");
      }
    }
  }

  // Two sockets overlap when they share a port and either has the same IP
  // or one is a wildcard: 0.0.0.0 takes every IPv4 address, and [::] (dual
  // stack by default) every address. SO_REUSEPORT would let them bind and
  // silently split traffic, so the config refuses it.
  static bool overlaps(const SocketAddress& a, const SocketAddress& b) {
    if (a.port() != b.port() || a.port() == 0) {
      return false;
    }
    const std::string ip_a = a.ip_string();
    const std::string ip_b = b.ip_string();
    if (ip_a == ip_b || ip_a == "::" || ip_b == "::") {
      return true;
    }
    return (ip_a == "0.0.0.0" && !b.is_v6()) || (ip_b == "0.0.0.0" && !a.is_v6());
  }

  void check_listen_addresses() {
    struct Bound {
      std::string owner;
      const SocketAddress* address;
    };
    // Only sockets on one port can overlap; grouping by port keeps this
    // linear for a config with thousands of listeners.
    std::unordered_map<std::uint16_t, std::vector<Bound>> by_port;
    by_port[config_.admin.address.port()].push_back({"admin.address", &config_.admin.address});
    for (std::size_t i = 0; i < config_.listeners.size(); ++i) {
      const SocketAddress& address = config_.listeners[i].address;
      if (address.size() == 0 || address.port() == 0) {
        continue;  // missing or invalid (already reported), or "pick a free port"
      }
      std::vector<Bound>& same_port = by_port[address.port()];
      for (const Bound& other : same_port) {
        if (overlaps(address, *other.address)) {
          report("listeners[" + std::to_string(i) + "].address",
                 "address " + address.to_string() + " is already used by " + other.owner + " (" +
                     other.address->to_string() + ")");
          break;
        }
      }
      same_port.push_back({"listeners[" + std::to_string(i) + "]", &address});
    }
  }

  void check_cluster_reference(const std::string& name, const std::string& path) {
    if (!name.empty() && cluster_names_.count(name) == 0) {
      report(path, "unknown cluster \"" + name + "\"");
    }
  }

  void check_listener(const ListenerConfig& listener, const std::string& path) {
    if (listener.cluster) {
      check_cluster_reference(*listener.cluster, path + ".cluster");
    }
    for (std::size_t r = 0; r < listener.routes.size(); ++r) {
      const std::string route = path + ".routes[" + std::to_string(r) + "]";
      check_cluster_reference(listener.routes[r].cluster, route + ".cluster");
    }
    if (listener.protocol == ListenerProtocol::Http) {
      if (!listener.cluster && listener.routes.empty() &&
          !ctx_.lines().contains(path + ".routes")) {
        report(path + ".cluster", "an http listener needs a default cluster or routes");
      }
      return;
    }
    if (!listener.cluster && !ctx_.lines().contains(path + ".cluster")) {
      report(path + ".cluster", "is required for a tcp listener");
    }
    for (std::string_view key : kHttpOnlyListenerKeys) {
      const std::string key_path = path + "." + std::string(key);
      if (ctx_.lines().contains(key_path)) {
        report(key_path, "only for http listeners (this listener is tcp)");
      }
    }
  }

  void check_cluster(const ClusterConfig& cluster, const std::string& path) {
    const bool has_endpoints = ctx_.lines().contains(path + ".endpoints");
    const bool has_discovery = ctx_.lines().contains(path + ".discovery");
    if (has_endpoints && has_discovery) {
      report(path + ".discovery", "a cluster has endpoints or discovery, not both");
    } else if (!has_endpoints && !has_discovery) {
      report(path, "cluster \"" + cluster.name + "\" needs endpoints or discovery");
    }
    if (has_discovery && !config_.control_plane) {
      report(path + ".discovery", "needs control_plane (the registry to discover from)");
    }
  }

  const ProxyConfig& config_;
  ReadContext& ctx_;
  std::unordered_set<std::string_view> cluster_names_;
};

}  // namespace

void validate_proxy_config(const ProxyConfig& config, ReadContext& ctx) {
  Validator(config, ctx).run();
}

}  // namespace ferry::core
