#include "discovery/namespace_watcher.h"

#include <gtest/gtest.h>

#include "tests/unit/discovery/fake_registry.h"
#include "tests/unit/discovery/snapshot_json.h"

namespace ferry::discovery {
namespace {

using namespace std::chrono_literals;
using test::FakeRegistry;
using test::instance_json;
using test::ManualScheduler;
using test::no_credentials;
using test::run_until;
using test::service_json;
using test::snapshot_json;

std::string snap(std::int64_t version, int instances = 1, const std::string& epoch = "e1") {
  std::vector<boost::json::object> list;
  for (int i = 0; i < instances; ++i) {
    list.push_back(instance_json("i" + std::to_string(i), "10.0.0." + std::to_string(i + 1), 80));
  }
  return snapshot_json("mesh.local", version, {service_json("web", "srv-1", list)}, epoch);
}

class NamespaceWatcherTest : public ::testing::Test {
 protected:
  NamespaceWatcherTest() : registry(io) {}

  void make(std::vector<core::HostPort> addresses = {}) {
    if (addresses.empty()) {
      addresses = {registry.host_port()};
    }
    RegistryClientOptions o;
    o.addresses = std::move(addresses);
    o.request_timeout = 2s;
    o.backoff = {200ms, 2s};
    client = std::make_unique<RegistryClient>(io, scheduler, o, no_credentials(), 7);
    WatcherOptions w;
    w.backoff = {200ms, 2s};
    watcher = std::make_unique<NamespaceWatcher>(*client, scheduler, "mesh.local", w, 11);
    watcher->on_snapshot([this](const std::shared_ptr<const NamespaceSnapshot>& s) {
      versions.push_back(s->version);
    });
    watcher->on_rejected([this](const std::string& reason) { rejections.push_back(reason); });
    watcher->on_connection([this](bool c) { transitions.push_back(c); });
  }

  bool until(const std::function<bool()>& pred) { return run_until(io, &scheduler, pred); }

  boost::asio::io_context io;
  ManualScheduler scheduler;
  FakeRegistry registry;
  std::unique_ptr<RegistryClient> client;
  std::unique_ptr<NamespaceWatcher> watcher;
  std::vector<std::int64_t> versions;
  std::vector<std::string> rejections;
  std::vector<bool> transitions;
};

TEST_F(NamespaceWatcherTest, FollowsChangesWithParkedWatches) {
  registry.set_snapshot("mesh.local", snap(1));
  make();
  EXPECT_FALSE(watcher->connected());
  watcher->start();
  ASSERT_TRUE(until([&] { return registry.parked_watches() == 1; }));
  EXPECT_EQ(versions, (std::vector<std::int64_t>{1}));
  EXPECT_TRUE(watcher->connected());
  EXPECT_EQ(watcher->snapshot_age_seconds(), 0.0);
  // The first watch names nothing, the next one the version it holds.
  ASSERT_EQ(registry.count("Watch"), 2);
  EXPECT_EQ(registry.requests()[0].target.find("version="), std::string::npos);
  EXPECT_NE(registry.requests()[1].target.find("epoch=e1&version=1"), std::string::npos);

  registry.set_snapshot("mesh.local", snap(2, 3));
  ASSERT_TRUE(until([&] { return versions.size() == 2 && registry.parked_watches() == 1; }));
  EXPECT_EQ(watcher->snapshot()->version, 2);
  EXPECT_EQ(watcher->snapshot()->instance_count(), 3u);
  EXPECT_EQ(watcher->stats().accepted, 2u);
  // A 304 re-parks without a callback.
  registry.expire_watches();
  ASSERT_TRUE(
      until([&] { return watcher->stats().unchanged == 1 && registry.parked_watches() == 1; }));
  EXPECT_EQ(versions.size(), 2u);
  EXPECT_EQ(transitions, (std::vector<bool>{true}));
}

TEST_F(NamespaceWatcherTest, ABadSnapshotIsRejectedAndTheGoodOneKept) {
  registry.set_snapshot("mesh.local", snap(1));
  make();
  watcher->start();
  ASSERT_TRUE(until([&] { return registry.parked_watches() == 1; }));
  std::string bad = snap(2);
  bad.replace(bad.find("10.0.0.1"), 8, "10.0.0.999");
  registry.set_snapshot("mesh.local", bad);
  ASSERT_TRUE(until([&] { return rejections.size() == 1 && registry.parked_watches() == 1; }));
  EXPECT_NE(rejections[0].find("AWS_INSTANCE_IPV4"), std::string::npos) << rejections[0];
  EXPECT_EQ(watcher->snapshot()->version, 1);
  EXPECT_EQ(watcher->stats().rejected, 1u);
  // It waits for the next version rather than fetching the bad one again.
  EXPECT_NE(registry.requests().back().target.find("version=2"), std::string::npos);
  EXPECT_TRUE(watcher->connected());
  // The held snapshot is no longer the registry's current one.
  EXPECT_GT(*watcher->snapshot_age_seconds() + 1.0, 0.0);
  scheduler.advance(10s);
  EXPECT_GE(*watcher->snapshot_age_seconds(), 10.0);
  registry.set_snapshot("mesh.local", snap(3));
  ASSERT_TRUE(until([&] { return versions.size() == 2; }));
  EXPECT_EQ(watcher->snapshot()->version, 3);
  EXPECT_EQ(watcher->snapshot_age_seconds(), 0.0);
}

TEST_F(NamespaceWatcherTest, GarbageWithoutAVersionBacksOff) {
  registry.set_snapshot("mesh.local", "this is not json");
  make();
  watcher->start();
  ASSERT_TRUE(until([&] { return rejections.size() == 1 && scheduler.pending() == 1; }));
  EXPECT_EQ(watcher->snapshot(), nullptr);
  EXPECT_EQ(registry.count("Watch"), 1);
  EXPECT_GE(*scheduler.next_delay(), 100ms);
}

TEST_F(NamespaceWatcherTest, KeepsServingThroughAnOutageAndReconnectsWithBackoff) {
  registry.set_snapshot("mesh.local", snap(1));
  make();
  watcher->start();
  ASSERT_TRUE(until([&] { return registry.parked_watches() == 1; }));
  registry.stop();
  ASSERT_TRUE(until([&] { return !watcher->connected(); }));
  EXPECT_EQ(watcher->snapshot()->version, 1);  // static stability
  // Retries back off: each pause is within its jitter window and the
  // windows double up to the cap.
  core::Duration previous_ceiling = 200ms;
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(until([&] { return scheduler.pending() == 1; })) << i;
    const core::Duration pause = *scheduler.next_delay();
    EXPECT_GE(pause, previous_ceiling / 2) << i;
    EXPECT_LE(pause, previous_ceiling) << i;
    previous_ceiling = std::min<core::Duration>(previous_ceiling * 2, 2s);
    scheduler.advance(pause);
  }
  EXPECT_GE(watcher->stats().failures, 6u);
  EXPECT_GT(*watcher->snapshot_age_seconds(), 1.0);
  // ferry-control comes back: the next retry reconnects.
  ASSERT_TRUE(until([&] { return scheduler.pending() == 1; }));
  registry.restart();
  registry.set_snapshot("mesh.local", snap(1));
  scheduler.advance(*scheduler.next_delay());
  ASSERT_TRUE(until([&] { return watcher->connected() && registry.parked_watches() == 1; }));
  EXPECT_EQ(watcher->snapshot_age_seconds(), 0.0);
  EXPECT_EQ(versions.size(), 1u);  // same version: not handed out again
  EXPECT_EQ(transitions, (std::vector<bool>{true, false, true}));
}

TEST_F(NamespaceWatcherTest, FailsOverToAnotherReplica) {
  FakeRegistry second(io);
  second.set_snapshot("mesh.local", snap(5));
  registry.stop();
  make({registry.host_port(), second.host_port()});
  watcher->start();
  ASSERT_TRUE(until([&] { return second.parked_watches() == 1; }));
  EXPECT_EQ(watcher->snapshot()->version, 5);
  EXPECT_TRUE(watcher->connected());
}

TEST_F(NamespaceWatcherTest, AnAbsentNamespaceIsAskedForAgain) {
  make();
  watcher->start();
  ASSERT_TRUE(
      until([&] { return watcher->stats().namespace_missing == 1 && scheduler.pending() == 1; }));
  EXPECT_TRUE(watcher->connected());
  EXPECT_EQ(watcher->snapshot(), nullptr);
  EXPECT_FALSE(watcher->snapshot_age_seconds());
  const core::Duration pause = *scheduler.next_delay();
  EXPECT_GE(pause, 2500ms);
  EXPECT_LE(pause, 5s);
  registry.set_snapshot("mesh.local", snap(1));
  scheduler.advance(pause);
  ASSERT_TRUE(until([&] { return versions.size() == 1; }));
}

TEST_F(NamespaceWatcherTest, AnOlderVersionFromALaggingReplicaIsIgnored) {
  registry.set_snapshot("mesh.local", snap(7));
  make();
  watcher->start();
  ASSERT_TRUE(until([&] { return registry.parked_watches() == 1; }));
  registry.stop();
  ASSERT_TRUE(until([&] { return scheduler.pending() == 1; }));
  registry.restart();
  registry.set_snapshot("mesh.local", snap(6));
  scheduler.advance(*scheduler.next_delay());
  ASSERT_TRUE(until([&] { return watcher->stats().stale == 1 && registry.parked_watches() == 1; }));
  EXPECT_EQ(watcher->snapshot()->version, 7);
  // Once it catches up, the newer version is taken.
  registry.set_snapshot("mesh.local", snap(8));
  ASSERT_TRUE(until([&] { return watcher->snapshot()->version == 8; }));
  // A new store (new epoch) restarts versions: taken even though lower.
  registry.set_snapshot("mesh.local", snap(1, 1, "e2"));
  ASSERT_TRUE(until([&] { return watcher->snapshot()->epoch == "e2"; }));
  EXPECT_EQ(versions, (std::vector<std::int64_t>{7, 8, 1}));
}

TEST_F(NamespaceWatcherTest, ASeededSnapshotIsServedBeforeTheRegistryAnswers) {
  make();
  auto seeded = parse_snapshot(snap(4), {});
  const auto saved_at = scheduler.wall_now() - 120s;
  watcher->seed(std::make_shared<const NamespaceSnapshot>(*seeded.snapshot), saved_at);
  EXPECT_EQ(watcher->snapshot()->version, 4);
  EXPECT_NEAR(*watcher->snapshot_age_seconds(), 120.0, 0.001);
  registry.set_snapshot("mesh.local", snap(4));
  watcher->start();
  ASSERT_TRUE(until([&] { return registry.parked_watches() == 1; }));
  EXPECT_TRUE(versions.empty());  // the same version is not handed out again
  EXPECT_EQ(watcher->snapshot_age_seconds(), 0.0);
}

TEST_F(NamespaceWatcherTest, StopCancelsEverything) {
  registry.set_snapshot("mesh.local", snap(1));
  make();
  watcher->start();
  ASSERT_TRUE(until([&] { return registry.parked_watches() == 1; }));
  watcher->stop();
  registry.set_snapshot("mesh.local", snap(2));
  run_until(
      io, &scheduler, [] { return false; }, 100ms);
  EXPECT_EQ(versions.size(), 1u);
  watcher.reset();  // destroying a stopped watcher is quiet too
}

}  // namespace
}  // namespace ferry::discovery
