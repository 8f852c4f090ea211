#include "filters/peak_ewma.h"

#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "filters/host.h"
#include "tests/unit/filters/test_hosts.h"

namespace ferry::filters {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::make_host;
using testing::start_time;

constexpr double kMs = 1e6;  // nanoseconds

TEST(PeakEwma, UnobservedHostUsesTheDefault) {
  PeakEwma ewma(PeakEwmaOptions{.decay = seconds(10), .default_rtt = milliseconds(30)});
  auto host = make_host(1);
  EXPECT_DOUBLE_EQ(ewma.estimate_ns(*host, start_time()), 30 * kMs);
  host->stats.active_requests = 3;
  EXPECT_DOUBLE_EQ(ewma.cost(*host, start_time()), 4 * 30 * kMs);
}

TEST(PeakEwma, JumpsToAPeakAtOnce) {
  PeakEwma ewma(PeakEwmaOptions{});
  auto host = make_host(1);
  const TimePoint t = start_time();
  ewma.record(*host, milliseconds(10), t);
  EXPECT_NEAR(ewma.estimate_ns(*host, t), 10 * kMs, 0.01 * kMs);
  ewma.record(*host, milliseconds(200), t + milliseconds(1));
  EXPECT_NEAR(ewma.estimate_ns(*host, t + milliseconds(1)), 200 * kMs, 0.01 * kMs);
}

TEST(PeakEwma, DecaysTowardZeroWithoutObservations) {
  PeakEwma ewma(PeakEwmaOptions{.decay = seconds(10)});
  auto host = make_host(1);
  const TimePoint t = start_time();
  ewma.record(*host, milliseconds(100), t);
  EXPECT_NEAR(ewma.estimate_ns(*host, t + seconds(10)), 100 * kMs * std::exp(-1.0), 0.1 * kMs);
  EXPECT_NEAR(ewma.estimate_ns(*host, t + seconds(30)), 100 * kMs * std::exp(-3.0), 0.1 * kMs);
  // A clock read a little behind the stamp (another worker) is not "the future".
  EXPECT_NEAR(ewma.estimate_ns(*host, t - milliseconds(5)), 100 * kMs, 0.01 * kMs);
}

TEST(PeakEwma, FasterObservationsPullTheEstimateDownGradually) {
  PeakEwma ewma(PeakEwmaOptions{.decay = seconds(10)});
  auto host = make_host(1);
  TimePoint t = start_time();
  ewma.record(*host, milliseconds(100), t);
  t += milliseconds(1);
  ewma.record(*host, milliseconds(10), t);
  // One quick fast answer barely moves it: the peak is sticky.
  EXPECT_GT(ewma.estimate_ns(*host, t), 99 * kMs);
  for (int i = 0; i < 30'000; ++i) {  // 30 s of 1 ms steps
    t += milliseconds(1);
    ewma.record(*host, milliseconds(10), t);
  }
  EXPECT_NEAR(ewma.estimate_ns(*host, t), 10 * kMs, 0.5 * kMs);
}

TEST(PeakEwma, CostGrowsWithActiveRequests) {
  PeakEwma ewma(PeakEwmaOptions{});
  auto fast_busy = make_host(1);
  auto slow_idle = make_host(2);
  const TimePoint t = start_time();
  ewma.record(*fast_busy, milliseconds(10), t);
  ewma.record(*slow_idle, milliseconds(25), t);
  EXPECT_LT(ewma.cost(*fast_busy, t), ewma.cost(*slow_idle, t));
  fast_busy->stats.active_requests = 2;  // 30 > 25
  EXPECT_GT(ewma.cost(*fast_busy, t), ewma.cost(*slow_idle, t));
}

TEST(PeakEwma, ConcurrentRecordsStayWithinTheObservedRange) {
  PeakEwma ewma(PeakEwmaOptions{});
  auto host = make_host(1);
  const TimePoint t = start_time();
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 10'000; ++i) {
        ewma.record(*host, milliseconds(5 + (i + w) % 20), t + milliseconds(i));
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  const double estimate = ewma.estimate_ns(*host, t + milliseconds(10'000));
  EXPECT_GE(estimate, 4 * kMs);
  EXPECT_LE(estimate, 25 * kMs);
}

}  // namespace
}  // namespace ferry::filters
