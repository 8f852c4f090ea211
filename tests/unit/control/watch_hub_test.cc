#include "control/watch_hub.h"

#include <gtest/gtest.h>

#include "tests/unit/control/test_support.h"

namespace ferry::control {
namespace {

namespace json = boost::json;
using testing::Harness;
using testing::TempDir;
using Clock = WatchHub::Clock;

class WatchHubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    h_.registry().add_listener([this](const ChangeSummary& s) { hub_.on_change(s); });
    ns_ = h_.create_namespace("watch.local");
    svc_ = h_.create_service(ns_, "web", true);
    h_.register_instance(svc_, "a", {{"AWS_INSTANCE_IPV4", "10.0.0.1"}});
  }
  std::int64_t version() { return h_.registry().state().namespace_version(ns_); }
  std::string epoch() { return h_.registry().epoch(); }

  TempDir dir_;
  Harness h_{dir_.path()};
  WatchHub hub_{h_.registry(), 5};
  std::string ns_;
  std::string svc_;
  Clock::time_point t0_ = Clock::now();
};

TEST_F(WatchHubTest, AnswersAtOnceWithTheSnapshotWhenBehind) {
  std::optional<WatchHub::Reply> reply;
  EXPECT_EQ(hub_.watch("watch.local", "", std::nullopt, t0_, [&](auto r) { reply = r; }), 0u);
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 200);
  const json::object snapshot = json::parse(*reply->body).as_object();
  EXPECT_EQ(snapshot.at("namespace"), "watch.local");
  EXPECT_EQ(snapshot.at("epoch"), json::value(epoch()));
  EXPECT_EQ(snapshot.at("version").as_int64(), version());
  const json::array& services = snapshot.at("services").as_array();
  ASSERT_EQ(services.size(), 1u);
  EXPECT_EQ(services[0].at("name"), "web");
  EXPECT_EQ(services[0].at("id"), json::value(svc_));
  const json::array& instances = services[0].at("instances").as_array();
  ASSERT_EQ(instances.size(), 1u);
  EXPECT_EQ(instances[0].at("id"), "a");
  EXPECT_EQ(instances[0].at("health"), "HEALTHY");
  EXPECT_EQ(instances[0].at("attributes").at("AWS_INSTANCE_IPV4"), "10.0.0.1");
  // Another epoch (a wiped store) or another version also answers at once.
  reply.reset();
  hub_.watch("watch.local", "other-epoch", version(), t0_, [&](auto r) { reply = r; });
  EXPECT_EQ(reply->status, 200);
  reply.reset();
  hub_.watch("watch.local", epoch(), version() - 1, t0_, [&](auto r) { reply = r; });
  EXPECT_EQ(reply->status, 200);
}

TEST_F(WatchHubTest, HoldsUntilTheVersionMoves) {
  std::optional<WatchHub::Reply> reply;
  const auto held = version();
  EXPECT_NE(hub_.watch("watch.local", epoch(), held, t0_ + std::chrono::seconds(30),
                       [&](auto r) { reply = r; }),
            0u);
  EXPECT_FALSE(reply.has_value());
  EXPECT_EQ(hub_.watchers(), 1u);
  // A health change is a change.
  h_.ok("UpdateInstanceCustomHealthStatus",
        {{"ServiceId", svc_}, {"InstanceId", "a"}, {"Status", "UNHEALTHY"}});
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 200);
  const json::object snapshot = json::parse(*reply->body).as_object();
  EXPECT_GT(snapshot.at("version").as_int64(), held);
  EXPECT_EQ(snapshot.at("services").at(0).at("instances").at(0).at("health"), "UNHEALTHY");
  EXPECT_EQ(hub_.watchers(), 0u);
}

TEST_F(WatchHubTest, Answers304AtTheDeadline) {
  std::optional<WatchHub::Reply> reply;
  hub_.watch("watch.local", epoch(), version(), t0_ + std::chrono::seconds(30),
             [&](auto r) { reply = r; });
  EXPECT_EQ(hub_.next_deadline(), t0_ + std::chrono::seconds(30));
  hub_.expire(t0_ + std::chrono::seconds(29));
  EXPECT_FALSE(reply.has_value());
  hub_.expire(t0_ + std::chrono::seconds(30));
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 304);
  EXPECT_EQ(reply->body, nullptr);
  EXPECT_FALSE(hub_.next_deadline().has_value());
}

TEST_F(WatchHubTest, UnknownAndDeletedNamespacesAre404) {
  std::optional<WatchHub::Reply> reply;
  hub_.watch("nope.local", "", std::nullopt, t0_, [&](auto r) { reply = r; });
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 404);
  EXPECT_NE(reply->body->find("NamespaceNotFound"), std::string::npos);

  const std::string other = h_.create_namespace("gone.local");
  const auto v = h_.registry().state().namespace_version(other);
  reply.reset();
  hub_.watch("gone.local", epoch(), v, t0_ + std::chrono::seconds(30), [&](auto r) { reply = r; });
  EXPECT_FALSE(reply.has_value());
  h_.ok("DeleteNamespace", {{"Id", other}});
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 404);
}

TEST_F(WatchHubTest, SharesOneSnapshotAndBoundsWatchers) {
  std::vector<std::optional<WatchHub::Reply>> replies(5);
  for (auto& r : replies) {
    EXPECT_NE(hub_.watch("watch.local", epoch(), version(), t0_ + std::chrono::seconds(30),
                         [&r](auto x) { r = x; }),
              0u);
  }
  std::optional<WatchHub::Reply> refused;
  hub_.watch("watch.local", epoch(), version(), t0_ + std::chrono::seconds(30),
             [&](auto x) { refused = x; });
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->status, 503);
  h_.register_instance(svc_, "b");
  for (auto& r : replies) {
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->body.get(), replies[0]->body.get());  // built once
  }
}

TEST_F(WatchHubTest, CancelledWatchersAreNotAnswered) {
  bool answered = false;
  const auto id = hub_.watch("watch.local", epoch(), version(), t0_ + std::chrono::seconds(30),
                             [&](auto) { answered = true; });
  hub_.cancel(id);
  EXPECT_EQ(hub_.watchers(), 0u);
  h_.register_instance(svc_, "c");
  hub_.expire(t0_ + std::chrono::hours(1));
  EXPECT_FALSE(answered);
}

}  // namespace
}  // namespace ferry::control
