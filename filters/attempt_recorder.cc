#include "filters/attempt_recorder.h"

#include "filters/host.h"

namespace ferry::filters {
namespace {

// True when the increment made the counter reach the threshold exactly, so
// one streak posts one notification however many workers add to it.
bool bump_reaches(std::atomic<std::uint32_t>& counter, std::uint32_t threshold) {
  const std::uint32_t now = counter.fetch_add(1, kRelaxed) + 1;
  return threshold != 0 && now == threshold;
}

void reset_if_set(std::atomic<std::uint32_t>& counter) {
  // A load first: in steady state (all successes) no worker writes the line.
  if (counter.load(kRelaxed) != 0) {
    counter.store(0, kRelaxed);
  }
}

}  // namespace

const char* to_string(EjectionReason reason) {
  switch (reason) {
    case EjectionReason::Consecutive5xx:
      return "consecutive_5xx";
    case EjectionReason::ConsecutiveGatewayFailure:
      return "consecutive_gateway_failure";
    case EjectionReason::SuccessRate:
      return "success_rate";
    case EjectionReason::Latency:
      return "latency";
  }
  return "unknown";
}

std::optional<EjectionReason> record_attempt(Host& host, const AttemptOutcome& outcome,
                                             Duration latency,
                                             const ConsecutiveThresholds& thresholds) {
  Host::Stats& stats = host.stats;
  if (outcome.result == AttemptResult::Refused) {
    return std::nullopt;
  }
  stats.requests_total.fetch_add(1, kRelaxed);
  if (outcome.result == AttemptResult::Response) {
    const std::int64_t ns = latency.count();
    stats.latency_sum_ns.fetch_add(ns > 0 ? static_cast<std::uint64_t>(ns) : 0, kRelaxed);
    stats.latency_count.fetch_add(1, kRelaxed);
  } else if (outcome.result == AttemptResult::ConnectFailure) {
    stats.connect_failures_total.fetch_add(1, kRelaxed);
  }
  const bool gateway = outcome.gateway_failure();
  const bool is_5xx = gateway || (outcome.result == AttemptResult::Response &&
                                  outcome.status >= 500 && outcome.status <= 599);
  if (!is_5xx) {
    reset_if_set(stats.consecutive_5xx);
    reset_if_set(stats.consecutive_gateway_failures);
    return std::nullopt;
  }
  stats.failures_total.fetch_add(1, kRelaxed);
  const bool gateway_crossed = gateway && bump_reaches(stats.consecutive_gateway_failures,
                                                       thresholds.consecutive_gateway_failure);
  if (!gateway) {
    // A plain 5xx (500, 501, 505…) breaks a run of gateway failures.
    reset_if_set(stats.consecutive_gateway_failures);
  }
  const bool crossed_5xx = bump_reaches(stats.consecutive_5xx, thresholds.consecutive_5xx);
  if (gateway_crossed) {
    return EjectionReason::ConsecutiveGatewayFailure;
  }
  if (crossed_5xx) {
    return EjectionReason::Consecutive5xx;
  }
  return std::nullopt;
}

}  // namespace ferry::filters
