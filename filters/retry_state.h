#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

#include "filters/attempt_outcome.h"
#include "filters/clock.h"
#include "filters/prng.h"

namespace ferry::filters {

// The `retry_on` conditions (DESIGN.md, Envoy's names).
enum class RetryOn : std::uint8_t {
  Status5xx,             // "5xx": any 5xx, and every connect failure, reset and timeout
  GatewayError,          // "gateway-error": 502/503/504, and connect failures, resets, timeouts
  Reset,                 // "reset": resets and timeouts (no response at all), connect failures
  ConnectFailure,        // "connect-failure"
  RefusedStream,         // "refused-stream": provably unprocessed streams
  RetriableStatusCodes,  // "retriable-status-codes": the codes in the policy's list
};

// Config text → condition; nullopt for an unknown name.
std::optional<RetryOn> parse_retry_on(std::string_view name);
const char* to_string(RetryOn condition);

class RetryOnSet {
 public:
  constexpr RetryOnSet() = default;
  constexpr RetryOnSet(std::initializer_list<RetryOn> conditions) {
    for (RetryOn c : conditions) {
      insert(c);
    }
  }
  constexpr void insert(RetryOn c) { bits_ |= bit(c); }
  constexpr bool contains(RetryOn c) const { return (bits_ & bit(c)) != 0; }
  constexpr bool empty() const { return bits_ == 0; }

 private:
  static constexpr std::uint8_t bit(RetryOn c) {
    return static_cast<std::uint8_t>(1u << static_cast<unsigned>(c));
  }
  std::uint8_t bits_ = 0;
};

// A route's or cluster's `retry_policy` (DESIGN.md defaults). Owned by the
// config snapshot; a RetryState points at it for the life of one request,
// which the snapshot outlives.
struct RetryPolicyOptions {
  RetryOnSet retry_on{RetryOn::Status5xx, RetryOn::GatewayError, RetryOn::Reset,
                      RetryOn::ConnectFailure, RetryOn::RefusedStream};
  std::uint32_t num_retries = 1;
  std::vector<std::uint16_t> retriable_status_codes{};
  Duration base_interval = std::chrono::milliseconds(25);  // 0s: no back-off
  Duration max_interval = std::chrono::milliseconds(250);  // below base: taken as base
  // Bytes of request body kept for replay; a longer body makes the request
  // unretriable (RELIABILITY.md: 64 KiB).
  std::size_t max_body_size = 64 * 1024;
  // ferry's own: also retry requests with non-idempotent methods that may
  // have been processed (reset after send, timeout, retriable status). Off:
  // such a POST is never sent twice.
  bool retry_non_idempotent = false;
};

// Why a failed attempt is not retried. Each value is a label of
// ferry_upstream_retry_skipped_total{cluster,reason} (see to_string).
enum class NoRetryReason : std::uint8_t {
  NotRetriable,       // the outcome is not among retry_on (or no policy covers it)
  RetriesExhausted,   // num_retries (and the one always-on retry) used up
  NotIdempotent,      // may have been processed, and the method is not idempotent
  BodyNotReplayable,  // the body outgrew max_body_size, so no copy to resend
  Deadline,           // the back-off would end after the request's deadline
};
const char* to_string(NoRetryReason reason);

struct Retry {
  Duration backoff{0};  // wait this long, then send the next attempt
  // True when this is the always-on retry of a provably unprocessed request
  // rather than one of the policy's num_retries.
  bool always_on = false;
};
struct NoRetry {
  NoRetryReason reason = NoRetryReason::NotRetriable;
};
using RetryDecision = std::variant<Retry, NoRetry>;

// Facts about the request, known when it starts.
struct RequestFacts {
  bool idempotent = false;  // is_idempotent_method(method)
  // False when the body cannot be replayed at all (e.g. the runtime already
  // streamed part of it without keeping a copy).
  bool body_replayable = true;
};

// The retry bookkeeping of one request (Envoy's RetryStateImpl idea): after
// each failed attempt the runtime reports the outcome and gets back Retry or
// NoRetry{reason}. Lives in the request's state on its worker; no I/O, no
// clock, no locks. Whether a retry may *start* is the cluster's
// RetryBudget's call, made after this one says Retry.
//
// Safe by default: an outcome after which the application may have processed
// the request is retried only for idempotent methods; a provably unprocessed
// one (connect failure, refused stream) always may be. Independent of any
// policy (DESIGN.md "Absent policies"), a request that provably never reached
// an application gets one extra retry: a connect failure, a refused stream,
// or, for idempotent methods, a stale keep-alive connection. That retry has
// no back-off: the next attempt goes to another connection or endpoint.
class RetryState {
 public:
  // `policy` may be null (no retry_policy: only the always-on retry). It must
  // outlive this object. `seed` seeds the jitter (take it from the worker's
  // Prng).
  RetryState(const RetryPolicyOptions* policy, RequestFacts facts, std::uint64_t seed);

  // Called as request body bytes are forwarded upstream; `total_bytes` is
  // the running total. Returns whether the runtime must keep a copy of them
  // for a replay: false once the body outgrew max_body_size (or was never
  // replayable); then no retry is possible and the copy can be dropped.
  bool on_request_body(std::size_t total_bytes);

  // Called once per failed (or unwanted) attempt outcome. `time_left` is
  // what remains of the request's overall timeout (Duration::max() when it
  // has none). A Retry counts as used at once.
  RetryDecision on_attempt(const AttemptOutcome& outcome, Duration time_left = Duration::max());

  // Retries handed out so far (policy and always-on).
  std::uint32_t retries() const { return policy_retries_ + (always_on_used_ ? 1 : 0); }

 private:
  bool policy_covers(const AttemptOutcome& outcome) const;
  bool always_on_covers(const AttemptOutcome& outcome) const;
  Duration next_backoff();

  const RetryPolicyOptions* policy_;
  RequestFacts facts_;
  Prng prng_;
  std::uint32_t policy_retries_ = 0;
  bool always_on_used_ = false;
};

}  // namespace ferry::filters
