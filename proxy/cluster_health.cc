#include "proxy/cluster_health.h"

#include <algorithm>
#include <cmath>

#include <boost/asio/post.hpp>

#include "filters/prng.h"
#include "proxy/core/log.h"
#include "proxy/health_checker.h"

namespace ferry::proxy {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using filters::EjectionReason;
using filters::OutlierAction;

constexpr EjectionReason kReasons[] = {EjectionReason::Consecutive5xx,
                                       EjectionReason::ConsecutiveGatewayFailure,
                                       EjectionReason::SuccessRate, EjectionReason::Latency};

// The config's `outlier_detection` on the detector's options. The detector
// enables success-rate and latency detection by default; the config keeps
// them off unless their sections are present, and the config wins.
filters::OutlierDetectionOptions detector_options(const core::OutlierDetection& c) {
  filters::OutlierDetectionOptions o;
  o.consecutive_5xx = c.consecutive_5xx;
  o.consecutive_gateway_failure = c.consecutive_gateway_failure;
  o.interval = c.interval;
  o.base_ejection_time = c.base_ejection_time;
  o.max_ejection_time = c.max_ejection_time;
  // Whole percents; any share above 0 lets at least one host go (0 is a
  // dry run: detected and counted, never ejected).
  const double percent = std::clamp(c.max_ejection_percent, 0.0, 100.0);
  o.max_ejection_percent =
      percent > 0 ? std::max<std::uint32_t>(1, static_cast<std::uint32_t>(std::floor(percent))) : 0;
  o.success_rate_enabled = c.success_rate.has_value();
  if (c.success_rate) {
    o.success_rate_minimum_hosts = c.success_rate->minimum_hosts;
    o.success_rate_request_volume = c.success_rate->request_volume;
    o.success_rate_stdev_factor = c.success_rate->stdev_factor;
  }
  o.latency_enabled = c.latency.has_value();
  if (c.latency) {
    o.latency_minimum_hosts = c.latency->minimum_hosts;
    o.latency_request_volume = c.latency->request_volume;
    o.latency_threshold_factor = c.latency->threshold_factor;
    o.latency_minimum_excess = c.latency->minimum_excess;
  }
  return o;
}

}  // namespace

bool ClusterHealth::wanted(const core::ClusterConfig& config) {
  return config.outlier_detection.has_value() || config.health_check.has_value();
}

ClusterHealth::ClusterHealth(asio::io_context& main,
                             std::shared_ptr<const core::ClusterConfig> config,
                             ProxyMetrics& metrics, std::function<void()> on_change)
    : main_(main),
      config_(std::move(config)),
      on_change_(std::move(on_change)),
      interval_timer_(main),
      return_timer_(main),
      seed_(filters::Prng::entropy_seed()) {
  const std::string& name = config_->name;
  core::StatsRegistry& r = metrics.registry;
  if (config_->outlier_detection) {
    detector_ =
        std::make_unique<filters::OutlierDetector>(detector_options(*config_->outlier_detection));
    for (EjectionReason reason : kReasons) {
      const auto i = static_cast<std::size_t>(reason);
      ejections_[i] = r.counter(metrics.outlier_ejections, {name, filters::to_string(reason)});
      detections_[i] = r.counter(metrics.outlier_detections, {name, filters::to_string(reason)});
    }
    reversed_ = r.counter(metrics.outlier_ejections_reversed, {name});
    ejected_active_ = r.gauge(metrics.outlier_ejections_active, {name});
    ejected_active_.set(0);
    arm_interval();
  }
  if (config_->health_check) {
    check_settings_ = std::make_shared<const HealthCheckSettings>(
        HealthCheckSettings::from(*config_->health_check));
    checks_ = r.counter(metrics.health_checks, {name});
    check_failures_ = r.counter(metrics.health_check_failures, {name});
  }
}

ClusterHealth::~ClusterHealth() {
  stop();
  if (detector_) {
    ejected_active_.set(0);
  }
}

void ClusterHealth::stop() {
  stopped_ = true;
  interval_timer_.cancel();
  return_timer_.cancel();
  checkers_.clear();
}

OutlierReport ClusterHealth::reporter(const std::shared_ptr<ClusterHealth>& self,
                                      asio::io_context& main) {
  return [weak = std::weak_ptr<ClusterHealth>(self), &main](filters::Host& host,
                                                            EjectionReason reason) {
    asio::post(main, [weak, host = host.weak_from_this(), reason, now = Clock::now()] {
      auto health = weak.lock();
      auto target = host.lock();
      if (health && target) {
        health->on_consecutive_failure(*target, reason, now);
      }
    });
  };
}

void ClusterHealth::set_hosts(std::span<const std::shared_ptr<filters::Host>> hosts) {
  if (stopped_) {
    return;
  }
  if (detector_) {
    detector_->set_hosts(hosts, Clock::now());
    ejected_active_.set(static_cast<std::int64_t>(detector_->ejected_count()));
    arm_return();
  }
  if (!check_settings_) {
    return;
  }
  std::map<const filters::Host*, std::shared_ptr<HealthChecker>> next;
  for (const auto& host : hosts) {
    if (auto it = checkers_.find(host.get()); it != checkers_.end()) {
      next.emplace(host.get(), std::move(it->second));
      continue;
    }
    seed_ = seed_ * 0x9e3779b97f4a7c15ULL + 1;
    auto checker = std::make_shared<HealthChecker>(
        main_, host, check_settings_, seed_,
        [this](filters::Host& h, filters::HealthCheckResult result,
               std::optional<filters::HealthStatus> changed) { on_check(h, result, changed); });
    checker->start();
    next.emplace(host.get(), std::move(checker));
  }
  checkers_ = std::move(next);  // the hosts that left lose their checker here
}

void ClusterHealth::on_check(filters::Host& host, filters::HealthCheckResult result,
                             std::optional<filters::HealthStatus> changed) {
  checks_.inc();
  if (result != filters::HealthCheckResult::Success) {
    check_failures_.inc();
  }
  if (!changed) {
    return;
  }
  spdlog::info("cluster {}: endpoint {} is {} (active health check{})", config_->name,
               host.address_text(), filters::to_string(*changed),
               result == filters::HealthCheckResult::Timeout ? " timed out" : "");
  on_change_();
}

void ClusterHealth::on_consecutive_failure(filters::Host& host, EjectionReason reason,
                                           TimePoint now) {
  if (!detector_ || stopped_) {
    return;
  }
  if (auto event = detector_->on_consecutive_failure(host, reason, now)) {
    handle(std::span(&*event, 1));
  }
}

void ClusterHealth::handle(std::span<const filters::OutlierEvent> events) {
  bool changed = false;
  for (const filters::OutlierEvent& e : events) {
    const auto reason = static_cast<std::size_t>(e.reason);
    switch (e.action) {
      case OutlierAction::Ejected:
        detections_[reason].inc();
        ejections_[reason].inc();
        changed = true;
        spdlog::warn(
            "cluster {}: endpoint {} ejected ({}) for {} ms", config_->name, e.host->address_text(),
            filters::to_string(e.reason),
            std::chrono::duration_cast<std::chrono::milliseconds>(e.ejection_time).count());
        break;
      case OutlierAction::NotEnforced:
        detections_[reason].inc();
        FERRY_LOG_LIMITED(spdlog::level::info,
                          "cluster {}: endpoint {} is an outlier ({}) but max_ejection_percent "
                          "keeps it in service",
                          config_->name, e.host->address_text(), filters::to_string(e.reason));
        break;
      case OutlierAction::Returned:
        reversed_.inc();
        changed = true;
        spdlog::info("cluster {}: endpoint {} returned to service", config_->name,
                     e.host->address_text());
        break;
    }
  }
  ejected_active_.set(static_cast<std::int64_t>(detector_->ejected_count()));
  arm_return();
  if (changed) {
    on_change_();
  }
}

void ClusterHealth::arm_interval() {
  interval_timer_.expires_after(detector_->options().interval);
  interval_timer_.async_wait(
      [this, alive = std::weak_ptr<char>(alive_)](const boost::system::error_code& ec) {
        if (alive.expired() || ec || stopped_) {
          return;
        }
        const auto events = detector_->on_interval(Clock::now());
        handle(events);
        arm_interval();
      });
}

// A timer at the earliest ejection end, so hosts come back on time rather
// than at the next interval sweep.
void ClusterHealth::arm_return() {
  const std::optional<TimePoint> next = detector_->next_return();
  if (next == return_armed_at_ || stopped_) {
    return;
  }
  return_armed_at_ = next;
  if (!next) {
    return_timer_.cancel();
    return;
  }
  return_timer_.expires_at(*next);
  return_timer_.async_wait(
      [this, alive = std::weak_ptr<char>(alive_)](const boost::system::error_code& ec) {
        if (alive.expired() || ec || stopped_) {
          return;
        }
        return_armed_at_.reset();
        handle(detector_->return_due(Clock::now()));
      });
}

}  // namespace ferry::proxy
