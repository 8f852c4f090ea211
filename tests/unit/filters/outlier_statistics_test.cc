#include "filters/outlier_statistics.h"

#include <vector>

#include <gtest/gtest.h>

namespace ferry::filters {
namespace {

TEST(OutlierStatistics, SuccessRateFlagsHostsBelowMeanMinusFactorStdev) {
  // Mean 94, population stdev ~5.8 → threshold ~82.9 at factor 1.9.
  const std::vector<double> rates = {100, 100, 95, 90, 85};
  EXPECT_EQ(success_rate_outliers(rates, 1.9), std::vector<std::size_t>{});
  // Mean ~94.1, stdev ~13.9 → threshold ~67.6.
  const std::vector<double> worse = {100, 100, 100, 99, 60, 100, 100};
  EXPECT_EQ(success_rate_outliers(worse, 1.9), std::vector<std::size_t>{4});
}

TEST(OutlierStatistics, SuccessRateEqualRatesNeverFlag) {
  const std::vector<double> rates = {50, 50, 50, 50, 50};
  EXPECT_TRUE(success_rate_outliers(rates, 1.9).empty());
  EXPECT_TRUE(success_rate_outliers({}, 1.9).empty());
}

TEST(OutlierStatistics, SuccessRateOrdersWorstFirst) {
  const std::vector<double> rates = {100, 70, 100, 100, 100, 100, 100, 100, 100, 100, 10};
  // Mean ~89.1, stdev ~26.4 → threshold ~75.9 at factor 0.5.
  EXPECT_EQ(success_rate_outliers(rates, 0.5), (std::vector<std::size_t>{10, 1}));
}

TEST(OutlierStatistics, LatencyFlagsHostFarAboveMedianOfOthers) {
  // Median of the others is 10 for the slow host: 50 > 3 × 10 and 50 − 10 ≥ 5.
  const std::vector<double> means = {10, 11, 9, 50, 10};
  EXPECT_EQ(latency_outliers(means, 3.0, 5.0), std::vector<std::size_t>{3});
  // The absolute excess guards small numbers.
  EXPECT_TRUE(latency_outliers(means, 3.0, 100.0).empty());
  // Not far enough above.
  const std::vector<double> close = {10, 11, 9, 25, 10};
  EXPECT_TRUE(latency_outliers(close, 3.0, 1.0).empty());
}

TEST(OutlierStatistics, LatencyMedianExcludesTheHostItself) {
  // When most hosts are slow, slow is the norm: a slow host's others are
  // {10, 10, 100, 100} (median 55), a fast one's {10, 100, 100, 100}.
  const std::vector<double> means = {10, 10, 100, 100, 100};
  EXPECT_TRUE(latency_outliers(means, 3.0, 1.0).empty());
  // One slow among three: others {10, 12} → median 11.
  const std::vector<double> one = {10, 12, 40};
  EXPECT_EQ(latency_outliers(one, 3.0, 1.0), std::vector<std::size_t>{2});
}

TEST(OutlierStatistics, LatencyOrdersSlowestFirstAndNeedsTwoHosts) {
  const std::vector<double> means = {10, 10, 10, 10, 10, 10, 80, 10, 10, 200};
  EXPECT_EQ(latency_outliers(means, 3.0, 1.0), (std::vector<std::size_t>{9, 6}));
  EXPECT_TRUE(latency_outliers(std::vector<double>{1000}, 3.0, 1.0).empty());
}

}  // namespace
}  // namespace ferry::filters
