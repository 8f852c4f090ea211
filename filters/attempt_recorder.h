#pragma once

#include <cstdint>
#include <optional>

#include "filters/attempt_outcome.h"
#include "filters/clock.h"

namespace ferry::filters {

class Host;

// Why a host was ejected; each is a `reason` label of
// ferry_outlier_ejections_total (see to_string).
enum class EjectionReason : std::uint8_t {
  Consecutive5xx,
  ConsecutiveGatewayFailure,
  SuccessRate,
  Latency,
};
const char* to_string(EjectionReason reason);

// The consecutive-failure thresholds of `outlier_detection` (DESIGN.md
// defaults). 0 disables one (used when the cluster has no outlier detection:
// the counters are still kept for /clusters).
struct ConsecutiveThresholds {
  std::uint32_t consecutive_5xx = 5;
  std::uint32_t consecutive_gateway_failure = 5;
};

// The worker half of outlier detection. Called on a worker once per upstream
// attempt that ended, with the time from sending the request to the
// response head (`latency`, used only for a Response). Bumps the host's
// relaxed-atomic counters:
// - requests_total, failures_total (5xx and gateway failures), the latency
//   sum and count (responses only), connect_failures_total;
// - the consecutive counters: a 5xx bumps consecutive_5xx, a gateway failure
//   (connect failure, reset, timeout, 502/503/504) bumps both (as in Envoy,
//   a locally seen failure counts as a 5xx too); any other response resets
//   both; a refused stream changes nothing.
//
// Returns the reason when this very attempt made a counter reach its
// threshold (exactly one worker sees that): the runtime then posts (host,
// reason, now) to the main thread for OutlierDetector::on_consecutive_failure,
// which also resets the counters. When both thresholds are reached at once,
// the gateway-failure reason (the more specific one) is returned.
std::optional<EjectionReason> record_attempt(Host& host, const AttemptOutcome& outcome,
                                             Duration latency,
                                             const ConsecutiveThresholds& thresholds);

}  // namespace ferry::filters
