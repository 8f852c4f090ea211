#include "perf/load/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace ferry::perf {
namespace {

constexpr std::uint64_t kMicrosecond = 1'000;
constexpr std::uint64_t kSixtySeconds = 60'000'000'000;

// Nearest rank with integer arithmetic: percentile given in parts per
// 10 000 (9999 = p99.99), so no binary fraction can move the rank.
std::uint64_t exact_percentile(const std::vector<std::uint64_t>& sorted,
                               std::uint64_t per_ten_thousand) {
  const std::uint64_t n = sorted.size();
  std::uint64_t rank = (per_ten_thousand * n + 9'999) / 10'000;
  rank = std::max<std::uint64_t>(rank, 1);
  return sorted[rank - 1];
}

double relative_error(std::uint64_t reported, std::uint64_t exact) {
  return std::abs(static_cast<double>(reported) - static_cast<double>(exact)) /
         static_cast<double>(exact);
}

void expect_percentiles_within_one_percent(std::vector<std::uint64_t> values) {
  LatencyHistogram histogram;
  for (std::uint64_t v : values) {
    histogram.record(v);
  }
  std::sort(values.begin(), values.end());
  for (std::uint64_t p : {1u, 100u, 2500u, 5000u, 7500u, 9000u, 9900u, 9990u, 9999u, 10000u}) {
    const std::uint64_t exact = exact_percentile(values, p);
    const std::uint64_t reported = histogram.value_at_percentile(static_cast<double>(p) / 100.0);
    EXPECT_LE(relative_error(reported, exact), 0.01)
        << "p" << static_cast<double>(p) / 100.0 << " exact " << exact << " reported " << reported;
  }
  EXPECT_EQ(histogram.min(), values.front());
  EXPECT_EQ(histogram.max(), values.back());
  EXPECT_EQ(histogram.count(), values.size());
}

TEST(LatencyHistogram, LogUniformFromOneMicrosecondToSixtySeconds) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> exponent(std::log(1e3), std::log(6e10));
  std::vector<std::uint64_t> values(200'000);
  for (auto& v : values) {
    v = static_cast<std::uint64_t>(std::exp(exponent(rng)));
  }
  expect_percentiles_within_one_percent(std::move(values));
}

TEST(LatencyHistogram, LogNormalLatencies) {
  std::mt19937_64 rng(2);
  std::lognormal_distribution<double> latency(std::log(300e3), 0.8);  // ~300 µs
  std::vector<std::uint64_t> values(100'000);
  for (auto& v : values) {
    v = std::clamp<std::uint64_t>(static_cast<std::uint64_t>(latency(rng)), kMicrosecond,
                                  kSixtySeconds);
  }
  expect_percentiles_within_one_percent(std::move(values));
}

TEST(LatencyHistogram, BimodalWithRareStalls) {
  // 99.5% fast answers near 100 µs, 0.5% stalled for ~200 ms: the p99.9
  // must land in the stall, the p99 must not.
  std::mt19937_64 rng(3);
  std::normal_distribution<double> fast(100e3, 10e3);
  std::normal_distribution<double> stalled(200e6, 1e6);
  std::bernoulli_distribution is_stall(0.005);
  std::vector<std::uint64_t> values(50'000);
  for (auto& v : values) {
    v = static_cast<std::uint64_t>(std::max(1e3, is_stall(rng) ? stalled(rng) : fast(rng)));
  }
  expect_percentiles_within_one_percent(values);
  LatencyHistogram histogram;
  for (std::uint64_t v : values) {
    histogram.record(v);
  }
  EXPECT_LT(histogram.value_at_percentile(99), 1'000'000u);
  EXPECT_GT(histogram.value_at_percentile(99.9), 190'000'000u);
}

TEST(LatencyHistogram, FewValuesAreReportedClosely) {
  std::vector<std::uint64_t> values = {1'000, 2'345'678, 59'999'999'999, 77'777};
  expect_percentiles_within_one_percent(values);
  LatencyHistogram histogram;
  histogram.record(42'424'242);
  EXPECT_EQ(histogram.value_at_percentile(50), 42'424'242u);  // clamped to min == max
}

TEST(LatencyHistogram, EveryBucketIsNarrowerThanTheErrorBound) {
  for (std::size_t i = 0; i < LatencyHistogram::kBucketCount; ++i) {
    const std::uint64_t lo = LatencyHistogram::bucket_lowest(i);
    const std::uint64_t hi = LatencyHistogram::bucket_highest(i);
    ASSERT_LE(lo, hi) << i;
    ASSERT_EQ(LatencyHistogram::bucket_index(lo), i);
    ASSERT_EQ(LatencyHistogram::bucket_index(hi), i);
    if (i + 1 < LatencyHistogram::kBucketCount) {
      ASSERT_EQ(LatencyHistogram::bucket_lowest(i + 1), hi + 1) << i;
    }
    if (lo >= kMicrosecond) {
      const double half_width = static_cast<double>(hi - lo) / 2.0;
      ASSERT_LE(half_width / static_cast<double>(lo), 0.005) << i;
    }
  }
  EXPECT_EQ(LatencyHistogram::bucket_highest(LatencyHistogram::kBucketCount - 1), UINT64_MAX);
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
  std::mt19937_64 rng(4);
  std::uniform_int_distribution<std::uint64_t> any(kMicrosecond, kSixtySeconds);
  LatencyHistogram a;
  LatencyHistogram b;
  LatencyHistogram all;
  std::vector<std::uint64_t> values(20'000);
  for (std::size_t i = 0; i < values.size(); ++i) {
    values[i] = any(rng);
    (i % 3 == 0 ? a : b).record(values[i]);
    all.record(values[i]);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
  for (double p : {10.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    EXPECT_EQ(a.value_at_percentile(p), all.value_at_percentile(p)) << p;
  }
  // Merging into an empty histogram keeps the other's min.
  LatencyHistogram empty;
  empty.merge(all);
  EXPECT_EQ(empty.min(), all.min());
}

TEST(LatencyHistogram, EmptyAndReset) {
  LatencyHistogram histogram;
  EXPECT_EQ(histogram.value_at_percentile(50), 0u);
  EXPECT_EQ(histogram.min(), 0u);
  EXPECT_EQ(histogram.max(), 0u);
  histogram.record(5'000);
  histogram.reset();
  EXPECT_EQ(histogram.count(), 0u);
  EXPECT_EQ(histogram.value_at_percentile(99), 0u);
}

}  // namespace
}  // namespace ferry::perf
