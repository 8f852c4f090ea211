#include "proxy/host_registry.h"

#include <gtest/gtest.h>

#include "proxy/cluster.h"

namespace ferry::proxy {
namespace {

core::SocketAddress addr(const char* text) {
  return *core::SocketAddress::parse(text);
}

TEST(HostRegistry, SameAddressIsTheSameHostWhileAnySnapshotHoldsIt) {
  HostRegistry registry;
  auto a = registry.get_or_create(addr("10.0.0.1:80"), "");
  a->stats.requests_total = 42;
  a->state.ejected = true;
  // A new snapshot lists the same address: same object, same counters and state.
  auto again = registry.get_or_create(addr("10.0.0.1:80"), "");
  EXPECT_EQ(a.get(), again.get());
  EXPECT_EQ(again->stats.requests_total.load(), 42u);
  EXPECT_TRUE(again->state.ejected.load());
  EXPECT_NE(registry.get_or_create(addr("10.0.0.1:81"), "").get(), a.get());
}

TEST(HostRegistry, ForgottenOnceNoSnapshotListsIt) {
  HostRegistry registry;
  {
    auto a = registry.get_or_create(addr("10.0.0.1:80"), "");
    a->stats.requests_total = 7;
    EXPECT_EQ(registry.live(), 1u);
  }
  EXPECT_EQ(registry.live(), 0u);
  EXPECT_EQ(registry.get_or_create(addr("10.0.0.1:80"), "")->stats.requests_total.load(), 0u);
}

class ClusterPick : public ::testing::Test {
 protected:
  ClusterPick() : metrics_(stats_) {}
  std::shared_ptr<Cluster> make(std::vector<std::shared_ptr<filters::Host>> hosts) {
    return std::make_shared<Cluster>("c", UpstreamOptions{}, std::move(hosts),
                                     std::make_shared<ClusterStats>(metrics_, "c"), 2);
  }
  core::StatsRegistry stats_{3};
  ProxyMetrics metrics_;
  HostRegistry registry_;
};

TEST_F(ClusterPick, RoundRobinVisitsEveryHostInTurn) {
  auto a = registry_.get_or_create(addr("10.0.0.1:80"), "");
  auto b = registry_.get_or_create(addr("10.0.0.2:80"), "");
  auto c = registry_.get_or_create(addr("10.0.0.3:80"), "");
  auto cluster = make({a, b, c});
  std::map<filters::Host*, int> seen;
  for (int i = 0; i < 30; ++i) {
    ++seen[cluster->pick(0, nullptr)];
  }
  EXPECT_EQ(seen[a.get()], 10);
  EXPECT_EQ(seen[b.get()], 10);
  EXPECT_EQ(seen[c.get()], 10);
}

TEST_F(ClusterPick, SkipsUnhealthyAndEjectedAndHonoursExclude) {
  auto a = registry_.get_or_create(addr("10.0.0.1:80"), "");
  auto b = registry_.get_or_create(addr("10.0.0.2:80"), "");
  auto c = registry_.get_or_create(addr("10.0.0.3:80"), "");
  b->state.active_health = filters::HealthStatus::Unhealthy;
  c->state.ejected = true;
  auto cluster = make({a, b, c});
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(cluster->pick(1, nullptr), a.get());
  }
  // The only routable host is returned even when excluded (failover to the same).
  EXPECT_EQ(cluster->pick(1, a.get()), a.get());
  b->state.active_health = filters::HealthStatus::Healthy;
  EXPECT_EQ(cluster->pick(1, a.get()), b.get());
}

TEST_F(ClusterPick, EverythingDownStillRoutesAndEmptyClusterReturnsNull) {
  auto a = registry_.get_or_create(addr("10.0.0.1:80"), "");
  a->state.ejected = true;
  EXPECT_EQ(make({a})->pick(0, nullptr), a.get());
  EXPECT_EQ(make({})->pick(0, nullptr), nullptr);
}

}  // namespace
}  // namespace ferry::proxy
