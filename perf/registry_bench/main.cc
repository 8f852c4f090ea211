// ferry-registry-bench: measures ferry-control with SigV4-signed requests.
//
//   ferry-registry-bench --endpoint 127.0.0.1:9000 --mode register --clients 64 --duration 10s
//   ferry-registry-bench --endpoint 127.0.0.1:9000 --mode discover --instances 1000
//   ferry-registry-bench --endpoint 127.0.0.1:9000 --mode propagation --watchers 100
#include <cstdio>
#include <fstream>
#include <iostream>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>

#include "perf/registry_bench/benchmarks.h"
#include "proxy/core/duration.h"

int main(int argc, char** argv) {
  using namespace ferry;
  CLI::App app{
      "ferry-registry-bench: durable registrations/s, DiscoverInstances latency and "
      "watch propagation of ferry-control"};
  app.set_version_flag("--version", std::string("ferry-registry-bench ") + FERRY_VERSION);
  std::string endpoint = "127.0.0.1:9000";
  std::string mode = "all";
  std::string duration = "10s";
  std::string json_file;
  perf::BenchOptions options;
  app.add_option("--endpoint", endpoint, "ferry-control's IP:PORT")->capture_default_str();
  app.add_option("--mode", mode, "register | discover | propagation | all")
      ->check(CLI::IsMember({"register", "discover", "propagation", "all"}))
      ->capture_default_str();
  app.add_option("--duration", duration, "Length of the register and discover runs")
      ->capture_default_str();
  app.add_option("--clients", options.clients, "Concurrent registering clients")
      ->capture_default_str();
  app.add_option("--discover-clients", options.discover_clients, "Concurrent discover callers")
      ->capture_default_str();
  app.add_option("--instances", options.instances, "Instances in the discovered service")
      ->capture_default_str();
  app.add_option("--max-results", options.max_results, "MaxResults of each DiscoverInstances")
      ->capture_default_str();
  app.add_option("--watchers", options.watchers, "Long-polling watchers")->capture_default_str();
  app.add_option("--changes", options.changes, "Registrations whose propagation is timed")
      ->capture_default_str();
  app.add_option("--access-key-id", options.credentials.access_key_id)->capture_default_str();
  app.add_option("--secret-access-key", options.credentials.secret_access_key);
  app.add_option("--region", options.region)->capture_default_str();
  app.add_option("--json", json_file, "Also write the results here as JSON");
  CLI11_PARSE(app, argc, argv);
  const auto address = core::SocketAddress::parse(endpoint);
  const auto length = core::parse_duration(duration);
  if (!address || !length) {
    std::cerr << "ferry-registry-bench: bad --endpoint or --duration\n";
    return 2;
  }
  options.endpoint = *address;
  options.duration = std::chrono::duration_cast<std::chrono::seconds>(*length);

  boost::asio::io_context io(1);
  boost::json::array results;
  auto report = [&](const perf::BenchResult& r) {
    std::printf(
        "%-12s rate=%.0f/s p50=%.3fms p90=%.3fms p99=%.3fms p999=%.3fms max=%.3fms "
        "samples=%zu errors=%zu",
        r.name.c_str(), r.rate, r.latency.p50 * 1e3, r.latency.p90 * 1e3, r.latency.p99 * 1e3,
        r.latency.p999 * 1e3, r.latency.max * 1e3, r.latency.count, r.errors);
    boost::json::object extra;
    for (const auto& [k, v] : r.extra) {
      std::printf(" %s=%.0f", k.c_str(), v);
      extra[k] = v;
    }
    std::printf("\n");
    std::fflush(stdout);
    results.push_back({{"name", r.name},
                       {"rate_per_second", r.rate},
                       {"errors", r.errors},
                       {"latency_seconds",
                        {{"p50", r.latency.p50},
                         {"p90", r.latency.p90},
                         {"p99", r.latency.p99},
                         {"p999", r.latency.p999},
                         {"max", r.latency.max}}},
                       {"extra", extra}});
  };
  try {
    if (mode == "register" || mode == "all") {
      report(perf::bench_register(io, options));
    }
    if (mode == "discover" || mode == "all") {
      report(perf::bench_discover(io, options));
    }
    if (mode == "propagation" || mode == "all") {
      report(perf::bench_propagation(io, options));
    }
  } catch (const std::exception& e) {
    std::cerr << "ferry-registry-bench: " << e.what() << "\n";
    return 1;
  }
  if (!json_file.empty()) {
    std::ofstream(json_file) << boost::json::serialize(results) << "\n";
  }
  return 0;
}
