#include "filters/health_check_state.h"

#include <chrono>

#include <gtest/gtest.h>

namespace ferry::filters {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Result = HealthCheckResult;

TEST(HealthCheckState, NewHostStartsUnknownAndTurnsHealthyOnFirstSuccess) {
  HealthCheckState state(HealthCheckOptions{}, 1);
  EXPECT_EQ(state.status(), HealthStatus::Unknown);
  EXPECT_EQ(state.on_result(Result::Success), HealthStatus::Healthy);
  EXPECT_EQ(state.on_result(Result::Success), std::nullopt);
}

TEST(HealthCheckState, UnknownNeedsTheUnhealthyThresholdToFail) {
  HealthCheckState state(HealthCheckOptions{.unhealthy_threshold = 3}, 1);
  EXPECT_EQ(state.on_result(Result::Failure), std::nullopt);
  EXPECT_EQ(state.on_result(Result::Timeout), std::nullopt);
  EXPECT_EQ(state.status(), HealthStatus::Unknown);
  EXPECT_EQ(state.on_result(Result::Failure), HealthStatus::Unhealthy);
}

TEST(HealthCheckState, ThresholdsOfConsecutiveResults) {
  HealthCheckState state(HealthCheckOptions{.healthy_threshold = 3, .unhealthy_threshold = 2}, 1);
  ASSERT_EQ(state.on_result(Result::Success), HealthStatus::Healthy);
  // A single failure between successes does not flip it.
  EXPECT_EQ(state.on_result(Result::Failure), std::nullopt);
  EXPECT_EQ(state.on_result(Result::Success), std::nullopt);
  EXPECT_EQ(state.on_result(Result::Failure), std::nullopt);
  EXPECT_EQ(state.on_result(Result::Timeout), HealthStatus::Unhealthy);
  // Back needs healthy_threshold successes in a row.
  EXPECT_EQ(state.on_result(Result::Success), std::nullopt);
  EXPECT_EQ(state.on_result(Result::Success), std::nullopt);
  EXPECT_EQ(state.on_result(Result::Failure), std::nullopt);
  EXPECT_EQ(state.on_result(Result::Success), std::nullopt);
  EXPECT_EQ(state.on_result(Result::Success), std::nullopt);
  EXPECT_EQ(state.on_result(Result::Success), HealthStatus::Healthy);
  EXPECT_EQ(state.checks_total(), 11u);
  EXPECT_EQ(state.failures_total(), 4u);
  EXPECT_EQ(state.timeouts_total(), 1u);
}

TEST(HealthCheckState, StartUnhealthyIsEnvoysBehaviour) {
  HealthCheckState passes(HealthCheckOptions{.healthy_threshold = 3, .start_unhealthy = true}, 1);
  EXPECT_EQ(passes.status(), HealthStatus::Unhealthy);
  EXPECT_EQ(passes.on_result(Result::Success), HealthStatus::Healthy);

  HealthCheckState fails_first(HealthCheckOptions{.healthy_threshold = 3, .start_unhealthy = true},
                               1);
  EXPECT_EQ(fails_first.on_result(Result::Failure), std::nullopt);
  EXPECT_EQ(fails_first.on_result(Result::Success), std::nullopt);
  EXPECT_EQ(fails_first.on_result(Result::Success), std::nullopt);
  EXPECT_EQ(fails_first.on_result(Result::Success), HealthStatus::Healthy);
}

TEST(HealthCheckState, FirstDelaySpreadsOverOneInterval) {
  const HealthCheckOptions options{.interval = seconds(5)};
  Duration lowest = seconds(5);
  Duration highest{0};
  for (std::uint64_t seed = 0; seed < 1000; ++seed) {
    HealthCheckState state(options, seed);
    const Duration d = state.first_delay();
    ASSERT_GE(d, Duration::zero());
    ASSERT_LT(d, seconds(5));
    lowest = std::min(lowest, d);
    highest = std::max(highest, d);
  }
  EXPECT_LT(lowest, milliseconds(100));
  EXPECT_GT(highest, milliseconds(4900));
}

TEST(HealthCheckState, NextDelayIsIntervalPlusJitter) {
  HealthCheckState state(HealthCheckOptions{.interval = seconds(10), .interval_jitter_percent = 20},
                         3);
  Duration lowest = seconds(100);
  Duration highest{0};
  for (int i = 0; i < 2000; ++i) {
    const Duration d = state.next_delay();
    ASSERT_GE(d, seconds(10));
    ASSERT_LT(d, seconds(12));
    lowest = std::min(lowest, d);
    highest = std::max(highest, d);
  }
  EXPECT_LT(lowest, milliseconds(10'050));
  EXPECT_GT(highest, milliseconds(11'950));

  HealthCheckState exact(HealthCheckOptions{.interval = seconds(10), .interval_jitter_percent = 0},
                         3);
  EXPECT_EQ(exact.next_delay(), seconds(10));
}

}  // namespace
}  // namespace ferry::filters
