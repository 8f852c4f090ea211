#include "discovery/discovery_runtime.h"

#include <gtest/gtest.h>

#include "discovery/self_registration.h"
#include "tests/unit/discovery/fake_registry.h"
#include "tests/unit/discovery/snapshot_json.h"
#include "tests/unit/discovery/temp_dir.h"
#include "tests/unit/discovery/test_app.h"

namespace ferry::discovery {
namespace {

using namespace std::chrono_literals;
using test::FakeRegistry;
using test::instance_json;
using test::ManualScheduler;
using test::run_until;
using test::service_json;
using test::snapshot_json;

std::string mesh_snapshot(std::int64_t version, std::vector<std::string> aliases) {
  std::vector<boost::json::object> services;
  int n = 0;
  for (const std::string& alias : aliases) {
    ++n;
    const std::string name = alias.substr(0, alias.find(':'));
    services.push_back(service_json(
        name, "srv-" + std::to_string(n),
        {instance_json("i" + std::to_string(n), "10.0.1." + std::to_string(n), 15000, "HEALTHY",
                       {{"ferry.aliases", alias}, {"ferry.protocol", "http"}})}));
  }
  return snapshot_json("mesh.local", version, std::move(services));
}

std::string backend_snapshot(std::int64_t version) {
  return snapshot_json("a.local", version,
                       {service_json("backend", "srv-b",
                                     {instance_json("b1", "10.0.2.1", 8080),
                                      instance_json("b2", "10.0.2.2", 8080, "UNHEALTHY")})});
}

class DiscoveryRuntimeTest : public ::testing::Test {
 protected:
  DiscoveryRuntimeTest() : registry(io) {}

  std::shared_ptr<core::ProxyConfig> config() {
    auto c = std::make_shared<core::ProxyConfig>();
    core::ControlPlaneConfig cp;
    cp.addresses = {registry.host_port()};
    cp.snapshot_path = dir.file("snapshot.json");
    cp.reconnect_backoff = {100ms, 1s};
    cp.request_timeout = 2s;
    c->control_plane = cp;
    core::ClusterConfig backend;
    backend.name = "backend";
    backend.discovery = core::DiscoveryConfig{"a.local", "backend", {}, {}};
    c->clusters.push_back(backend);
    core::ServiceConnectConfig sc;
    sc.namespace_name = "mesh.local";
    sc.hosts_file = dir.file("hosts");
    sc.advertise_address = "127.0.0.1";
    c->service_connect = sc;
    return c;
  }

  std::unique_ptr<DiscoveryRuntime> make(std::shared_ptr<const core::ProxyConfig> c) {
    DiscoveryRuntimeOptions o;
    o.scheduler = &scheduler;
    o.getenv = [](const char*) -> const char* {
      return nullptr;
    };
    o.seed = 99;
    o.snapshot_write_interval = core::Duration::zero();
    auto runtime = std::make_unique<DiscoveryRuntime>(io, std::move(c), o);
    runtime->on_change([this](const std::string& ns) { changes.push_back(ns); });
    runtime->on_rejected([this](const std::string& why) { rejections.push_back(why); });
    return runtime;
  }

  bool until(const std::function<bool()>& pred) { return run_until(io, &scheduler, pred); }

  test::TempDir dir;
  boost::asio::io_context io;
  ManualScheduler scheduler;
  FakeRegistry registry;
  std::vector<std::string> changes;
  std::vector<std::string> rejections;
};

TEST_F(DiscoveryRuntimeTest, FollowsEveryNamespaceAndPlansServiceConnect) {
  registry.set_snapshot("a.local", backend_snapshot(1));
  registry.set_snapshot("mesh.local", mesh_snapshot(1, {"web:80"}));
  auto runtime = make(config());
  EXPECT_EQ(runtime->namespaces(), (std::set<std::string, std::less<>>{"a.local", "mesh.local"}));
  runtime->start();
  EXPECT_FALSE(runtime->ready());
  EXPECT_EQ(runtime->namespaces_not_ready().size(), 2u);
  ASSERT_TRUE(until([&] { return runtime->ready() && runtime->connected(); }));
  EXPECT_EQ(runtime->snapshot_age_seconds(), 0.0);
  auto selection = runtime->endpoints(*config()->clusters[0].discovery);
  ASSERT_EQ(selection.endpoints.size(), 1u);
  EXPECT_EQ(selection.endpoints[0].address.to_string(), "10.0.2.1:8080");
  // The plan and the hosts file follow the mesh namespace.
  ASSERT_NE(runtime->plan(), nullptr);
  ASSERT_EQ(runtime->plan()->egress.size(), 1u);
  EXPECT_EQ(runtime->plan()->egress[0].listener.address.to_string(), "127.255.0.1:80");
  EXPECT_NE(test::slurp(dir.file("hosts")).find("127.255.0.1 web\n"), std::string::npos);
  // A service that appears later gets its listener and hosts entry live.
  registry.set_snapshot("mesh.local", mesh_snapshot(2, {"web:80", "api:8080"}));
  ASSERT_TRUE(until([&] { return runtime->plan()->egress.size() == 2; }));
  EXPECT_NE(test::slurp(dir.file("hosts")).find("127.255.0.2 api\n"), std::string::npos);
  EXPECT_EQ(runtime->plan()->egress[0].dns_name, "api");
  EXPECT_EQ(runtime->plan()->egress[1].listener.address.to_string(), "127.255.0.1:80");
  EXPECT_EQ(std::count(changes.begin(), changes.end(), "mesh.local"), 2);
  EXPECT_EQ(std::count(changes.begin(), changes.end(), "a.local"), 1);
}

TEST_F(DiscoveryRuntimeTest, ARestartDuringAnOutageServesTheSavedSnapshot) {
  registry.set_snapshot("a.local", backend_snapshot(3));
  registry.set_snapshot("mesh.local", mesh_snapshot(4, {"web:80"}));
  {
    auto runtime = make(config());
    runtime->start();
    ASSERT_TRUE(until([&] { return runtime->ready(); }));
  }
  registry.stop();
  scheduler.advance(60s);
  std::filesystem::remove(dir.file("hosts"));
  auto restarted = make(config());
  restarted->start();
  EXPECT_TRUE(restarted->ready());  // at once, from the file
  EXPECT_FALSE(restarted->connected());
  EXPECT_GE(*restarted->snapshot_age_seconds(), 60.0);
  EXPECT_EQ(restarted->snapshot("a.local")->version, 3);
  EXPECT_EQ(restarted->endpoints(*config()->clusters[0].discovery).endpoints.size(), 1u);
  ASSERT_EQ(restarted->plan()->egress.size(), 1u);
  EXPECT_NE(test::slurp(dir.file("hosts")).find("127.255.0.1 web\n"), std::string::npos);
  // ferry-control back: connected again, same versions, nothing re-announced.
  registry.restart();
  registry.set_snapshot("a.local", backend_snapshot(3));
  registry.set_snapshot("mesh.local", mesh_snapshot(4, {"web:80"}));
  for (int i = 0; i < 20 && !restarted->connected(); ++i) {
    run_until(
        io, &scheduler, [&] { return restarted->connected(); }, 50ms);
    scheduler.advance(500ms);
  }
  EXPECT_TRUE(restarted->connected());
  EXPECT_EQ(changes.size(), 2u);  // only the first runtime's
}

TEST_F(DiscoveryRuntimeTest, ADamagedSnapshotFileStartsNotReadyAndCounts) {
  test::spit(dir.file("snapshot.json"), "{\"format\":\"ferry.discovery.snapshot\",\"form");
  auto runtime = make(config());
  runtime->start();
  EXPECT_FALSE(runtime->ready());
  EXPECT_EQ(runtime->rejected_total(), 1u);
  registry.set_snapshot("a.local", backend_snapshot(1));
  registry.set_snapshot("mesh.local", mesh_snapshot(1, {}));
  ASSERT_TRUE(until([&] { return runtime->ready(); }));
  // The file is good again.
  ManualScheduler other;
  SnapshotStore check(other, dir.file("snapshot.json"));
  EXPECT_EQ(check.load().status, SnapshotLoad::Status::Loaded);
}

TEST_F(DiscoveryRuntimeTest, ABadSnapshotFromTheWireIsCountedAndTheOldOneServed) {
  registry.set_snapshot("a.local", backend_snapshot(1));
  registry.set_snapshot("mesh.local", mesh_snapshot(1, {"web:80"}));
  auto runtime = make(config());
  runtime->start();
  ASSERT_TRUE(until([&] { return runtime->ready(); }));
  std::string bad = backend_snapshot(2);
  bad.replace(bad.find("\"8080\""), 6, "\"80800\"");
  registry.set_snapshot("a.local", bad);
  ASSERT_TRUE(until([&] { return runtime->rejected_total() == 1; }));
  ASSERT_EQ(rejections.size(), 1u);
  EXPECT_EQ(runtime->snapshot("a.local")->version, 1);
  EXPECT_EQ(runtime->endpoints(*config()->clusters[0].discovery).endpoints.size(), 1u);
}

TEST_F(DiscoveryRuntimeTest, SelfRegistersOnceTheAppAnswersAndDeregistersOnDrain) {
  test::TestApp app;
  app.listen();
  auto c = config();
  core::ServiceConnectService web;
  web.port_name = "web";
  web.discovery_name = "web";
  web.port = app.port();
  web.app_protocol = core::AppProtocol::Http;
  web.client_aliases = {{80, "web"}};
  c->service_connect->services = {web};
  auto runtime = make(c);
  runtime->start();
  // Before any snapshot: the own alias is planned already.
  ASSERT_EQ(runtime->plan()->ingress.size(), 1u);
  ASSERT_EQ(runtime->plan()->egress.size(), 1u);
  runtime->start_registration({15000});
  ASSERT_TRUE(until(
      [&] { return runtime->registration() != nullptr && runtime->registration()->registered(); }));
  FakeRegistry::Service* service = registry.find_service("web");
  ASSERT_NE(service, nullptr);
  ASSERT_EQ(service->instances.count("127.0.0.1:15000"), 1u);
  EXPECT_EQ(service->instances.at("127.0.0.1:15000").attributes.at("ferry.aliases"), "web:80");
  bool done = false;
  runtime->deregister([&] { done = true; });
  ASSERT_TRUE(until([&] { return done; }));
  EXPECT_TRUE(service->instances.empty());
}

TEST_F(DiscoveryRuntimeTest, ANamespaceThatDoesNotExistYetIsAnEmptyViewNotAWait) {
  registry.set_snapshot("a.local", backend_snapshot(1));
  auto runtime = make(config());
  runtime->start();
  // mesh.local does not exist: ready (clients start before their servers),
  // with nothing to route to.
  ASSERT_TRUE(until([&] { return runtime->ready(); }));
  EXPECT_EQ(runtime->snapshot("mesh.local"), nullptr);
  EXPECT_TRUE(runtime->watcher("mesh.local")->namespace_absent());
  EXPECT_TRUE(runtime->plan()->egress.empty());
  // A service registering later becomes reachable without a restart.
  registry.set_snapshot("mesh.local", mesh_snapshot(1, {"web:80"}));
  scheduler.advance(5s);
  ASSERT_TRUE(until([&] { return runtime->plan()->egress.size() == 1; }));
  EXPECT_FALSE(runtime->watcher("mesh.local")->namespace_absent());
}

TEST_F(DiscoveryRuntimeTest, WithoutRegistrationDeregisterIsDoneAtOnce) {
  auto runtime = make(config());
  bool done = false;
  runtime->deregister([&] { done = true; });
  EXPECT_FALSE(done);
  ASSERT_TRUE(until([&] { return done; }));
}

TEST_F(DiscoveryRuntimeTest, NeedsAControlPlane) {
  auto c = config();
  EXPECT_TRUE(DiscoveryRuntime::needed(*c));
  c->control_plane.reset();
  EXPECT_THROW(make(c), std::runtime_error);
  core::ProxyConfig plain;
  EXPECT_FALSE(DiscoveryRuntime::needed(plain));
}

}  // namespace
}  // namespace ferry::discovery
