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

namespace {

struct Flags {
  std::string endpoint = "127.0.0.1:9000";
  std::string mode = "all";
  std::string duration = "10s";
  std::string json_file;
  ferry::perf::BenchOptions options;
};

void add_flags(CLI::App& app, Flags& f) {
  app.add_option("--endpoint", f.endpoint, "ferry-control's IP:PORT")->capture_default_str();
  app.add_option("--mode", f.mode, "register | discover | propagation | all")
      ->check(CLI::IsMember({"register", "discover", "propagation", "all"}))
      ->capture_default_str();
  app.add_option("--duration", f.duration, "Length of the register and discover runs")
      ->capture_default_str();
  app.add_option("--clients", f.options.clients, "Concurrent registering clients")
      ->capture_default_str();
  app.add_option("--discover-clients", f.options.discover_clients, "Concurrent discover callers")
      ->capture_default_str();
  app.add_option("--instances", f.options.instances, "Instances in the discovered service")
      ->capture_default_str();
  app.add_option("--max-results", f.options.max_results, "MaxResults of each DiscoverInstances")
      ->capture_default_str();
  app.add_option("--watchers", f.options.watchers, "Long-polling watchers")->capture_default_str();
  app.add_option("--changes", f.options.changes, "Registrations whose propagation is timed")
      ->capture_default_str();
  app.add_option("--access-key-id", f.options.credentials.access_key_id)->capture_default_str();
  app.add_option("--secret-access-key", f.options.credentials.secret_access_key);
  app.add_option("--region", f.options.region)->capture_default_str();
  app.add_option("--json", f.json_file, "Also write the results here as JSON");
}

boost::json::object to_json(const ferry::perf::BenchResult& r) {
  boost::json::object extra;
  for (const auto& [k, v] : r.extra) {
    extra[k] = v;
  }
  return {{"name", r.name},
          {"rate_per_second", r.rate},
          {"errors", r.errors},
          {"latency_seconds",
           {{"p50", r.latency.p50},
            {"p90", r.latency.p90},
            {"p99", r.latency.p99},
            {"p999", r.latency.p999},
            {"max", r.latency.max}}},
          {"extra", std::move(extra)}};
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ferry;
  CLI::App app{
      "ferry-registry-bench: durable registrations/s, DiscoverInstances latency and "
      "watch propagation of ferry-control"};
  app.set_version_flag("--version", std::string("ferry-registry-bench ") + FERRY_VERSION);
  Flags flags;
  add_flags(app, flags);
  CLI11_PARSE(app, argc, argv);
  const auto address = core::SocketAddress::parse(flags.endpoint);
  const auto length = core::parse_duration(flags.duration);
  perf::BenchOptions& options = flags.options;
  const std::string& mode = flags.mode;
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
    for (const auto& [k, v] : r.extra) {
      std::printf(" %s=%.0f", k.c_str(), v);
    }
    std::printf("\n");
    std::fflush(stdout);
    results.push_back(to_json(r));
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
  if (!flags.json_file.empty()) {
    std::ofstream(flags.json_file) << boost::json::serialize(results) << "\n";
  }
  return 0;
}
