#include "discovery/backoff.h"

#include <set>

#include <gtest/gtest.h>

namespace ferry::discovery {
namespace {

using std::chrono::milliseconds;

core::Backoff config(int base_ms, int max_ms) {
  return {milliseconds(base_ms), milliseconds(max_ms)};
}

TEST(BackoffTest, DelaysDoubleWithinEqualJitterUpToTheCap) {
  Backoff backoff(config(100, 1000), 42);
  const int ceilings[] = {100, 200, 400, 800, 1000, 1000, 1000};
  for (int ceiling : ceilings) {
    const core::Duration d = backoff.next();
    EXPECT_GE(d, milliseconds(ceiling / 2)) << ceiling;
    EXPECT_LE(d, milliseconds(ceiling)) << ceiling;
  }
  EXPECT_EQ(backoff.failures(), 7u);
}

TEST(BackoffTest, ResetStartsAgainFromTheBase) {
  Backoff backoff(config(100, 1000), 1);
  for (int i = 0; i < 5; ++i) {
    backoff.next();
  }
  backoff.reset();
  EXPECT_EQ(backoff.ceiling(), milliseconds(100));
  EXPECT_LE(backoff.next(), milliseconds(100));
}

TEST(BackoffTest, ManyFailuresNeverOverflow) {
  Backoff backoff(config(250, 30'000), 3);
  for (int i = 0; i < 10'000; ++i) {
    const core::Duration d = backoff.next();
    ASSERT_LE(d, milliseconds(30'000));
    ASSERT_GE(d, milliseconds(125));
  }
}

TEST(BackoffTest, SidecarsWithDifferentSeedsDoNotRetryInLockStep) {
  // 200 sidecars lose the control plane at the same moment: their fifth
  // retry is spread over the whole jitter window, not stacked on one instant.
  std::set<core::Duration::rep> fifth;
  core::Duration low = core::Duration::max();
  core::Duration high = core::Duration::zero();
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    Backoff backoff(config(250, 30'000), seed * 7919);
    core::Duration d{};
    for (int i = 0; i < 5; ++i) {
      d = backoff.next();
    }
    fifth.insert(d.count());
    low = std::min(low, d);
    high = std::max(high, d);
  }
  EXPECT_GT(fifth.size(), 195u);
  // The window for the fifth attempt is [2s, 4s]; the draws cover most of it.
  EXPECT_LT(low, milliseconds(2200));
  EXPECT_GT(high, milliseconds(3800));
}

TEST(BackoffTest, ZeroOrInvertedConfigIsClampedToSomethingSane) {
  Backoff backoff(config(0, 0), 5);
  EXPECT_GE(backoff.next(), core::Duration::zero());
  Backoff inverted(config(500, 100), 5);
  EXPECT_LE(inverted.next(), milliseconds(500));
}

TEST(FailoverPacerTest, FailsOverAtOnceThenBacksOffPerRound) {
  FailoverPacer pacer(config(100, 1000), 9, 3);
  EXPECT_EQ(pacer.on_failure(), core::Duration::zero());
  EXPECT_EQ(pacer.on_failure(), core::Duration::zero());
  const core::Duration first_round = pacer.on_failure();
  EXPECT_GE(first_round, milliseconds(50));
  EXPECT_EQ(pacer.on_failure(), core::Duration::zero());
  EXPECT_EQ(pacer.on_failure(), core::Duration::zero());
  const core::Duration second_round = pacer.on_failure();
  EXPECT_GE(second_round, milliseconds(100));
  pacer.on_success();
  EXPECT_EQ(pacer.on_failure(), core::Duration::zero());
}

TEST(FailoverPacerTest, OneReplicaAlwaysBacksOff) {
  FailoverPacer pacer(config(100, 1000), 9, 1);
  EXPECT_GT(pacer.on_failure(), core::Duration::zero());
  EXPECT_GT(pacer.on_failure(), core::Duration::zero());
}

}  // namespace
}  // namespace ferry::discovery
