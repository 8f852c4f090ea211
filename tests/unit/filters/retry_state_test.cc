#include "filters/retry_state.h"

#include <algorithm>
#include <chrono>

#include <gtest/gtest.h>

namespace ferry::filters {
namespace {

using std::chrono::milliseconds;

constexpr RequestFacts kGet{.idempotent = true, .body_replayable = true};
constexpr RequestFacts kPost{.idempotent = false, .body_replayable = true};

bool is_retry(const RetryDecision& d) {
  return std::holds_alternative<Retry>(d);
}
Duration backoff(const RetryDecision& d) {
  return std::get<Retry>(d).backoff;
}
NoRetryReason reason(const RetryDecision& d) {
  return std::get<NoRetry>(d).reason;
}

TEST(RetryState, ParsesRetryOnNames) {
  EXPECT_EQ(parse_retry_on("5xx"), RetryOn::Status5xx);
  EXPECT_EQ(parse_retry_on("gateway-error"), RetryOn::GatewayError);
  EXPECT_EQ(parse_retry_on("reset"), RetryOn::Reset);
  EXPECT_EQ(parse_retry_on("connect-failure"), RetryOn::ConnectFailure);
  EXPECT_EQ(parse_retry_on("refused-stream"), RetryOn::RefusedStream);
  EXPECT_EQ(parse_retry_on("retriable-status-codes"), RetryOn::RetriableStatusCodes);
  EXPECT_EQ(parse_retry_on("5XX"), std::nullopt);
  EXPECT_EQ(parse_retry_on("retriable-4xx"), std::nullopt);
  EXPECT_STREQ(to_string(RetryOn::GatewayError), "gateway-error");
}

TEST(RetryState, IdempotentMethodsPerRfc9110) {
  for (const char* m : {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"}) {
    EXPECT_TRUE(is_idempotent_method(m)) << m;
  }
  for (const char* m : {"POST", "PATCH", "CONNECT", "get", ""}) {
    EXPECT_FALSE(is_idempotent_method(m)) << m;
  }
}

TEST(RetryState, GetRetried503OnceThenExhausted) {
  RetryPolicyOptions policy;  // DESIGN.md defaults: 1 retry
  RetryState state(&policy, kGet, 1);
  const auto first = state.on_attempt(AttemptOutcome::response(503));
  ASSERT_TRUE(is_retry(first));
  EXPECT_FALSE(std::get<Retry>(first).always_on);
  EXPECT_EQ(reason(state.on_attempt(AttemptOutcome::response(503))),
            NoRetryReason::RetriesExhausted);
  EXPECT_EQ(state.retries(), 1u);
}

TEST(RetryState, PostNotRetriedAfterResetOrStatus) {
  RetryPolicyOptions policy;
  policy.num_retries = 3;
  RetryState state(&policy, kPost, 1);
  EXPECT_EQ(reason(state.on_attempt(AttemptOutcome::reset())), NoRetryReason::NotIdempotent);
  EXPECT_EQ(reason(state.on_attempt(AttemptOutcome::per_try_timeout())),
            NoRetryReason::NotIdempotent);
  EXPECT_EQ(reason(state.on_attempt(AttemptOutcome::response(503))), NoRetryReason::NotIdempotent);
  EXPECT_EQ(state.retries(), 0u);
}

TEST(RetryState, PostRetriedWhenProvablyUnprocessed) {
  RetryPolicyOptions policy;
  policy.num_retries = 2;
  RetryState state(&policy, kPost, 1);
  EXPECT_TRUE(is_retry(state.on_attempt(AttemptOutcome::refused())));
  EXPECT_TRUE(is_retry(state.on_attempt(AttemptOutcome::connect_failure())));
  // Policy retries used up; the always-on retry still covers one more.
  const auto third = state.on_attempt(AttemptOutcome::refused());
  ASSERT_TRUE(is_retry(third));
  EXPECT_TRUE(std::get<Retry>(third).always_on);
  EXPECT_EQ(reason(state.on_attempt(AttemptOutcome::refused())), NoRetryReason::RetriesExhausted);
  EXPECT_EQ(state.retries(), 3u);
}

TEST(RetryState, NonIdempotentOptIn) {
  RetryPolicyOptions policy;
  policy.retry_non_idempotent = true;
  RetryState state(&policy, kPost, 1);
  EXPECT_TRUE(is_retry(state.on_attempt(AttemptOutcome::reset())));
}

TEST(RetryState, RetryOnConditionsSelectOutcomes) {
  struct Case {
    RetryOnSet on;
    AttemptOutcome outcome;
    bool retried;
  };
  const std::vector<Case> cases = {
      {{RetryOn::Status5xx}, AttemptOutcome::response(500), true},
      {{RetryOn::Status5xx}, AttemptOutcome::response(599), true},
      {{RetryOn::Status5xx}, AttemptOutcome::response(404), false},
      {{RetryOn::Status5xx}, AttemptOutcome::reset(), true},
      {{RetryOn::Status5xx}, AttemptOutcome::per_try_timeout(), true},
      {{RetryOn::GatewayError}, AttemptOutcome::response(502), true},
      {{RetryOn::GatewayError}, AttemptOutcome::response(504), true},
      {{RetryOn::GatewayError}, AttemptOutcome::response(500), false},
      {{RetryOn::GatewayError}, AttemptOutcome::reset(), true},
      {{RetryOn::Reset}, AttemptOutcome::reset(), true},
      {{RetryOn::Reset}, AttemptOutcome::per_try_timeout(), true},
      {{RetryOn::Reset}, AttemptOutcome::response(503), false},
      {{RetryOn::ConnectFailure}, AttemptOutcome::reset(), false},
      {{RetryOn::ConnectFailure}, AttemptOutcome::response(503), false},
      {{RetryOn::RefusedStream}, AttemptOutcome::response(503), false},
      {{RetryOn::RetriableStatusCodes}, AttemptOutcome::response(409), true},
      {{RetryOn::RetriableStatusCodes}, AttemptOutcome::response(503), false},
      {{}, AttemptOutcome::response(503), false},
  };
  for (const Case& c : cases) {
    RetryPolicyOptions policy;
    policy.retry_on = c.on;
    policy.retriable_status_codes = {409};
    RetryState state(&policy, kGet, 1);
    const auto decision = state.on_attempt(c.outcome);
    EXPECT_EQ(is_retry(decision), c.retried)
        << "result " << static_cast<int>(c.outcome.result) << " status " << c.outcome.status;
    if (!c.retried) {
      EXPECT_EQ(reason(decision), NoRetryReason::NotRetriable);
    }
  }
}

TEST(RetryState, ConnectFailureRetriedEvenWhenPolicyDoesNotNameIt) {
  RetryPolicyOptions policy;
  policy.retry_on = {RetryOn::RetriableStatusCodes};
  RetryState state(&policy, kPost, 1);
  const auto d = state.on_attempt(AttemptOutcome::connect_failure());
  ASSERT_TRUE(is_retry(d));
  EXPECT_TRUE(std::get<Retry>(d).always_on);
  EXPECT_EQ(backoff(d), Duration::zero());
}

TEST(RetryState, NoPolicyRetriesOnlyProvablyUnprocessedOnce) {
  {
    RetryState state(nullptr, kPost, 1);
    const auto d = state.on_attempt(AttemptOutcome::connect_failure());
    ASSERT_TRUE(is_retry(d));
    EXPECT_EQ(backoff(d), Duration::zero());
    EXPECT_EQ(reason(state.on_attempt(AttemptOutcome::connect_failure())),
              NoRetryReason::RetriesExhausted);
  }
  {
    RetryState state(nullptr, kGet, 1);
    EXPECT_EQ(reason(state.on_attempt(AttemptOutcome::response(503))), NoRetryReason::NotRetriable);
    EXPECT_EQ(reason(state.on_attempt(AttemptOutcome::reset())), NoRetryReason::NotRetriable);
    EXPECT_EQ(reason(state.on_attempt(AttemptOutcome::per_try_timeout())),
              NoRetryReason::NotRetriable);
    EXPECT_TRUE(is_retry(state.on_attempt(AttemptOutcome::refused())));
  }
}

TEST(RetryState, StaleKeepAliveRetriedOnceForIdempotentOnly) {
  RetryState get(nullptr, kGet, 1);
  EXPECT_TRUE(is_retry(get.on_attempt(AttemptOutcome::reset(/*stale=*/true))));
  EXPECT_EQ(reason(get.on_attempt(AttemptOutcome::reset(true))), NoRetryReason::RetriesExhausted);

  RetryState post(nullptr, kPost, 1);
  EXPECT_EQ(reason(post.on_attempt(AttemptOutcome::reset(true))), NoRetryReason::NotIdempotent);
}

TEST(RetryState, BodyBeyondBufferIsNotReplayable) {
  RetryPolicyOptions policy;
  policy.max_body_size = 1000;
  RetryState state(&policy, kGet, 1);
  EXPECT_TRUE(state.on_request_body(1000));
  EXPECT_FALSE(state.on_request_body(1001));
  EXPECT_FALSE(state.on_request_body(10));  // stays unreplayable
  EXPECT_EQ(reason(state.on_attempt(AttemptOutcome::response(503))),
            NoRetryReason::BodyNotReplayable);
  EXPECT_EQ(reason(state.on_attempt(AttemptOutcome::connect_failure())),
            NoRetryReason::BodyNotReplayable);
}

TEST(RetryState, NoPolicyUsesDefaultBodyBuffer) {
  RetryState state(nullptr, kGet, 1);
  EXPECT_TRUE(state.on_request_body(64 * 1024));
  EXPECT_FALSE(state.on_request_body(64 * 1024 + 1));
}

TEST(RetryState, UnreplayableFromTheStart) {
  RetryState state(nullptr, RequestFacts{.idempotent = true, .body_replayable = false}, 1);
  EXPECT_EQ(reason(state.on_attempt(AttemptOutcome::connect_failure())),
            NoRetryReason::BodyNotReplayable);
}

TEST(RetryState, BackoffStaysWithinExponentialCeilingCappedAtMax) {
  RetryPolicyOptions policy;
  policy.num_retries = 6;
  policy.base_interval = milliseconds(25);
  policy.max_interval = milliseconds(250);
  // ceiling of retry n (1-based): min(250, 25 × 2^(n-1)).
  const std::array<Duration, 6> ceilings = {milliseconds(25),  milliseconds(50),
                                            milliseconds(100), milliseconds(200),
                                            milliseconds(250), milliseconds(250)};
  std::array<Duration, 6> longest{};
  for (std::uint64_t seed = 0; seed < 500; ++seed) {
    RetryState state(&policy, kGet, seed);
    for (std::size_t n = 0; n < ceilings.size(); ++n) {
      const auto d = state.on_attempt(AttemptOutcome::response(503));
      ASSERT_TRUE(is_retry(d));
      EXPECT_GE(backoff(d), Duration::zero());
      EXPECT_LT(backoff(d), ceilings[n]);
      longest[n] = std::max(longest[n], backoff(d));
    }
  }
  // The window really grows: over 500 requests each retry's longest wait
  // comes close to its own ceiling.
  for (std::size_t n = 0; n < ceilings.size(); ++n) {
    EXPECT_GT(longest[n], ceilings[n] * 9 / 10) << "retry " << n + 1;
  }
}

TEST(RetryState, BackoffJitterSpreadsOverTheWholeWindow) {
  RetryPolicyOptions policy;
  policy.base_interval = milliseconds(100);
  policy.max_interval = milliseconds(100);
  constexpr int kDraws = 4000;
  std::array<int, 10> deciles{};
  for (int seed = 0; seed < kDraws; ++seed) {
    RetryState state(&policy, kGet, static_cast<std::uint64_t>(seed));
    const Duration b = backoff(state.on_attempt(AttemptOutcome::response(503)));
    ++deciles[static_cast<std::size_t>(b / milliseconds(10))];
  }
  for (int count : deciles) {
    EXPECT_NEAR(count, kDraws / 10, 100);  // full jitter: flat over [0, 100ms)
  }
}

TEST(RetryState, ZeroBaseMeansNoBackoffAndMaxBelowBaseIsBase) {
  RetryPolicyOptions none;
  none.base_interval = Duration::zero();
  RetryState a(&none, kGet, 1);
  EXPECT_EQ(backoff(a.on_attempt(AttemptOutcome::response(503))), Duration::zero());

  RetryPolicyOptions inverted;
  inverted.num_retries = 4;
  inverted.base_interval = milliseconds(40);
  inverted.max_interval = milliseconds(10);
  for (std::uint64_t seed = 0; seed < 100; ++seed) {
    RetryState b(&inverted, kGet, seed);
    for (int i = 0; i < 4; ++i) {
      EXPECT_LT(backoff(b.on_attempt(AttemptOutcome::response(503))), milliseconds(40));
    }
  }
}

TEST(RetryState, HugeRetryCountsDoNotOverflowTheBackoff) {
  RetryPolicyOptions policy;
  policy.num_retries = 200;
  policy.base_interval = std::chrono::hours(1);
  policy.max_interval = std::chrono::hours(1'000'000);
  RetryState state(&policy, kGet, 5);
  for (int i = 0; i < 200; ++i) {
    const Duration b = backoff(state.on_attempt(AttemptOutcome::response(503)));
    ASSERT_GE(b, Duration::zero());
    ASSERT_LT(b, std::chrono::hours(1'000'000));
  }
}

TEST(RetryState, DeadlineStopsABackoffThatWouldOutliveTheRequest) {
  RetryPolicyOptions policy;
  policy.base_interval = milliseconds(100);
  policy.max_interval = milliseconds(100);
  RetryState state(&policy, kGet, 3);
  EXPECT_EQ(reason(state.on_attempt(AttemptOutcome::response(503), Duration::zero())),
            NoRetryReason::Deadline);
  // The refused retry was not used up.
  EXPECT_TRUE(is_retry(state.on_attempt(AttemptOutcome::response(503), milliseconds(100))));
}

TEST(RetryState, ReasonLabels) {
  EXPECT_STREQ(to_string(NoRetryReason::NotRetriable), "not_retriable");
  EXPECT_STREQ(to_string(NoRetryReason::RetriesExhausted), "retries_exhausted");
  EXPECT_STREQ(to_string(NoRetryReason::NotIdempotent), "not_idempotent");
  EXPECT_STREQ(to_string(NoRetryReason::BodyNotReplayable), "body_too_large");
  EXPECT_STREQ(to_string(NoRetryReason::Deadline), "deadline");
}

}  // namespace
}  // namespace ferry::filters
