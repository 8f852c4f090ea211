#include "filters/prng.h"

#include <array>
#include <limits>
#include <set>

#include <gtest/gtest.h>

namespace ferry::filters {
namespace {

TEST(Prng, SameSeedSameSequenceOtherSeedOtherSequence) {
  Prng a(42);
  Prng b(42);
  Prng c(43);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    const auto x = a.next();
    EXPECT_EQ(x, b.next());
    differs = differs || x != c.next();
  }
  EXPECT_TRUE(differs);
}

TEST(Prng, ZeroSeedIsUsable) {
  Prng p(0);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 100; ++i) {
    seen.insert(p.next());
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(Prng, UniformStaysInBoundsAndCoversThem) {
  Prng p(7);
  EXPECT_EQ(p.uniform(0), 0u);
  EXPECT_EQ(p.uniform(1), 0u);
  std::array<int, 10> counts{};
  constexpr int kDraws = 100'000;
  for (int i = 0; i < kDraws; ++i) {
    const auto v = p.uniform(10);
    ASSERT_LT(v, 10u);
    ++counts[v];
  }
  for (int c : counts) {
    // Expected 10'000 each; 5 sigma is ~475.
    EXPECT_NEAR(c, kDraws / 10, 500);
  }
}

TEST(Prng, UniformUnitIsInHalfOpenRange) {
  Prng p(9);
  double sum = 0;
  for (int i = 0; i < 10'000; ++i) {
    const double u = p.uniform_unit();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
  }
  EXPECT_NEAR(sum / 10'000, 0.5, 0.02);
}

TEST(Prng, PercentToPpmIsExactAndClamped) {
  EXPECT_EQ(percent_to_ppm(0), 0u);
  EXPECT_EQ(percent_to_ppm(-5), 0u);
  EXPECT_EQ(percent_to_ppm(0.1), 1'000u);
  EXPECT_EQ(percent_to_ppm(12.5), 125'000u);
  EXPECT_EQ(percent_to_ppm(100), 1'000'000u);
  EXPECT_EQ(percent_to_ppm(250), 1'000'000u);
  EXPECT_EQ(percent_to_ppm(std::numeric_limits<double>::quiet_NaN()), 0u);
}

TEST(Prng, ChancePpmExtremes) {
  Prng p(3);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_FALSE(p.chance_ppm(0));
    EXPECT_TRUE(p.chance_ppm(1'000'000));
  }
}

}  // namespace
}  // namespace ferry::filters
