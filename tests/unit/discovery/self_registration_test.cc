#include "discovery/self_registration.h"

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "tests/unit/discovery/fake_registry.h"
#include "tests/unit/discovery/test_app.h"

namespace ferry::discovery {
namespace {

using namespace std::chrono_literals;
using Phase = SelfRegistration::Phase;
using test::FakeRegistry;
using test::ManualScheduler;
using test::no_credentials;
using test::run_until;
using test::TestApp;

std::string creator_token(const std::string& body) {
  return std::string(boost::json::parse(body).as_object().at("CreatorRequestId").as_string());
}

class SelfRegistrationTest : public ::testing::Test {
 protected:
  SelfRegistrationTest() : registry(io) {}

  void make(std::vector<const TestApp*> apps) {
    RegistryClientOptions o;
    o.addresses = {registry.host_port()};
    o.request_timeout = 2s;
    o.backoff = {100ms, 1s};
    client = std::make_unique<RegistryClient>(io, scheduler, o, no_credentials(), 3);
    RegistrationOptions r;
    r.namespace_name = "mesh.local";
    r.heartbeat_interval = 5s;
    r.backoff = {100ms, 1s};
    r.app_backoff = {100ms, 1s};
    r.deregister_timeout = 2s;
    std::vector<InstanceSpec> specs;
    int n = 0;
    for (const TestApp* app : apps) {
      ++n;
      InstanceSpec spec;
      spec.service = n == 1 ? "web" : "svc" + std::to_string(n);
      spec.instance_id = "10.0.0.5:1500" + std::to_string(n);
      spec.app = app->address();
      spec.attributes = {{"AWS_INSTANCE_IPV4", "10.0.0.5"},
                         {"AWS_INSTANCE_PORT", "1500" + std::to_string(n)},
                         {"ferry.aliases", "web:80"}};
      specs.push_back(spec);
    }
    registration = std::make_unique<SelfRegistration>(io, *client, scheduler, r, specs, 5);
    registration->on_registered([this](std::size_t i) { registered_events.push_back(i); });
  }

  bool until(const std::function<bool()>& pred) { return run_until(io, &scheduler, pred); }
  // Lets simulated time pass in steps, running the real I/O in between.
  bool advance_until(const std::function<bool()>& pred, core::Duration limit = 30s,
                     core::Duration step = 50ms) {
    for (core::Duration t{}; t <= limit; t += step) {
      if (run_until(io, &scheduler, pred, 5ms)) {
        return true;
      }
      scheduler.advance(step);
    }
    return pred();
  }
  FakeRegistry::Instance* instance(const std::string& service, const std::string& id) {
    FakeRegistry::Service* s = registry.find_service(service);
    if (s == nullptr) {
      return nullptr;
    }
    auto it = s->instances.find(id);
    return it == s->instances.end() ? nullptr : &it->second;
  }

  boost::asio::io_context io;
  ManualScheduler scheduler;
  FakeRegistry registry;
  std::unique_ptr<RegistryClient> client;
  std::unique_ptr<SelfRegistration> registration;
  std::vector<std::size_t> registered_events;
};

TEST_F(SelfRegistrationTest, CreatesWhatIsMissingAndRegistersOnlyOnceTheAppAnswers) {
  TestApp app;
  make({&app});
  registration->start();
  ASSERT_TRUE(until([&] { return registration->phase(0) == Phase::WaitingForApp; }));
  EXPECT_EQ(registry.namespaces.count("mesh.local"), 1u);
  ASSERT_NE(registry.find_service("web"), nullptr);
  EXPECT_TRUE(registry.find_service("web")->custom_health);
  EXPECT_EQ(registry.count("RegisterInstance"), 0);
  // The application keeps refusing for a while: still no registration.
  ASSERT_TRUE(advance_until([&] { return false; }, 2s) == false);
  EXPECT_EQ(registry.count("RegisterInstance"), 0);
  EXPECT_GT(registration->stats().app_probe_failures, 2u);
  app.listen();
  ASSERT_TRUE(advance_until([&] { return registration->registered(); }));
  const FakeRegistry::Instance* i = instance("web", "10.0.0.5:15001");
  ASSERT_NE(i, nullptr);
  EXPECT_EQ(i->attributes.at("AWS_INSTANCE_IPV4"), "10.0.0.5");
  EXPECT_EQ(i->attributes.at("ferry.aliases"), "web:80");
  ASSERT_TRUE(until([&] { return registry.count("UpdateInstanceCustomHealthStatus") == 1; }));
  EXPECT_EQ(i->health, "HEALTHY");
  EXPECT_EQ(registered_events, (std::vector<std::size_t>{0}));
  EXPECT_EQ(registration->namespace_id(), registry.namespaces.at("mesh.local"));
}

TEST_F(SelfRegistrationTest, ReusesAnExistingNamespaceAndServiceAcrossPages) {
  TestApp app;
  app.listen();
  registry.namespaces["mesh.local"] = "ns-9";
  registry.services["srv-a"] = {"srv-a", "aaa", true, {}};
  registry.services["srv-b"] = {"srv-b", "bbb", true, {}};
  registry.services["srv-c"] = {"srv-c", "web", true, {}};
  registry.set_page_size(1);
  make({&app});
  registration->start();
  ASSERT_TRUE(advance_until([&] { return registration->registered(); }));
  EXPECT_EQ(registry.count("CreateHttpNamespace"), 0);
  EXPECT_EQ(registry.count("CreateService"), 0);
  EXPECT_EQ(registry.count("ListServices"), 3);
  EXPECT_NE(instance("web", "10.0.0.5:15001"), nullptr);
}

TEST_F(SelfRegistrationTest, ANamespaceCreatedByAPeerMeanwhileIsUsed) {
  TestApp app;
  app.listen();
  registry.namespaces["mesh.local"] = "ns-peer";
  registry.unlisted.insert("mesh.local");
  make({&app});
  registration->start();
  ASSERT_TRUE(advance_until([&] { return registration->registered(); }));
  EXPECT_EQ(registration->namespace_id(), "ns-peer");
  EXPECT_EQ(registry.count("CreateHttpNamespace"), 1);
}

TEST_F(SelfRegistrationTest, RetriesReuseTheIdempotencyTokenAndOperationsArePolled) {
  TestApp app;
  app.listen();
  registry.fail_next("CreateHttpNamespace", 2, 503);
  registry.fail_next("RegisterInstance", 1, 500, "InternalFailure");
  registry.set_pending_polls(3);
  make({&app});
  registration->start();
  ASSERT_TRUE(advance_until([&] { return registration->registered(); }));
  std::vector<std::string> tokens;
  std::vector<std::string> register_tokens;
  for (const auto& r : registry.requests()) {
    if (r.action == "CreateHttpNamespace") {
      tokens.push_back(creator_token(r.body));
    } else if (r.action == "RegisterInstance") {
      register_tokens.push_back(creator_token(r.body));
    }
  }
  ASSERT_EQ(tokens.size(), 3u);
  EXPECT_EQ(tokens[0], tokens[1]);
  EXPECT_EQ(tokens[1], tokens[2]);
  ASSERT_EQ(register_tokens.size(), 2u);
  EXPECT_EQ(register_tokens[0], register_tokens[1]);
  // Two operations (namespace, instance), each PENDING three times.
  EXPECT_EQ(registry.count("GetOperation"), 8);
  EXPECT_EQ(registration->stats().step_failures, 3u);
}

TEST_F(SelfRegistrationTest, HeartbeatsRenewHealthAndFollowTheApplication) {
  TestApp app;
  app.listen();
  make({&app});
  registration->start();
  ASSERT_TRUE(advance_until(
      [&] { return registration->reported_health(0) == filters::HealthStatus::Healthy; }));
  const int before = registry.count("UpdateInstanceCustomHealthStatus");
  // The next heartbeat comes 80-100% of the interval later.
  ASSERT_TRUE(scheduler.next_delay());
  EXPECT_GE(*scheduler.next_delay(), 4s);
  EXPECT_LE(*scheduler.next_delay(), 5s);
  ASSERT_TRUE(advance_until(
      [&] { return registry.count("UpdateInstanceCustomHealthStatus") >= before + 2; }, 11s));
  // The application stops answering: UNHEALTHY after two failed connects.
  app.stop();
  ASSERT_TRUE(advance_until(
      [&] { return registration->reported_health(0) == filters::HealthStatus::Unhealthy; }, 12s));
  EXPECT_EQ(instance("web", "10.0.0.5:15001")->health, "UNHEALTHY");
  app.listen();
  ASSERT_TRUE(advance_until(
      [&] { return registration->reported_health(0) == filters::HealthStatus::Healthy; }, 6s));
  EXPECT_EQ(instance("web", "10.0.0.5:15001")->health, "HEALTHY");
}

TEST_F(SelfRegistrationTest, AnInstanceTheRegistryLostIsRegisteredAgain) {
  TestApp app;
  app.listen();
  make({&app});
  registration->start();
  ASSERT_TRUE(advance_until([&] { return registration->registered(); }));
  registry.find_service("web")->instances.clear();
  // The next heartbeat (within 5 s) finds the instance gone and registers it
  // again. The fake registry answers over real loopback sockets, so a loaded
  // machine needs more simulated steps than the interval to finish the calls.
  ASSERT_TRUE(advance_until([&] { return instance("web", "10.0.0.5:15001") != nullptr; }, 30s));
  EXPECT_EQ(registry.count("RegisterInstance"), 2);
  EXPECT_EQ(registration->stats().registrations, 2u);
  EXPECT_EQ(registered_events.size(), 2u);
}

TEST_F(SelfRegistrationTest, AServiceWithoutCustomHealthIsRegisteredWithoutHeartbeats) {
  TestApp app;
  app.listen();
  registry.namespaces["mesh.local"] = "ns-1";
  registry.services["srv-w"] = {"srv-w", "web", false, {}};
  make({&app});
  registration->start();
  ASSERT_TRUE(advance_until([&] { return registration->registered(); }));
  advance_until([] { return false; }, 12s, 500ms);
  EXPECT_EQ(registry.count("UpdateInstanceCustomHealthStatus"), 0);
}

TEST_F(SelfRegistrationTest, KeepsTryingWhileTheRegistryIsDown) {
  TestApp app;
  app.listen();
  registry.stop();
  make({&app});
  registration->start();
  ASSERT_TRUE(advance_until([&] { return registration->stats().step_failures >= 4; }, 10s));
  EXPECT_EQ(registration->phase(0), Phase::Namespace);
  registry.restart();
  ASSERT_TRUE(advance_until([&] { return registration->registered(); }, 10s));
}

TEST_F(SelfRegistrationTest, SeveralServicesRegisterIndependently) {
  TestApp up;
  TestApp down;
  up.listen();
  make({&up, &down});
  registration->start();
  ASSERT_TRUE(advance_until([&] { return registration->phase(0) == Phase::Registered; }));
  EXPECT_EQ(registration->phase(1), Phase::WaitingForApp);
  EXPECT_FALSE(registration->registered());
  down.listen();
  ASSERT_TRUE(advance_until([&] { return registration->registered(); }));
  EXPECT_EQ(registry.count("CreateHttpNamespace"), 1);
  EXPECT_EQ(registry.count("CreateService"), 2);
}

TEST_F(SelfRegistrationTest, DeregisterRemovesTheInstanceAtOnce) {
  TestApp app;
  app.listen();
  make({&app});
  registration->start();
  ASSERT_TRUE(advance_until([&] { return registration->registered(); }));
  bool done = false;
  registration->deregister([&] { done = true; });
  EXPECT_FALSE(done);  // never inside the call
  ASSERT_TRUE(until([&] { return done; }));
  EXPECT_EQ(instance("web", "10.0.0.5:15001"), nullptr);
  EXPECT_EQ(registration->phase(0), Phase::Deregistered);
  // No more heartbeats, and a second call just reports done.
  const int updates = registry.count("UpdateInstanceCustomHealthStatus");
  advance_until([] { return false; }, 11s, 500ms);
  EXPECT_EQ(registry.count("UpdateInstanceCustomHealthStatus"), updates);
  bool again = false;
  registration->deregister([&] { again = true; });
  ASSERT_TRUE(until([&] { return again; }));
}

TEST_F(SelfRegistrationTest, DeregisterIsBoundedWhenTheRegistryIsGone) {
  TestApp app;
  app.listen();
  make({&app});
  registration->start();
  ASSERT_TRUE(advance_until([&] { return registration->registered(); }));
  registry.fail_next("*", 100, 503);
  bool done = false;
  registration->deregister([&] { done = true; });
  run_until(
      io, &scheduler, [&] { return done; }, 200ms);
  // One attempt per replica, no backoff: answered (503) quickly, or the
  // deadline of 2 s ends it.
  if (!done) {
    scheduler.advance(2s);
  }
  EXPECT_TRUE(until([&] { return done; }));
  EXPECT_LE(registry.count("DeregisterInstance"), 1);
}

TEST_F(SelfRegistrationTest, DeregisterBeforeAnythingWasRegisteredSendsNothing) {
  TestApp app;
  make({&app});
  registration->start();
  ASSERT_TRUE(until([&] { return registration->phase(0) == Phase::WaitingForApp; }));
  bool done = false;
  registration->deregister([&] { done = true; });
  ASSERT_TRUE(until([&] { return done; }));
  EXPECT_EQ(registry.count("DeregisterInstance"), 0);
  app.listen();
  advance_until([] { return false; }, 3s);
  EXPECT_EQ(registry.count("RegisterInstance"), 0);  // stopped for good
}

TEST(InstanceSpecsTest, BuildsIdsAndAttributesFromConfigAndEnvironment) {
  core::ServiceConnectConfig config;
  config.namespace_name = "mesh.local";
  core::ServiceConnectService web;
  web.port_name = "web";
  web.discovery_name = "web";
  web.port = 8080;
  web.app_protocol = core::AppProtocol::Http;
  web.client_aliases = {{80, "web"}};
  config.services = {web};
  std::map<std::string, std::string> env{{"FERRY_INSTANCE_ATTRIBUTES", "zone=a,stack=blue"}};
  auto getenv = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  auto specs = instance_specs(config, {15000}, "10.0.0.5", getenv);
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].service, "web");
  EXPECT_EQ(specs[0].instance_id, "10.0.0.5:15000");
  EXPECT_EQ(specs[0].app.to_string(), "127.0.0.1:8080");
  EXPECT_EQ(specs[0].attributes.at("AWS_INSTANCE_IPV4"), "10.0.0.5");
  EXPECT_EQ(specs[0].attributes.at("AWS_INSTANCE_PORT"), "15000");
  EXPECT_EQ(specs[0].attributes.at("ferry.aliases"), "web:80");
  EXPECT_EQ(specs[0].attributes.at("ferry.protocol"), "http");
  EXPECT_EQ(specs[0].attributes.at("zone"), "a");
  EXPECT_EQ(specs[0].attributes.at("stack"), "blue");
  // IPv6 advertise address, an explicit id.
  env["FERRY_INSTANCE_ID"] = "task-1234";
  specs = instance_specs(config, {15000}, "fd00::5", getenv);
  EXPECT_EQ(specs[0].instance_id, "task-1234");
  EXPECT_EQ(specs[0].attributes.at("AWS_INSTANCE_IPV6"), "fd00::5");
  EXPECT_FALSE(specs[0].attributes.contains("AWS_INSTANCE_IPV4"));
  // Bad environment values stop start-up with a clear error.
  env["FERRY_INSTANCE_ID"] = "bad id";
  EXPECT_THROW(instance_specs(config, {15000}, "10.0.0.5", getenv), std::invalid_argument);
  env.erase("FERRY_INSTANCE_ID");
  env["FERRY_INSTANCE_ATTRIBUTES"] = "AWS_INSTANCE_IPV4=1.2.3.4";
  EXPECT_THROW(instance_specs(config, {15000}, "10.0.0.5", getenv), std::invalid_argument);
  env["FERRY_INSTANCE_ATTRIBUTES"] = "novalue";
  EXPECT_THROW(instance_specs(config, {15000}, "10.0.0.5", getenv), std::invalid_argument);
  EXPECT_THROW(instance_specs(config, {}, "10.0.0.5", getenv), std::invalid_argument);
}

TEST(InstanceSpecsTest, AdvertiseAddressDefaultsToAnInterfaceAddress) {
  core::ServiceConnectConfig config;
  config.advertise_address = "192.0.2.7";
  EXPECT_EQ(advertise_ip(config), "192.0.2.7");
  config.advertise_address.reset();
  const std::string ip = advertise_ip(config);
  EXPECT_TRUE(core::SocketAddress::parse(ip + ":1")) << ip;
}

}  // namespace
}  // namespace ferry::discovery
