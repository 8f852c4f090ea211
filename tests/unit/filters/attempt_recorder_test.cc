#include "filters/attempt_recorder.h"

#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/filters/test_hosts.h"

namespace ferry::filters {
namespace {

using std::chrono::milliseconds;
using testing::make_host;

constexpr ConsecutiveThresholds kThresholds{.consecutive_5xx = 3, .consecutive_gateway_failure = 3};

TEST(AttemptRecorder, CountsRequestsFailuresAndLatency) {
  auto host = make_host(1);
  record_attempt(*host, AttemptOutcome::response(200), milliseconds(10), kThresholds);
  record_attempt(*host, AttemptOutcome::response(500), milliseconds(30), kThresholds);
  record_attempt(*host, AttemptOutcome::connect_failure(), milliseconds(999), kThresholds);
  record_attempt(*host, AttemptOutcome::refused(), milliseconds(999), kThresholds);
  const auto& s = host->stats;
  EXPECT_EQ(s.requests_total.load(), 3u);  // the refused stream is neither
  EXPECT_EQ(s.failures_total.load(), 2u);
  EXPECT_EQ(s.connect_failures_total.load(), 1u);
  EXPECT_EQ(s.latency_count.load(), 2u);  // responses only
  EXPECT_EQ(s.latency_sum_ns.load(),
            static_cast<std::uint64_t>(Duration(milliseconds(40)).count()));
}

TEST(AttemptRecorder, ReportsThe5xxThresholdExactlyOnce) {
  auto host = make_host(1);
  EXPECT_EQ(record_attempt(*host, AttemptOutcome::response(500), {}, kThresholds), std::nullopt);
  EXPECT_EQ(record_attempt(*host, AttemptOutcome::response(500), {}, kThresholds), std::nullopt);
  EXPECT_EQ(record_attempt(*host, AttemptOutcome::response(500), {}, kThresholds),
            EjectionReason::Consecutive5xx);
  // Past the threshold (main has not reset it yet): no second report.
  EXPECT_EQ(record_attempt(*host, AttemptOutcome::response(500), {}, kThresholds), std::nullopt);
  EXPECT_EQ(host->stats.consecutive_5xx.load(), 4u);
  EXPECT_EQ(host->stats.consecutive_gateway_failures.load(), 0u);
}

TEST(AttemptRecorder, SuccessResetsTheRun) {
  auto host = make_host(1);
  record_attempt(*host, AttemptOutcome::response(503), {}, kThresholds);
  record_attempt(*host, AttemptOutcome::response(503), {}, kThresholds);
  record_attempt(*host, AttemptOutcome::response(404), {}, kThresholds);  // not a 5xx: success
  EXPECT_EQ(host->stats.consecutive_5xx.load(), 0u);
  EXPECT_EQ(host->stats.consecutive_gateway_failures.load(), 0u);
  EXPECT_EQ(record_attempt(*host, AttemptOutcome::response(503), {}, kThresholds), std::nullopt);
}

TEST(AttemptRecorder, GatewayFailuresCountTowardBothAndWinTies) {
  auto host = make_host(1);
  record_attempt(*host, AttemptOutcome::connect_failure(), {}, kThresholds);
  record_attempt(*host, AttemptOutcome::reset(), {}, kThresholds);
  EXPECT_EQ(record_attempt(*host, AttemptOutcome::per_try_timeout(), {}, kThresholds),
            EjectionReason::ConsecutiveGatewayFailure);
  EXPECT_EQ(host->stats.consecutive_5xx.load(), 3u);
}

TEST(AttemptRecorder, PlainServerErrorBreaksAGatewayRunButNotA5xxRun) {
  auto host = make_host(1);
  const ConsecutiveThresholds thresholds{.consecutive_5xx = 10, .consecutive_gateway_failure = 2};
  record_attempt(*host, AttemptOutcome::response(502), {}, thresholds);
  record_attempt(*host, AttemptOutcome::response(500), {}, thresholds);
  EXPECT_EQ(host->stats.consecutive_gateway_failures.load(), 0u);
  EXPECT_EQ(host->stats.consecutive_5xx.load(), 2u);
  EXPECT_EQ(record_attempt(*host, AttemptOutcome::response(504), {}, thresholds), std::nullopt);
  EXPECT_EQ(record_attempt(*host, AttemptOutcome::response(504), {}, thresholds),
            EjectionReason::ConsecutiveGatewayFailure);
}

TEST(AttemptRecorder, RefusedStreamNeitherBreaksNorExtendsARun) {
  auto host = make_host(1);
  record_attempt(*host, AttemptOutcome::response(503), {}, kThresholds);
  record_attempt(*host, AttemptOutcome::refused(), {}, kThresholds);
  EXPECT_EQ(host->stats.consecutive_5xx.load(), 1u);
  EXPECT_EQ(host->stats.consecutive_gateway_failures.load(), 1u);
}

TEST(AttemptRecorder, ZeroThresholdNeverReports) {
  auto host = make_host(1);
  const ConsecutiveThresholds off{.consecutive_5xx = 0, .consecutive_gateway_failure = 0};
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(record_attempt(*host, AttemptOutcome::response(503), {}, off), std::nullopt);
  }
  EXPECT_EQ(host->stats.consecutive_5xx.load(), 20u);  // still shown in /clusters
}

// Many workers failing on one host at once: exactly one of them sees the
// crossing.
TEST(AttemptRecorder, OneReportPerStreakAcrossThreads) {
  auto host = make_host(1);
  const ConsecutiveThresholds thresholds{.consecutive_5xx = 1000, .consecutive_gateway_failure = 0};
  std::atomic<int> reports{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5000; ++i) {
        if (record_attempt(*host, AttemptOutcome::response(500), {}, thresholds)) {
          reports.fetch_add(1);
        }
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(reports.load(), 1);
  EXPECT_EQ(host->stats.requests_total.load(), 20'000u);
  EXPECT_EQ(host->stats.failures_total.load(), 20'000u);
}

}  // namespace
}  // namespace ferry::filters
