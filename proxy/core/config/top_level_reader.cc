#include <algorithm>
#include <span>

#include "proxy/core/config/config_values.h"
#include "proxy/core/config/proxy_config_reader.h"
#include "proxy/core/config/schema_checks.h"

namespace ferry::core {
namespace {

constexpr IntRange kWorkerRange{0, 1024};

bool is_region(std::string_view text) {
  return !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

void read_admin(MapReader& reader, AdminConfig& out) {
  reader.socket_address("address", out.address);
}

void read_drain(MapReader& reader, DrainConfig& out) {
  reader.duration("propagation_delay", out.propagation_delay, ZeroDuration::Disables);
  reader.duration("timeout", out.timeout, ZeroDuration::Disables);
  if (out.timeout.count() != 0 && out.propagation_delay > out.timeout) {
    reader.error("propagation_delay",
                 "propagation_delay (" + format_duration(out.propagation_delay) +
                     ") must not exceed timeout (" + format_duration(out.timeout) + ")");
  }
}

}  // namespace

void read_control_plane(MapReader& reader, ControlPlaneConfig& out) {
  ReadContext& ctx = reader.context();
  std::size_t items = 0;
  const bool present = reader.list(
      "addresses",
      [&](const ValueRef& item, std::size_t) {
        ++items;
        if (auto address = read_host_port(ctx, item)) {
          out.addresses.push_back(std::move(*address));
        }
      },
      Presence::Required);
  if (present && items == 0) {
    reader.error("addresses", "must name at least one control-plane address");
  }
  reader.string("credentials_file", out.credentials_file);
  reader.string("snapshot_path", out.snapshot_path);
  if (reader.string("region", out.region) && !is_region(out.region)) {
    reader.error("region", "invalid region \"" + out.region + "\" (e.g. \"us-east-1\")");
  }
  reader.duration("watch_timeout", out.watch_timeout, ZeroDuration::Invalid);
  reader.duration("request_timeout", out.request_timeout, ZeroDuration::Invalid);
  reader.map("reconnect_backoff", [&](MapReader& m) { read_backoff(m, out.reconnect_backoff); });
  reader.duration("heartbeat_interval", out.heartbeat_interval, ZeroDuration::Invalid);
}

void read_proxy_config(MapReader& root, ProxyConfig& out) {
  root.map("admin", [&](MapReader& m) { read_admin(m, out.admin); });
  root.integer("workers", out.workers, kWorkerRange);
  root.map("drain", [&](MapReader& m) { read_drain(m, out.drain); });
  root.section("control_plane", out.control_plane, read_control_plane);
  root.map_list("listeners",
                [&](MapReader& m, std::size_t) { read_listener(m, out.listeners.emplace_back()); });
  root.map_list("clusters",
                [&](MapReader& m, std::size_t) { read_cluster(m, out.clusters.emplace_back()); });
  root.section("service_connect", out.service_connect, read_service_connect);
}

}  // namespace ferry::core
