#include "proxy/core/stats.h"

#include <thread>

#include <gtest/gtest.h>

namespace ferry::core {
namespace {

TEST(Stats, CounterSumsEveryShard) {
  StatsRegistry registry(3);
  auto family = registry.counter_family("ferry_test_total", "test", {"listener"});
  Counter c = registry.counter(family, {"web"});
  c.inc();
  std::thread([&] {
    set_stats_shard(1);
    c.inc(10);
  }).join();
  std::thread([&] {
    set_stats_shard(2);
    c.inc(100);
  }).join();
  EXPECT_EQ(c.value(), 111u);
}

TEST(Stats, SameLabelsShareTheLiveSeries) {
  StatsRegistry registry(1);
  auto family = registry.counter_family("ferry_test_total", "test", {"cluster"});
  Counter a = registry.counter(family, {"x"});
  a.inc(5);
  Counter b = registry.counter(family, {"x"});
  EXPECT_EQ(b.value(), 5u);
  Counter other = registry.counter(family, {"y"});
  EXPECT_EQ(other.value(), 0u);
}

TEST(Stats, ReleasedSeriesDisappearAndRestartAtZero) {
  StatsRegistry registry(2);
  auto family = registry.counter_family("ferry_test_total", "test", {"cluster"});
  {
    Counter a = registry.counter(family, {"gone"});
    a.inc(7);
    EXPECT_NE(registry.serialize().find("gone"), std::string::npos);
  }
  EXPECT_EQ(registry.serialize().find("gone"), std::string::npos);
  Counter again = registry.counter(family, {"gone"});
  EXPECT_EQ(again.value(), 0u);
}

TEST(Stats, GaugeNetsAcrossShards) {
  StatsRegistry registry(2);
  auto family = registry.gauge_family("ferry_test_active", "test");
  Gauge g = registry.gauge(family, {});
  g.inc();
  std::thread([&] {
    set_stats_shard(1);
    g.dec();
  }).join();
  EXPECT_EQ(g.value(), 0);
  g.set(42);
  EXPECT_EQ(g.value(), 42);
}

TEST(Stats, HistogramBucketsAreCumulativeInTheExposition) {
  StatsRegistry registry(1);
  HistogramBounds bounds{1'000'000, 10'000'000};  // 1 ms, 10 ms
  auto family =
      registry.histogram_family("ferry_test_duration_seconds", "test", {"cluster"}, bounds, 1e-9);
  Histogram h = registry.histogram(family, {"c"});
  h.observe(500'000);
  h.observe(1'000'000);
  h.observe(5'000'000);
  h.observe(50'000'000);
  auto snap = h.snapshot();
  EXPECT_EQ(snap.count, 4u);
  EXPECT_EQ(snap.buckets, (std::vector<std::uint64_t>{2, 1, 1}));
  EXPECT_EQ(snap.sum, 56'500'000u);
  const std::string text = registry.serialize();
  EXPECT_NE(text.find("ferry_test_duration_seconds_bucket{cluster=\"c\",le=\"0.001\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("ferry_test_duration_seconds_bucket{cluster=\"c\",le=\"+Inf\"} 4"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("ferry_test_duration_seconds_count{cluster=\"c\"} 4"), std::string::npos);
}

TEST(Stats, LabelValuesAreEscaped) {
  StatsRegistry registry(1);
  auto family = registry.counter_family("ferry_test_total", "test", {"service"});
  Counter c = registry.counter(family, {"a\"b\\c\nd"});
  c.inc();
  EXPECT_NE(registry.serialize().find(R"(service="a\"b\\c\nd")"), std::string::npos);
}

TEST(Stats, CallbackGaugeIsReadAtScrape) {
  StatsRegistry registry(1);
  auto family = registry.gauge_family("ferry_test_age_seconds", "test");
  double age = 1.5;
  registry.callback_gauge(family, {}, [&] { return age; });
  EXPECT_NE(registry.serialize().find("ferry_test_age_seconds 1.5"), std::string::npos);
  age = 3;
  EXPECT_NE(registry.serialize().find("ferry_test_age_seconds 3"), std::string::npos);
}

TEST(Stats, RedeclaringDifferentlyIsAProgrammingError) {
  StatsRegistry registry(1);
  registry.counter_family("ferry_test_total", "test", {"a"});
  EXPECT_THROW(registry.counter_family("ferry_test_total", "test", {"b"}), std::logic_error);
  EXPECT_THROW(registry.gauge_family("ferry_test_total", "test", {"a"}), std::logic_error);
}

}  // namespace
}  // namespace ferry::core
