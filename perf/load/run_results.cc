#include "perf/load/run_results.h"

#include <fmt/format.h>
#include <boost/json.hpp>

namespace ferry::perf {
namespace {

constexpr std::array<double, 5> kPercentiles = {50.0, 90.0, 99.0, 99.9, 99.99};
constexpr std::array<const char*, 5> kPercentileKeys = {"p50", "p90", "p99", "p999", "p9999"};

double seconds(std::uint64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

double rps(const RunResults& results, const RunDescription& run) {
  return run.duration_seconds > 0 ? static_cast<double>(results.requests) / run.duration_seconds
                                  : 0.0;
}

std::string format_latency(std::uint64_t ns) {
  if (ns < 1'000'000) {
    return fmt::format("{:.1f}us", static_cast<double>(ns) / 1e3);
  }
  if (ns < 1'000'000'000) {
    return fmt::format("{:.2f}ms", static_cast<double>(ns) / 1e6);
  }
  return fmt::format("{:.3f}s", static_cast<double>(ns) / 1e9);
}

}  // namespace

void RunResults::merge(const RunResults& other) {
  latency.merge(other.latency);
  requests += other.requests;
  for (std::size_t i = 0; i < status.size(); ++i) {
    status[i] += other.status[i];
  }
  status_other += other.status_other;
  for (std::size_t i = 0; i < failures.size(); ++i) {
    failures[i] += other.failures[i];
  }
  bytes_received += other.bytes_received;
  connections_opened += other.connections_opened;
}

std::string results_json(const RunResults& results, const RunDescription& run) {
  namespace json = boost::json;
  json::object latency;
  for (std::size_t i = 0; i < kPercentiles.size(); ++i) {
    latency[kPercentileKeys[i]] = seconds(results.latency.value_at_percentile(kPercentiles[i]));
  }
  latency["max"] = seconds(results.latency.max());
  latency["min"] = seconds(results.latency.min());
  latency["mean"] = results.latency.mean() / 1e9;

  json::object doc;
  doc["requests"] = results.requests;
  doc["duration_seconds"] = run.duration_seconds;
  doc["rps"] = rps(results, run);
  doc["errors"] = {
      {"connect", results.failures_of(FailureKind::Connect)},
      {"reset", results.failures_of(FailureKind::Reset)},
      {"timeout", results.failures_of(FailureKind::Timeout)},
      {"status_4xx", results.status[3]},
      {"status_5xx", results.status[4]},
      {"protocol", results.failures_of(FailureKind::Protocol)},
  };
  doc["latency_seconds"] = std::move(latency);
  doc["status"] = {{"1xx", results.status[0]}, {"2xx", results.status[1]},
                   {"3xx", results.status[2]}, {"4xx", results.status[3]},
                   {"5xx", results.status[4]}, {"other", results.status_other}};
  doc["cpu_seconds"] = {{"user", run.cpu_user_seconds}, {"system", run.cpu_system_seconds}};
  if (!run.peer_cpu_pids.empty()) {
    json::array pids(run.peer_cpu_pids.begin(), run.peer_cpu_pids.end());
    doc["peer_cpu_seconds"] =
        run.peer_cpu_valid ? json::value({{"pids", pids},
                                          {"user", run.peer_cpu_user_seconds},
                                          {"system", run.peer_cpu_system_seconds}})
                           : json::value({{"pids", pids}, {"user", nullptr}, {"system", nullptr}});
  }
  doc["bytes_received"] = results.bytes_received;
  doc["connections_opened"] = results.connections_opened;
  doc["settings"] = {
      {"url", run.url},
      {"protocol", run.protocol},
      {"mode", run.open_loop ? "open" : "closed"},
      {"rate", run.open_loop ? json::value(run.target_rate) : json::value(nullptr)},
      {"connections", run.connections},
      {"threads", run.threads},
      {"streams", run.streams},
      {"warmup_seconds", run.warmup_seconds},
      {"timeout_seconds", run.timeout_seconds},
  };
  return json::serialize(doc) + "\n";
}

std::string results_text(const RunResults& results, const RunDescription& run) {
  std::string out;
  auto line = std::back_inserter(out);
  fmt::format_to(line, "{} {}, {} connections, {} threads{}, {}\n", run.protocol, run.url,
                 run.connections, run.threads,
                 run.protocol == "h2c" ? fmt::format(", {} streams each", run.streams) : "",
                 run.open_loop ? fmt::format("open loop at {:.0f} req/s", run.target_rate)
                               : std::string("closed loop"));
  fmt::format_to(line, "  {} requests in {:.2f}s: {:.1f} req/s\n", results.requests,
                 run.duration_seconds, rps(results, run));
  const LatencyHistogram& h = results.latency;
  fmt::format_to(
      line, "  latency p50 {}  p90 {}  p99 {}  p99.9 {}  p99.99 {}  max {}\n",
      format_latency(h.value_at_percentile(50)), format_latency(h.value_at_percentile(90)),
      format_latency(h.value_at_percentile(99)), format_latency(h.value_at_percentile(99.9)),
      format_latency(h.value_at_percentile(99.99)), format_latency(h.max()));
  fmt::format_to(line, "  status 1xx {} 2xx {} 3xx {} 4xx {} 5xx {}\n", results.status[0],
                 results.status[1], results.status[2], results.status[3], results.status[4]);
  fmt::format_to(line, "  errors connect {} reset {} timeout {} protocol {}\n",
                 results.failures_of(FailureKind::Connect), results.failures_of(FailureKind::Reset),
                 results.failures_of(FailureKind::Timeout),
                 results.failures_of(FailureKind::Protocol));
  const auto per_request = [&](double cpu) {
    return results.requests > 0 ? cpu * 1e6 / static_cast<double>(results.requests) : 0.0;
  };
  const double cpu = run.cpu_user_seconds + run.cpu_system_seconds;
  fmt::format_to(line, "  ferry-load cpu {:.2f}s ({:.2f} us/request)\n", cpu, per_request(cpu));
  if (run.peer_cpu_valid) {
    const double peer = run.peer_cpu_user_seconds + run.peer_cpu_system_seconds;
    fmt::format_to(line, "  --cpu-pid cpu {:.2f}s ({:.2f} us/request)\n", peer, per_request(peer));
  } else if (!run.peer_cpu_pids.empty()) {
    fmt::format_to(line, "  --cpu-pid cpu: not readable\n");
  }
  return out;
}

}  // namespace ferry::perf
