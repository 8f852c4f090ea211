#include "filters/health_check_state.h"

#include <algorithm>

namespace ferry::filters {

HealthCheckState::HealthCheckState(const HealthCheckOptions& options, std::uint64_t seed)
    : interval_(std::max(options.interval, Duration::zero())),
      healthy_threshold_(std::max<std::uint32_t>(options.healthy_threshold, 1)),
      unhealthy_threshold_(std::max<std::uint32_t>(options.unhealthy_threshold, 1)),
      jitter_percent_(std::min<std::uint32_t>(options.interval_jitter_percent, 100)),
      prng_(seed),
      status_(options.start_unhealthy ? HealthStatus::Unhealthy : HealthStatus::Unknown) {}

std::optional<HealthStatus> HealthCheckState::on_result(HealthCheckResult result) {
  ++checks_total_;
  const HealthStatus before = status_;
  if (result == HealthCheckResult::Success) {
    failures_in_row_ = 0;
    ++successes_in_row_;
    // Unknown needs one success; unhealthy needs the threshold, except on
    // the very first check of a host that started unhealthy (Envoy's rule).
    const bool first_verdict = before == HealthStatus::Unknown || checks_total_ == 1;
    if (before != HealthStatus::Healthy &&
        (first_verdict || successes_in_row_ >= healthy_threshold_)) {
      status_ = HealthStatus::Healthy;
    }
  } else {
    ++failures_total_;
    if (result == HealthCheckResult::Timeout) {
      ++timeouts_total_;
    }
    successes_in_row_ = 0;
    ++failures_in_row_;
    if (before != HealthStatus::Unhealthy && failures_in_row_ >= unhealthy_threshold_) {
      status_ = HealthStatus::Unhealthy;
    }
  }
  if (status_ != before) {
    return status_;
  }
  return std::nullopt;
}

Duration HealthCheckState::first_delay() {
  return Duration(
      static_cast<Duration::rep>(prng_.uniform(static_cast<std::uint64_t>(interval_.count()))));
}

Duration HealthCheckState::next_delay() {
  const auto span = static_cast<std::uint64_t>(interval_.count()) / 100 * jitter_percent_;
  return interval_ + Duration(static_cast<Duration::rep>(prng_.uniform(span)));
}

}  // namespace ferry::filters
