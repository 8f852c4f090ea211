#include "control/health_ttl.h"

#include <gtest/gtest.h>

#include "control/control_plane.h"
#include "tests/unit/control/test_support.h"

namespace ferry::control {
namespace {

using Clock = HealthTtl::Clock;
using std::chrono::seconds;

TEST(HealthTtl, ExpiresWhatWasNotRenewed) {
  HealthTtl ttl(seconds(10));
  const auto t0 = Clock::now();
  ttl.arm({"s", "a"}, t0);
  ttl.arm({"s", "b"}, t0 + seconds(2));
  EXPECT_EQ(ttl.next_deadline(), t0 + seconds(10));
  EXPECT_TRUE(ttl.expire(t0 + seconds(9)).empty());
  ttl.arm({"s", "a"}, t0 + seconds(9));  // renewal
  EXPECT_EQ(ttl.next_deadline(), t0 + seconds(12));
  auto expired = ttl.expire(t0 + seconds(12));
  ASSERT_EQ(expired.size(), 1u);
  EXPECT_EQ(expired[0].second, "b");
  EXPECT_TRUE(ttl.armed({"s", "a"}));
  ttl.disarm({"s", "a"});
  EXPECT_EQ(ttl.size(), 0u);
  EXPECT_FALSE(ttl.next_deadline().has_value());
}

// The control plane end to end with a short TTL on the real loop: renewals
// keep an instance healthy without writing; silence turns it UNHEALTHY with
// one write that moves the namespace version; a restart re-arms every TTL
// instead of expiring them.
TEST(HealthTtl, ControlPlaneExpiresInstancesAndReArmsOnRestart) {
  testing::TempDir dir;
  std::string svc;
  std::string ns;
  {
    testing::Harness h(dir.path());
    core::StatsRegistry stats(1);
    ControlOptions options;
    options.instance_ttl = std::chrono::milliseconds(300);
    ControlPlane plane(h.loop().io(), h.registry(), h.store(), options, stats);
    plane.start();
    ns = h.create_namespace("ttl.local");
    svc = h.create_service(ns, "web", true);
    h.register_instance(svc, "renewed");
    h.register_instance(svc, "silent");
    const auto version = h.registry().state().namespace_version(ns);
    const std::size_t batches = h.batches().size();
    auto health = [&](const std::string& id) {
      return h.registry().state().find_instance(svc, id)->value->health;
    };
    // Renew "renewed" every 100 ms through the API until "silent" expires.
    const auto start = Clock::now();
    bool expired = false;
    while (!expired && Clock::now() - start < seconds(5)) {
      std::optional<ApiReply> reply;
      plane.handle_api(
          "UpdateInstanceCustomHealthStatus",
          R"({"ServiceId":")" + svc + R"(","InstanceId":"renewed","Status":"HEALTHY"})", {},
          [&](ApiReply r) { reply = r; });
      ASSERT_TRUE(h.loop().run_until([&] { return reply.has_value(); }));
      h.loop().run_until([&] { return health("silent") == HealthStatus::Unhealthy; },
                         std::chrono::milliseconds(100));
      expired = health("silent") == HealthStatus::Unhealthy;
    }
    ASSERT_TRUE(expired);
    EXPECT_EQ(health("renewed"), HealthStatus::Healthy);
    EXPECT_GT(h.registry().state().namespace_version(ns), version);
    EXPECT_EQ(h.batches().size(), batches + 1);  // the expiry, and no renewal, was written
    EXPECT_NE(stats.serialize().find("ferry_control_ttl_expirations_total 1"), std::string::npos);
  }
  // Restart long after every TTL would have passed: "renewed" is armed
  // afresh, not expired at once.
  testing::Harness h(dir.path());
  core::StatsRegistry stats(1);
  ControlOptions options;
  options.instance_ttl = std::chrono::milliseconds(500);
  ControlPlane plane(h.loop().io(), h.registry(), h.store(), options, stats);
  plane.start();
  h.loop().run_until([] { return false; }, std::chrono::milliseconds(200));
  EXPECT_EQ(h.registry().state().find_instance(svc, "renewed")->value->health,
            HealthStatus::Healthy);
  ASSERT_TRUE(h.loop().run_until([&] {
    return h.registry().state().find_instance(svc, "renewed")->value->health ==
           HealthStatus::Unhealthy;
  }));
}

}  // namespace
}  // namespace ferry::control
