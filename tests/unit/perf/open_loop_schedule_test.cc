#include "perf/load/open_loop_schedule.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace ferry::perf {
namespace {

constexpr std::uint64_t kStart = 5'000'000'000;  // any monotonic origin
constexpr std::uint64_t kSecond = 1'000'000'000;

TEST(OpenLoopSchedule, ConnectionsInterleaveIntoOneEvenStream) {
  const OpenLoopSchedule schedule(1000.0, 4, kStart);
  std::vector<std::uint64_t> all;
  for (std::uint32_t c = 0; c < 4; ++c) {
    for (std::uint64_t n = 0; n < 250; ++n) {
      all.push_back(schedule.intended_ns(c, n));
    }
  }
  std::sort(all.begin(), all.end());
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i], kStart + i * 1'000'000) << i;  // exactly every millisecond
  }
  // Connection 2's requests are 4 ms apart, offset by 2 ms.
  EXPECT_EQ(schedule.intended_ns(2, 0), kStart + 2'000'000);
  EXPECT_EQ(schedule.intended_ns(2, 3), kStart + 14'000'000);
}

TEST(OpenLoopSchedule, FractionalRatesDoNotDrift) {
  const OpenLoopSchedule schedule(3.0, 1, kStart);  // 333.33… ms apart
  EXPECT_EQ(schedule.intended_ns(0, 3), kStart + kSecond);
  EXPECT_EQ(schedule.intended_ns(0, 3'000'000), kStart + 1'000'000 * kSecond);
}

TEST(OpenLoopSchedule, CountsWhatAWindowHolds) {
  const OpenLoopSchedule schedule(12'345.0, 64, kStart);
  const std::uint64_t from = kStart + kSecond;
  const std::uint64_t to = from + 2 * kSecond;
  std::uint64_t total = 0;
  for (std::uint32_t c = 0; c < 64; ++c) {
    total += schedule.count_between(c, from, to);
  }
  // 2 s at 12 345/s, give or take the one request straddling each edge.
  EXPECT_NEAR(static_cast<double>(total), 24'690.0, 1.0);
  EXPECT_EQ(schedule.count_between(0, to, from), 0u);
}

TEST(OpenLoopSchedule, FirstAtOrAfterIsTheExactBoundary) {
  const OpenLoopSchedule schedule(977.0, 7, kStart);
  for (std::uint32_t c = 0; c < 7; ++c) {
    for (std::uint64_t t : {kStart, kStart + 1, kStart + 123'456'789, kStart + 10 * kSecond + 3}) {
      const std::uint64_t n = schedule.first_at_or_after(c, t);
      EXPECT_GE(schedule.intended_ns(c, n), t);
      if (n > 0) {
        EXPECT_LT(schedule.intended_ns(c, n - 1), t);
      }
    }
  }
  EXPECT_EQ(schedule.first_at_or_after(3, 0), 0u);  // before the start
}

}  // namespace
}  // namespace ferry::perf
