#include "filters/circuit_breakers.h"

#include <optional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace ferry::filters {
namespace {

using Resource = CircuitBreakers::Resource;

TEST(CircuitBreakers, DefaultsMatchDesign) {
  CircuitBreakers breakers(CircuitBreakerOptions{}, std::nullopt);
  EXPECT_EQ(breakers.limit(Resource::Connections), 1024u);
  EXPECT_EQ(breakers.limit(Resource::PendingRequests), 1024u);
  EXPECT_EQ(breakers.limit(Resource::Requests), 1024u);
  EXPECT_FALSE(breakers.retries().has_budget());
  EXPECT_EQ(breakers.retries().limit(1000), 3u);
}

TEST(CircuitBreakers, EachResourceHasItsOwnLimitAndOverflowCount) {
  CircuitBreakers breakers(
      CircuitBreakerOptions{.max_connections = 2, .max_pending_requests = 1, .max_requests = 3},
      std::nullopt);
  std::vector<ResourceSlot> held;
  for (int i = 0; i < 2; ++i) {
    held.push_back(breakers.try_acquire(Resource::Connections));
  }
  held.push_back(breakers.try_acquire(Resource::PendingRequests));
  for (const auto& slot : held) {
    EXPECT_TRUE(slot);
  }
  EXPECT_FALSE(breakers.try_acquire(Resource::Connections));
  EXPECT_FALSE(breakers.try_acquire(Resource::PendingRequests));
  EXPECT_FALSE(breakers.try_acquire(Resource::PendingRequests));
  EXPECT_EQ(breakers.overflow_total(Resource::Connections), 1u);
  EXPECT_EQ(breakers.overflow_total(Resource::PendingRequests), 2u);
  EXPECT_EQ(breakers.overflow_total(Resource::Requests), 0u);
  EXPECT_TRUE(breakers.try_acquire(Resource::Requests));
  EXPECT_EQ(breakers.active(Resource::Connections), 2u);
  EXPECT_EQ(breakers.active(Resource::Requests), 0u);  // the temporary gave it back
}

TEST(CircuitBreakers, SlotsReleaseOnDestructionMoveAndEarlyRelease) {
  CircuitBreakers breakers(CircuitBreakerOptions{.max_pending_requests = 1}, std::nullopt);
  {
    ResourceSlot a = breakers.try_acquire(Resource::PendingRequests);
    ASSERT_TRUE(a);
    ResourceSlot b = std::move(a);
    EXPECT_FALSE(a);  // NOLINT(bugprone-use-after-move): checking the moved-from state
    EXPECT_TRUE(b);
    EXPECT_EQ(breakers.active(Resource::PendingRequests), 1u);
    ResourceSlot c;
    c = std::move(b);
    EXPECT_EQ(breakers.active(Resource::PendingRequests), 1u);
    c.release();  // a pending request got its connection
    c.release();  // idempotent
    EXPECT_EQ(breakers.active(Resource::PendingRequests), 0u);
    ResourceSlot d = breakers.try_acquire(Resource::PendingRequests);
    ASSERT_TRUE(d);
    // Move-assigning over a live slot gives the old one back first.
    d = ResourceSlot();
    EXPECT_EQ(breakers.active(Resource::PendingRequests), 0u);
    ResourceSlot e = breakers.try_acquire(Resource::PendingRequests);
    EXPECT_TRUE(e);
  }
  EXPECT_EQ(breakers.active(Resource::PendingRequests), 0u);
}

TEST(CircuitBreakers, BudgetReplacesMaxRetriesAndFollowsActiveRequests) {
  CircuitBreakers breakers(CircuitBreakerOptions{.max_retries = 1},
                           RetryBudgetOptions{.budget_percent = 50, .min_retry_concurrency = 1});
  EXPECT_TRUE(breakers.retries().has_budget());
  std::vector<ResourceSlot> requests;
  for (int i = 0; i < 6; ++i) {
    requests.push_back(breakers.try_acquire(Resource::Requests));
  }
  // 50% of 6 active requests: 3 concurrent retries, not max_retries' 1.
  std::vector<ResourceSlot> retries;
  for (int i = 0; i < 3; ++i) {
    retries.push_back(breakers.try_acquire_retry());
    EXPECT_TRUE(retries.back());
  }
  EXPECT_FALSE(breakers.try_acquire_retry());
  EXPECT_EQ(breakers.retries().overflow_total(), 1u);
}

TEST(CircuitBreakers, MaxRetriesCapsWithoutBudget) {
  CircuitBreakers breakers(CircuitBreakerOptions{.max_retries = 2}, std::nullopt);
  auto a = breakers.try_acquire_retry();
  auto b = breakers.try_acquire_retry();
  EXPECT_TRUE(a && b);
  EXPECT_FALSE(breakers.try_acquire_retry());
}

// LD-06's invariant across threads: whatever the interleaving, live slots
// never exceed a limit, each refusal is counted once, and every slot comes
// back (no leak) when the threads are done.
TEST(CircuitBreakers, LimitsHoldAcrossThreadsAndNothingLeaks) {
  constexpr std::uint32_t kLimit = 4;
  CircuitBreakers breakers(
      CircuitBreakerOptions{
          .max_connections = kLimit, .max_pending_requests = kLimit, .max_requests = kLimit},
      std::nullopt);
  constexpr int kThreads = 8;
  constexpr int kIterations = 20'000;
  std::atomic<std::uint32_t> held{0};
  std::atomic<std::uint32_t> peak{0};
  std::atomic<std::uint64_t> refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<ResourceSlot> mine;
      for (int i = 0; i < kIterations; ++i) {
        ResourceSlot slot = breakers.try_acquire(Resource::Requests);
        if (!slot) {
          refused.fetch_add(1);
        } else {
          const std::uint32_t now = held.fetch_add(1) + 1;
          std::uint32_t seen = peak.load();
          while (now > seen && !peak.compare_exchange_weak(seen, now)) {
          }
          // Keep them for a while: every thread alone would go over the
          // limit, so the threads contend at it and refusals are certain.
          mine.push_back(std::move(slot));
        }
        if (mine.size() > kLimit || (i % (5 + t) == 0 && !mine.empty())) {
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
  EXPECT_LE(peak.load(), kLimit);
  EXPECT_EQ(breakers.overflow_total(Resource::Requests), refused.load());
  EXPECT_GT(refused.load(), 0u);
  EXPECT_EQ(breakers.active(Resource::Requests), 0u);
}

}  // namespace
}  // namespace ferry::filters
