#include "control/control_options.h"

#include <iostream>

#include <CLI/CLI.hpp>

#include "proxy/core/duration.h"
#include "proxy/core/log.h"

namespace ferry::control {
namespace {

// Flags as text first, converted (and checked) after CLI11 parsed them.
struct RawFlags {
  std::string listen = "127.0.0.1:9000";
  std::string store;
  std::string instance_ttl = "0s";
  std::string max_clock_skew = "5m";
  std::string operation_retention = "24h";
  std::string purge_interval = "60s";
  std::string header_timeout = "10s";
  std::string idle_timeout = "300s";
  std::string watch_timeout = "30s";
  std::string max_watch_timeout = "120s";
  std::string drain_timeout = "10s";
  std::string etcd_timeout = "5s";
  std::string log_level = "info";
  std::string integrity_check = "quick";
};

template <class D>
bool to_duration(const std::string& flag, const std::string& text, D& out, bool allow_zero) {
  const auto parsed = core::parse_duration(text);
  if (!parsed || (!allow_zero && parsed->count() == 0)) {
    std::cerr << "ferry-control: " << flag << ": '" << text
              << "' is not a duration (like 250ms, 30s, 5m)" << (allow_zero ? "" : " above 0")
              << "\n";
    return false;
  }
  out = std::chrono::duration_cast<D>(*parsed);
  return true;
}

void add_flags(CLI::App& app, RawFlags& raw, ControlConfig& c) {
  app.add_option("--listen", raw.listen, "Address of the API, watch, /ready and /metrics")
      ->capture_default_str();
  app.add_option("--address-file", c.address_file,
                 "Write the bound HOST:PORT here once listening (for --listen with port 0)");
  app.add_option("--data-dir", c.data_dir, "SQLite store: directory of registry.db");
  app.add_option("--store", raw.store, "etcd store: etcd://HOST:PORT[,HOST:PORT...]");
  app.add_option("--etcd-prefix", c.etcd_prefix, "Key prefix of the registry in etcd")
      ->capture_default_str();
  app.add_option("--etcd-timeout", raw.etcd_timeout, "Timeout of one etcd request")
      ->capture_default_str();
  app.add_option("--credentials", c.credentials_file,
                 "AWS shared-credentials file: every profile's key may sign requests");
  app.add_option("--region", c.plane.api.region, "Region of the SigV4 scope and of ARNs")
      ->capture_default_str();
  app.add_option("--account-id", c.plane.api.account_id, "Account id in ARNs and owners")
      ->capture_default_str();
  app.add_option("--max-clock-skew", raw.max_clock_skew, "Accepted X-Amz-Date skew")
      ->capture_default_str();
  app.add_option("--instance-ttl", raw.instance_ttl,
                 "Custom-health instances not renewed within it turn UNHEALTHY (0s: off)")
      ->capture_default_str();
  app.add_option("--max-namespaces", c.plane.api.limits.max_namespaces)->capture_default_str();
  app.add_option("--max-services-per-namespace", c.plane.api.limits.max_services_per_namespace)
      ->capture_default_str();
  app.add_option("--max-instances-per-service", c.plane.api.limits.max_instances_per_service)
      ->capture_default_str();
  app.add_option("--max-instances-per-namespace", c.plane.api.limits.max_instances_per_namespace)
      ->capture_default_str();
  app.add_option("--max-tags", c.plane.api.limits.max_tags_per_resource)->capture_default_str();
  app.add_option("--operation-retention", raw.operation_retention,
                 "How long operations and idempotency tokens are kept")
      ->capture_default_str();
  app.add_option("--max-operations", c.plane.max_operations,
                 "Operations (and idempotency tokens) kept at most; the oldest go first")
      ->capture_default_str();
  app.add_option("--purge-interval", raw.purge_interval)->capture_default_str();
  app.add_option("--max-body-bytes", c.server.max_body_bytes, "Larger requests get 413")
      ->capture_default_str();
  app.add_option("--header-timeout", raw.header_timeout)->capture_default_str();
  app.add_option("--idle-timeout", raw.idle_timeout)->capture_default_str();
  app.add_option("--max-connections", c.server.max_connections)->capture_default_str();
  app.add_option("--max-watchers", c.plane.max_watchers)->capture_default_str();
  app.add_option("--watch-timeout", raw.watch_timeout, "Long-poll timeout when none is asked")
      ->capture_default_str();
  app.add_option("--max-watch-timeout", raw.max_watch_timeout)->capture_default_str();
  app.add_option("--drain-timeout", raw.drain_timeout,
                 "On SIGTERM, how long requests in flight may take")
      ->capture_default_str();
  app.add_option("--integrity-check", raw.integrity_check,
                 "SQLite check at start: quick (quick_check) or full (integrity_check)")
      ->check(CLI::IsMember({"quick", "full"}))
      ->capture_default_str();
  app.add_option("--log-level", raw.log_level, "trace|debug|info|warn|error")
      ->capture_default_str();
}

bool convert(const RawFlags& raw, ControlConfig& c) {
  auto listen = core::SocketAddress::parse(raw.listen);
  if (!listen) {
    std::cerr << "ferry-control: --listen: '" << raw.listen
              << "' is not an IP:PORT address (e.g. 127.0.0.1:9000, [::1]:9000)\n";
    return false;
  }
  c.listen = *listen;
  if (c.data_dir.empty() == raw.store.empty()) {
    std::cerr << "ferry-control: give exactly one of --data-dir DIR (SQLite) and --store "
                 "etcd://HOST:PORT[,...]\n";
    return false;
  }
  if (!raw.store.empty()) {
    constexpr std::string_view kScheme = "etcd://";
    std::string_view rest = raw.store;
    if (rest.substr(0, kScheme.size()) != kScheme || rest.size() == kScheme.size()) {
      std::cerr << "ferry-control: --store must look like etcd://HOST:PORT[,HOST:PORT...]\n";
      return false;
    }
    rest.remove_prefix(kScheme.size());
    while (!rest.empty()) {
      const std::string_view one = rest.substr(0, rest.find(','));
      if (!core::split_host_port(one)) {
        std::cerr << "ferry-control: --store: '" << one << "' is not HOST:PORT\n";
        return false;
      }
      c.etcd_endpoints.emplace_back(one);
      rest.remove_prefix(std::min(rest.size(), one.size() + 1));
    }
  }
  auto level = core::parse_log_level(raw.log_level);
  if (!level) {
    std::cerr << "ferry-control: --log-level must be trace|debug|info|warn|error\n";
    return false;
  }
  c.log_level = *level;
  c.full_integrity_check = raw.integrity_check == "full";
  return to_duration("--instance-ttl", raw.instance_ttl, c.plane.instance_ttl, true) &&
         to_duration("--max-clock-skew", raw.max_clock_skew, c.max_clock_skew, false) &&
         to_duration("--operation-retention", raw.operation_retention, c.plane.operation_retention,
                     false) &&
         to_duration("--purge-interval", raw.purge_interval, c.plane.purge_interval, false) &&
         to_duration("--header-timeout", raw.header_timeout, c.server.header_timeout, true) &&
         to_duration("--idle-timeout", raw.idle_timeout, c.server.idle_timeout, true) &&
         to_duration("--watch-timeout", raw.watch_timeout, c.server.default_watch_timeout, false) &&
         to_duration("--max-watch-timeout", raw.max_watch_timeout, c.server.max_watch_timeout,
                     false) &&
         to_duration("--drain-timeout", raw.drain_timeout, c.drain_timeout, false) &&
         to_duration("--etcd-timeout", raw.etcd_timeout, c.etcd_timeout, false);
}

}  // namespace

bool is_loopback(const core::SocketAddress& address) {
  const std::string ip = address.ip_string();
  return address.is_v6() ? ip == "::1" : ip.rfind("127.", 0) == 0;
}

std::variant<ControlConfig, int> parse_command_line(int argc, char** argv) {
  CLI::App app{"ferry-control: the Cloud Map-compatible registry of a ferry mesh"};
  app.set_version_flag("--version", std::string("ferry-control ") + FERRY_VERSION);
  RawFlags raw;
  ControlConfig config;
  add_flags(app, raw, config);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (!convert(raw, config)) {
    return 2;
  }
  if (config.plane.max_operations == 0 || config.plane.max_watchers == 0 ||
      config.server.max_connections == 0 || config.server.max_body_bytes == 0 ||
      config.plane.api.limits.max_namespaces == 0 ||
      config.plane.api.limits.max_instances_per_service == 0) {
    std::cerr << "ferry-control: a count or size limit of 0 is invalid\n";
    return 2;
  }
  if (config.credentials_file.empty() && !is_loopback(config.listen)) {
    std::cerr << "ferry-control: refusing to listen on " << config.listen.to_string()
              << " without --credentials: unauthenticated requests are only served on "
                 "loopback (127.0.0.0/8, ::1)\n";
    return 2;
  }
  return config;
}

}  // namespace ferry::control
