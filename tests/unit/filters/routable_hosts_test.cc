#include "filters/routable_hosts.h"

#include <gtest/gtest.h>

#include "filters/host.h"
#include "tests/unit/filters/test_hosts.h"

namespace ferry::filters {
namespace {

using testing::make_hosts;

TEST(RoutableHosts, UsableHostsAreThoseNotEjectedNorUnhealthy) {
  const auto hosts = make_hosts(10);
  hosts[0]->state.ejected = true;
  hosts[1]->state.active_health = HealthStatus::Unhealthy;
  hosts[2]->state.registry_health = HealthStatus::Unhealthy;
  hosts[3]->state.registry_health = HealthStatus::Healthy;
  // The active check overrides the registry.
  hosts[4]->state.registry_health = HealthStatus::Unhealthy;
  hosts[4]->state.active_health = HealthStatus::Healthy;
  const RoutableHosts set = select_routable_hosts(hosts, 50);
  EXPECT_FALSE(set.panic);
  ASSERT_EQ(set.hosts.size(), 7u);
  for (const auto& h : set.hosts) {
    EXPECT_NE(h, hosts[0]);
    EXPECT_NE(h, hosts[1]);
    EXPECT_NE(h, hosts[2]);
  }
  EXPECT_EQ(set.ejected, 1u);
  EXPECT_EQ(set.unhealthy, 2u);
  EXPECT_EQ(set.healthy, 2u);
  EXPECT_EQ(set.unknown, 5u);
}

TEST(RoutableHosts, PanicBelowThresholdRoutesOverEveryHost) {
  const auto hosts = make_hosts(10);
  for (int i = 0; i < 6; ++i) {
    hosts[static_cast<std::size_t>(i)]->state.active_health = HealthStatus::Unhealthy;
  }
  // 4 of 10 usable: 40% < 50%.
  const RoutableHosts set = select_routable_hosts(hosts, 50);
  EXPECT_TRUE(set.panic);
  EXPECT_EQ(set.hosts, hosts);
  // At exactly the threshold there is no panic: 5 of 10 is not below 50%.
  hosts[5]->state.active_health = HealthStatus::Healthy;
  const RoutableHosts at = select_routable_hosts(hosts, 50);
  EXPECT_FALSE(at.panic);
  EXPECT_EQ(at.hosts.size(), 5u);
}

TEST(RoutableHosts, EjectionsCountTowardPanic) {
  // FT-12: every host failing; whatever the detector did, traffic spreads
  // over all of them.
  const auto hosts = make_hosts(5);
  for (const auto& h : hosts) {
    h->state.ejected = true;
  }
  const RoutableHosts set = select_routable_hosts(hosts, 50);
  EXPECT_TRUE(set.panic);
  EXPECT_EQ(set.hosts.size(), 5u);
  EXPECT_EQ(set.ejected, 5u);
}

TEST(RoutableHosts, ZeroThresholdDisablesPanicButNeverEmpties) {
  const auto hosts = make_hosts(4);
  for (int i = 0; i < 3; ++i) {
    hosts[static_cast<std::size_t>(i)]->state.active_health = HealthStatus::Unhealthy;
  }
  const RoutableHosts few = select_routable_hosts(hosts, 0);
  EXPECT_FALSE(few.panic);
  ASSERT_EQ(few.hosts.size(), 1u);
  EXPECT_EQ(few.hosts[0], hosts[3]);

  hosts[3]->state.ejected = true;
  const RoutableHosts none = select_routable_hosts(hosts, 0);
  EXPECT_TRUE(none.panic);
  EXPECT_EQ(none.hosts.size(), 4u);
}

TEST(RoutableHosts, HundredPercentThresholdPanicsOnAnyLoss) {
  const auto hosts = make_hosts(4);
  EXPECT_FALSE(select_routable_hosts(hosts, 100).panic);
  hosts[0]->state.ejected = true;
  EXPECT_TRUE(select_routable_hosts(hosts, 100).panic);
}

TEST(RoutableHosts, EmptyOnlyWhenThereAreNoHosts) {
  const RoutableHosts set = select_routable_hosts({}, 50);
  EXPECT_TRUE(set.hosts.empty());
  EXPECT_FALSE(set.panic);
  const auto one = make_hosts(1);
  one[0]->state.active_health = HealthStatus::Unhealthy;
  EXPECT_EQ(select_routable_hosts(one, 50).hosts.size(), 1u);
}

}  // namespace
}  // namespace ferry::filters
