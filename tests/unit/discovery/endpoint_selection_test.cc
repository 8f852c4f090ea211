#include "discovery/endpoint_selection.h"

#include <gtest/gtest.h>

#include "tests/unit/discovery/snapshot_json.h"

namespace ferry::discovery {
namespace {

using test::instance_json;
using test::service_json;
using test::snapshot_json;

NamespaceSnapshot snapshot(std::vector<boost::json::object> instances) {
  auto parsed = parse_snapshot(
      snapshot_json("ns", 1, {service_json("svc", "srv-1", std::move(instances))}), {});
  EXPECT_TRUE(parsed.snapshot) << parsed.error;
  return *parsed.snapshot;
}

core::DiscoveryConfig discovery(std::map<std::string, std::string> query = {},
                                std::map<std::string, std::string> optional = {}) {
  return {"ns", "svc", std::move(query), std::move(optional)};
}

std::vector<std::string> addresses(const EndpointSelection& s) {
  std::vector<std::string> out;
  for (const auto& e : s.endpoints) {
    out.push_back(e.address.to_string());
  }
  return out;
}

using V = std::vector<std::string>;

TEST(EndpointSelectionTest, HealthyInstancesOnly) {
  auto s =
      snapshot({instance_json("a", "10.0.0.1", 80), instance_json("b", "10.0.0.2", 80, "UNHEALTHY"),
                instance_json("c", "10.0.0.3", 80)});
  auto sel = select_endpoints(discovery(), s);
  EXPECT_EQ(addresses(sel), (V{"10.0.0.1:80", "10.0.0.3:80"}));
  EXPECT_FALSE(sel.fail_open);
  EXPECT_EQ(sel.endpoints[0].registry_health, filters::HealthStatus::Healthy);
  EXPECT_EQ(sel.endpoints[0].instance_id, "a");
}

TEST(EndpointSelectionTest, FailsOpenWhenNoneIsHealthy) {
  auto s = snapshot({instance_json("a", "10.0.0.1", 80, "UNHEALTHY"),
                     instance_json("b", "10.0.0.2", 80, "UNKNOWN")});
  auto sel = select_endpoints(discovery(), s);
  EXPECT_TRUE(sel.fail_open);
  EXPECT_EQ(addresses(sel), (V{"10.0.0.1:80", "10.0.0.2:80"}));
  EXPECT_EQ(sel.endpoints[0].registry_health, filters::HealthStatus::Unhealthy);
  EXPECT_EQ(sel.endpoints[1].registry_health, filters::HealthStatus::Unknown);
}

TEST(EndpointSelectionTest, QueryParametersMustAllMatch) {
  auto s =
      snapshot({instance_json("a", "10.0.0.1", 80, "HEALTHY", {{"stage", "prod"}, {"v", "2"}}),
                instance_json("b", "10.0.0.2", 80, "HEALTHY", {{"stage", "prod"}}),
                instance_json("c", "10.0.0.3", 80, "HEALTHY", {{"stage", "dev"}, {"v", "2"}})});
  EXPECT_EQ(addresses(select_endpoints(discovery({{"stage", "prod"}}), s)),
            (V{"10.0.0.1:80", "10.0.0.2:80"}));
  EXPECT_EQ(addresses(select_endpoints(discovery({{"stage", "prod"}, {"v", "2"}}), s)),
            (V{"10.0.0.1:80"}));
  auto none = select_endpoints(discovery({{"stage", "qa"}}), s);
  EXPECT_TRUE(none.endpoints.empty());
  EXPECT_FALSE(none.fail_open);
}

TEST(EndpointSelectionTest, OptionalParametersPreferWithoutExcluding) {
  auto s = snapshot({instance_json("a", "10.0.0.1", 80, "HEALTHY", {{"zone", "a"}}),
                     instance_json("b", "10.0.0.2", 80, "HEALTHY", {{"zone", "b"}})});
  EXPECT_EQ(addresses(select_endpoints(discovery({}, {{"zone", "a"}}), s)), (V{"10.0.0.1:80"}));
  // No instance in zone c: every instance stays.
  EXPECT_EQ(addresses(select_endpoints(discovery({}, {{"zone", "c"}}), s)),
            (V{"10.0.0.1:80", "10.0.0.2:80"}));
}

TEST(EndpointSelectionTest, HealthComesBeforeZonePreference) {
  // Zone a is preferred but all its instances are unhealthy: traffic stays
  // on the healthy zone b instead of failing open into zone a.
  auto s = snapshot({instance_json("a1", "10.0.0.1", 80, "UNHEALTHY", {{"zone", "a"}}),
                     instance_json("b1", "10.0.0.2", 80, "HEALTHY", {{"zone", "b"}})});
  EXPECT_EQ(addresses(select_endpoints(discovery({}, {{"zone", "a"}}), s)), (V{"10.0.0.2:80"}));
}

TEST(EndpointSelectionTest, InstancesWithoutAddressAreCountedAndSkipped) {
  auto s = snapshot({instance_json("a", "10.0.0.1", 80), instance_json("b", "", 80),
                     instance_json("c", "10.0.0.3", 0), instance_json("d", "fd00::4", 443)});
  auto sel = select_endpoints(discovery(), s);
  EXPECT_EQ(addresses(sel), (V{"10.0.0.1:80", "[fd00::4]:443"}));
  EXPECT_EQ(sel.without_address, 2u);
}

TEST(EndpointSelectionTest, IPv4IsPreferredWhenBothAreRegistered) {
  auto s =
      snapshot({instance_json("a", "10.0.0.1", 80, "HEALTHY", {{"AWS_INSTANCE_IPV6", "fd00::1"}})});
  EXPECT_EQ(addresses(select_endpoints(discovery(), s)), (V{"10.0.0.1:80"}));
}

TEST(EndpointSelectionTest, DuplicateAddressesBecomeOneEndpointWithTheBestHealth) {
  auto s = snapshot({instance_json("old", "10.0.0.1", 80, "UNHEALTHY"),
                     instance_json("new", "10.0.0.1", 80, "UNKNOWN"),
                     instance_json("z", "10.0.0.9", 80, "UNHEALTHY")});
  auto sel = select_endpoints(discovery(), s);  // none healthy: fail open
  ASSERT_EQ(sel.endpoints.size(), 2u);
  EXPECT_EQ(sel.endpoints[0].registry_health, filters::HealthStatus::Unknown);
  EXPECT_EQ(sel.endpoints[0].instance_id, "new");
}

TEST(EndpointSelectionTest, MissingServiceIsFlaggedNotAnError) {
  auto s = snapshot({instance_json("a", "10.0.0.1", 80)});
  core::DiscoveryConfig other{"ns", "other", {}, {}};
  auto sel = select_endpoints(other, s);
  EXPECT_TRUE(sel.service_missing);
  EXPECT_TRUE(sel.endpoints.empty());
}

}  // namespace
}  // namespace ferry::discovery
