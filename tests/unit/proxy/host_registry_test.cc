#include "proxy/host_registry.h"

#include <map>

#include <gtest/gtest.h>

#include "proxy/cluster.h"

namespace ferry::proxy {
namespace {

core::SocketAddress addr(const char* text) {
  return *core::SocketAddress::parse(text);
}

TEST(HostRegistry, SameAddressIsTheSameHostWhileAnySnapshotHoldsIt) {
  HostRegistry registry;
  auto a = registry.get_or_create("c", addr("10.0.0.1:80"), "");
  a->stats.requests_total = 42;
  a->state.ejected = true;
  // A new snapshot lists the same address: same object, same counters and state.
  auto again = registry.get_or_create("c", addr("10.0.0.1:80"), "");
  EXPECT_EQ(a.get(), again.get());
  EXPECT_EQ(again->stats.requests_total.load(), 42u);
  EXPECT_TRUE(again->state.ejected.load());
  EXPECT_NE(registry.get_or_create("c", addr("10.0.0.1:81"), "").get(), a.get());
}

TEST(HostRegistry, EachClusterHasItsOwnHostForAnAddress) {
  HostRegistry registry;
  auto in_a = registry.get_or_create("a", addr("10.0.0.1:80"), "");
  auto in_b = registry.get_or_create("b", addr("10.0.0.1:80"), "");
  EXPECT_NE(in_a.get(), in_b.get());
  in_a->state.ejected = true;  // an ejection by one cluster is not the other's
  EXPECT_FALSE(in_b->state.ejected.load());
}

TEST(HostRegistry, ForgottenOnceNoSnapshotListsIt) {
  HostRegistry registry;
  {
    auto a = registry.get_or_create("c", addr("10.0.0.1:80"), "");
    a->stats.requests_total = 7;
    EXPECT_EQ(registry.live(), 1u);
  }
  EXPECT_EQ(registry.live(), 0u);
  EXPECT_EQ(registry.get_or_create("c", addr("10.0.0.1:80"), "")->stats.requests_total.load(), 0u);
}

class ClusterPick : public ::testing::Test {
 protected:
  ClusterPick() : metrics_(stats_) {}
  std::shared_ptr<Cluster> make(std::vector<std::shared_ptr<filters::Host>> hosts,
                                double panic_threshold = 50) {
    auto config = std::make_shared<core::ClusterConfig>();
    config->name = "c";
    config->healthy_panic_threshold = panic_threshold;
    auto shared = std::make_shared<ClusterShared>(config, metrics_);
    return std::make_shared<Cluster>(shared, std::move(hosts), 2, 1);
  }
  std::shared_ptr<filters::Host> host(const char* address) {
    return registry_.get_or_create("c", addr(address), "");
  }
  core::StatsRegistry stats_{3};
  ProxyMetrics metrics_;
  HostRegistry registry_;
};

TEST_F(ClusterPick, RoundRobinVisitsEveryHostInTurn) {
  auto a = host("10.0.0.1:80");
  auto b = host("10.0.0.2:80");
  auto c = host("10.0.0.3:80");
  auto cluster = make({a, b, c});
  std::map<filters::Host*, int> seen;
  for (int i = 0; i < 30; ++i) {
    ++seen[cluster->pick(0, nullptr)];
  }
  EXPECT_EQ(seen[a.get()], 10);
  EXPECT_EQ(seen[b.get()], 10);
  EXPECT_EQ(seen[c.get()], 10);
}

TEST_F(ClusterPick, RoutesAroundUnhealthyAndEjectedHostsAndHonoursExclude) {
  auto a = host("10.0.0.1:80");
  auto b = host("10.0.0.2:80");
  auto c = host("10.0.0.3:80");
  auto d = host("10.0.0.4:80");
  c->state.active_health = filters::HealthStatus::Unhealthy;
  d->state.ejected = true;
  // 2 of 4 usable: not below the 50% panic threshold.
  auto cluster = make({a, b, c, d});
  EXPECT_FALSE(cluster->routable().panic);
  EXPECT_EQ(cluster->routable().ejected, 1u);
  EXPECT_EQ(cluster->routable().unhealthy, 1u);
  for (int i = 0; i < 8; ++i) {
    filters::Host* picked = cluster->pick(1, nullptr);
    EXPECT_TRUE(picked == a.get() || picked == b.get());
  }
  // A retry excludes the host that failed while another exists.
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(cluster->pick(1, a.get()), b.get());
  }
}

TEST_F(ClusterPick, PanicRoutesOverEveryHostAndEmptyClusterPicksNothing) {
  auto a = host("10.0.0.1:80");
  auto b = host("10.0.0.2:80");
  a->state.ejected = true;
  b->state.active_health = filters::HealthStatus::Unhealthy;
  auto cluster = make({a, b});
  EXPECT_TRUE(cluster->routable().panic);
  EXPECT_NE(cluster->pick(0, nullptr), nullptr);
  EXPECT_EQ(make({})->pick(0, nullptr), nullptr);
}

}  // namespace
}  // namespace ferry::proxy
