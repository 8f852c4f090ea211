#include "control/control_metrics.h"

namespace ferry::control {
namespace {

// API latency: 50 us .. 10 s (reads are sub-millisecond, writes wait for fsync).
core::HistogramBounds api_bounds() {
  core::HistogramBounds b;
  for (double us : {50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0, 25000.0, 50000.0,
                    100000.0, 250000.0, 500000.0, 1e6, 2.5e6, 1e7}) {
    b.push_back(static_cast<std::uint64_t>(us * 1000));
  }
  return b;
}

core::HistogramBounds batch_bounds() {
  core::HistogramBounds b;
  for (std::uint64_t n = 1; n <= 1024; n *= 2) {
    b.push_back(n);
  }
  return b;
}

}  // namespace

ControlMetrics::ControlMetrics(core::StatsRegistry& stats)
    : stats_(stats),
      requests_family_(stats.counter_family("ferry_control_api_requests_total",
                                            "Registry API calls by action and outcome",
                                            {"action", "outcome"})),
      duration_family_(stats.histogram_family("ferry_control_api_request_duration_seconds",
                                              "Registry API call latency, receipt to reply",
                                              {"action"}, api_bounds(), 1e-9)),
      watch_family_(stats.counter_family("ferry_control_watch_responses_total",
                                         "Watch API long-polls answered, by status", {"code"})) {
  instances_ = stats.gauge(
      stats.gauge_family("ferry_control_instances", "Registered instances in the registry"), {});
  watchers_ = stats.gauge(
      stats.gauge_family("ferry_control_watchers", "Watch API long-polls currently parked"), {});
  commit_duration_ = stats.histogram(
      stats.histogram_family("ferry_control_commit_duration_seconds",
                             "Store commit latency (SQLite: BEGIN to fsynced COMMIT of one "
                             "batch; etcd: one transaction)",
                             {}, api_bounds(), 1e-9),
      {});
  commit_batch_ = stats.histogram(
      stats.histogram_family("ferry_control_commit_batch_size",
                             "Requests acknowledged by one store commit", {}, batch_bounds(), 1.0),
      {});
  ttl_expirations_ = stats.counter(
      stats.counter_family("ferry_control_ttl_expirations_total",
                           "Instances turned UNHEALTHY because their custom health was not "
                           "renewed within --instance-ttl"),
      {});
  build_info_ =
      stats.gauge(stats.gauge_family("ferry_build_info", "ferry build information", {"version"}),
                  {FERRY_VERSION});
  build_info_.set(1);
}

void ControlMetrics::api_call(std::string_view action, std::string_view outcome,
                              std::chrono::nanoseconds duration) {
  auto key = std::make_pair(std::string(action), std::string(outcome));
  auto it = requests_.find(key);
  if (it == requests_.end()) {
    it = requests_.emplace(key, stats_.counter(requests_family_, {key.first, key.second})).first;
  }
  it->second.inc();
  auto d = durations_.find(action);
  if (d == durations_.end()) {
    d = durations_.emplace(std::string(action), stats_.histogram(duration_family_, {key.first}))
            .first;
  }
  d->second.observe(static_cast<std::uint64_t>(duration.count()));
}

void ControlMetrics::commit(std::chrono::nanoseconds duration, std::size_t batch) {
  commit_duration_.observe(static_cast<std::uint64_t>(duration.count()));
  commit_batch_.observe(batch);
}

void ControlMetrics::watch_answered(int status) {
  auto it = watch_replies_.find(status);
  if (it == watch_replies_.end()) {
    it = watch_replies_.emplace(status, stats_.counter(watch_family_, {std::to_string(status)}))
             .first;
  }
  it->second.inc();
}

}  // namespace ferry::control
