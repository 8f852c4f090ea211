#include "filters/retry_budget.h"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace ferry::filters {
namespace {

TEST(RetryBudget, LimitIsPercentOfActiveWithAFloor) {
  RetryBudget budget(RetryBudgetOptions{});  // 20%, min 3
  EXPECT_TRUE(budget.has_budget());
  EXPECT_EQ(budget.limit(0), 3u);
  EXPECT_EQ(budget.limit(10), 3u);
  EXPECT_EQ(budget.limit(19), 3u);
  EXPECT_EQ(budget.limit(20), 4u);
  EXPECT_EQ(budget.limit(500), 100u);
  RetryBudget fractional(RetryBudgetOptions{.budget_percent = 12.5, .min_retry_concurrency = 0});
  EXPECT_EQ(fractional.limit(8), 1u);
  EXPECT_EQ(fractional.limit(1000), 125u);
}

TEST(RetryBudget, OverflowIsCountedAndSlotsComeBack) {
  RetryBudget budget(RetryBudgetOptions{.budget_percent = 20, .min_retry_concurrency = 3});
  std::vector<ResourceSlot> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(budget.try_acquire(10));
    ASSERT_TRUE(held.back());
  }
  EXPECT_FALSE(budget.try_acquire(10));
  EXPECT_FALSE(budget.try_acquire(10));
  EXPECT_EQ(budget.overflow_total(), 2u);
  EXPECT_EQ(budget.active(), 3u);
  // More load raises the budget: 20% of 20 is 4.
  held.push_back(budget.try_acquire(20));
  EXPECT_TRUE(held.back());
  held.clear();
  EXPECT_EQ(budget.active(), 0u);
  EXPECT_TRUE(budget.try_acquire(0));
}

TEST(RetryBudget, FixedModeIgnoresLoad) {
  RetryBudget fixed = RetryBudget::fixed(3);
  EXPECT_FALSE(fixed.has_budget());
  EXPECT_EQ(fixed.limit(0), 3u);
  EXPECT_EQ(fixed.limit(100000), 3u);
  auto a = fixed.try_acquire(1000);
  auto b = fixed.try_acquire(1000);
  auto c = fixed.try_acquire(1000);
  EXPECT_FALSE(fixed.try_acquire(1000));
  EXPECT_EQ(fixed.overflow_total(), 1u);
}

// FT-11's invariant across threads: concurrent retries never exceed the
// budget, every overflow is counted, and all slots come back.
TEST(RetryBudget, LimitHoldsAcrossThreads) {
  RetryBudget budget(RetryBudgetOptions{.budget_percent = 20, .min_retry_concurrency = 3});
  constexpr int kThreads = 8;
  constexpr int kIterations = 20'000;
  constexpr std::uint64_t kActiveRequests = 50;  // limit 10
  const std::uint32_t limit = budget.limit(kActiveRequests);
  std::atomic<std::uint32_t> held{0};
  std::atomic<std::uint32_t> peak{0};
  std::atomic<std::uint64_t> granted{0};
  std::atomic<std::uint64_t> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Each thread keeps its retries a while; alone it would go over the
      // budget, so the threads meet at the limit and refusals are certain.
      std::vector<ResourceSlot> mine;
      for (int i = 0; i < kIterations; ++i) {
        ResourceSlot slot = budget.try_acquire(kActiveRequests);
        if (!slot) {
          refused.fetch_add(1);
        } else {
          granted.fetch_add(1);
          const std::uint32_t now = held.fetch_add(1) + 1;
          std::uint32_t seen = peak.load();
          while (now > seen && !peak.compare_exchange_weak(seen, now)) {
          }
          mine.push_back(std::move(slot));
        }
        if (i % (3 + t) == 0 && !mine.empty()) {
          held.fetch_sub(1);
          mine.erase(mine.begin());
        }
      }
      held.fetch_sub(static_cast<std::uint32_t>(mine.size()));
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_LE(peak.load(), limit);
  EXPECT_GT(refused.load(), 0u);
  EXPECT_EQ(granted.load() + refused.load(), std::uint64_t{kThreads} * kIterations);
  EXPECT_EQ(budget.overflow_total(), refused.load());
  EXPECT_EQ(budget.active(), 0u);
}

}  // namespace
}  // namespace ferry::filters
