#include "filters/retry_state.h"

#include <algorithm>
#include <array>
#include <utility>

namespace ferry::filters {
namespace {

struct RetryOnName {
  RetryOn condition;
  std::string_view name;
};
constexpr std::array<RetryOnName, 6> kRetryOnNames = {{
    {RetryOn::Status5xx, "5xx"},
    {RetryOn::GatewayError, "gateway-error"},
    {RetryOn::Reset, "reset"},
    {RetryOn::ConnectFailure, "connect-failure"},
    {RetryOn::RefusedStream, "refused-stream"},
    {RetryOn::RetriableStatusCodes, "retriable-status-codes"},
}};

// The body limit of the always-on retry when a request has no policy
// (RELIABILITY.md's retry buffer default).
constexpr std::size_t kDefaultMaxBodySize = 64 * 1024;

}  // namespace

std::optional<RetryOn> parse_retry_on(std::string_view name) {
  for (const auto& entry : kRetryOnNames) {
    if (entry.name == name) {
      return entry.condition;
    }
  }
  return std::nullopt;
}

const char* to_string(RetryOn condition) {
  for (const auto& entry : kRetryOnNames) {
    if (entry.condition == condition) {
      return entry.name.data();
    }
  }
  return "unknown";
}

const char* to_string(NoRetryReason reason) {
  switch (reason) {
    case NoRetryReason::NotRetriable:
      return "not_retriable";
    case NoRetryReason::RetriesExhausted:
      return "retries_exhausted";
    case NoRetryReason::NotIdempotent:
      return "not_idempotent";
    case NoRetryReason::BodyNotReplayable:
      return "body_too_large";
    case NoRetryReason::Deadline:
      return "deadline";
  }
  return "unknown";
}

RetryState::RetryState(const RetryPolicyOptions* policy, RequestFacts facts, std::uint64_t seed)
    : policy_(policy), facts_(facts), prng_(seed) {}

bool RetryState::on_request_body(std::size_t total_bytes) {
  const std::size_t limit = policy_ != nullptr ? policy_->max_body_size : kDefaultMaxBodySize;
  if (total_bytes > limit) {
    facts_.body_replayable = false;
  }
  return facts_.body_replayable;
}

bool RetryState::policy_covers(const AttemptOutcome& outcome) const {
  const RetryOnSet& on = policy_->retry_on;
  // As in Envoy, "5xx" and "gateway-error" also mean "the upstream did not
  // answer at all", and "reset" includes failing to connect.
  const bool no_answer = on.contains(RetryOn::Status5xx) || on.contains(RetryOn::GatewayError) ||
                         on.contains(RetryOn::Reset);
  switch (outcome.result) {
    case AttemptResult::ConnectFailure:
      return no_answer || on.contains(RetryOn::ConnectFailure);
    case AttemptResult::Refused:
      return no_answer || on.contains(RetryOn::RefusedStream);
    case AttemptResult::Reset:
    case AttemptResult::PerTryTimeout:
      return no_answer;
    case AttemptResult::Response:
      break;
  }
  const std::uint16_t status = outcome.status;
  if (on.contains(RetryOn::Status5xx) && status >= 500 && status <= 599) {
    return true;
  }
  if (on.contains(RetryOn::GatewayError) && (status == 502 || status == 503 || status == 504)) {
    return true;
  }
  if (on.contains(RetryOn::RetriableStatusCodes)) {
    const auto& codes = policy_->retriable_status_codes;
    return std::find(codes.begin(), codes.end(), status) != codes.end();
  }
  return false;
}

bool RetryState::always_on_covers(const AttemptOutcome& outcome) const {
  if (outcome.provably_unprocessed()) {
    return true;
  }
  return outcome.result == AttemptResult::Reset && outcome.stale_connection && facts_.idempotent;
}

Duration RetryState::next_backoff() {
  const Duration base = policy_->base_interval;
  if (base <= Duration::zero()) {
    return Duration::zero();
  }
  const Duration cap = std::max(policy_->max_interval, base);
  // base × 2^n, saturating at the cap (and long before the shift overflows).
  Duration ceiling = base;
  for (std::uint32_t i = 0; i < policy_retries_ && ceiling < cap; ++i) {
    ceiling = ceiling > cap / 2 ? cap : ceiling * 2;
  }
  ceiling = std::min(ceiling, cap);
  // Full jitter: uniform in [0, ceiling), so N clients that failed together
  // spread their retries over the whole window.
  return Duration(
      static_cast<Duration::rep>(prng_.uniform(static_cast<std::uint64_t>(ceiling.count()))));
}

RetryDecision RetryState::on_attempt(const AttemptOutcome& outcome, Duration time_left) {
  const bool by_policy = policy_ != nullptr && policy_covers(outcome);
  const bool by_always_on = always_on_covers(outcome);
  if (!by_policy && !by_always_on) {
    if (outcome.result == AttemptResult::Reset && outcome.stale_connection && !facts_.idempotent) {
      return NoRetry{NoRetryReason::NotIdempotent};
    }
    return NoRetry{NoRetryReason::NotRetriable};
  }
  if (!facts_.body_replayable) {
    return NoRetry{NoRetryReason::BodyNotReplayable};
  }
  NoRetryReason refusal = NoRetryReason::RetriesExhausted;
  if (by_policy) {
    const bool may_be_processed = !outcome.provably_unprocessed();
    if (may_be_processed && !facts_.idempotent && !policy_->retry_non_idempotent) {
      refusal = NoRetryReason::NotIdempotent;
    } else if (policy_retries_ < policy_->num_retries) {
      const Duration backoff = next_backoff();
      if (backoff >= time_left) {
        refusal = NoRetryReason::Deadline;
      } else {
        ++policy_retries_;
        return Retry{backoff, false};
      }
    }
  }
  if (by_always_on && !always_on_used_) {
    if (time_left <= Duration::zero()) {
      return NoRetry{NoRetryReason::Deadline};
    }
    always_on_used_ = true;
    return Retry{Duration::zero(), true};
  }
  return NoRetry{refusal};
}

}  // namespace ferry::filters
