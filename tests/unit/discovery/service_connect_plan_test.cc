#include "discovery/service_connect_plan.h"

#include <gtest/gtest.h>

#include "proxy/core/config/schema_checks.h"
#include "tests/unit/discovery/snapshot_json.h"

namespace ferry::discovery {
namespace {

using test::instance_json;
using test::service_json;
using test::snapshot_json;
namespace json = boost::json;

json::object published(const std::string& aliases, const std::string& protocol = "http",
                       const std::string& idle = "", const std::string& request = "") {
  json::object o{{"ferry.aliases", aliases}, {"ferry.protocol", protocol}};
  if (!idle.empty()) {
    o["ferry.idle_timeout_seconds"] = idle;
  }
  if (!request.empty()) {
    o["ferry.request_timeout_seconds"] = request;
  }
  return o;
}

NamespaceSnapshot parse(const std::string& text) {
  auto p = parse_snapshot(text, {});
  EXPECT_TRUE(p.snapshot) << p.error;
  return *p.snapshot;
}

core::ServiceConnectConfig client_only() {
  core::ServiceConnectConfig c;
  c.namespace_name = "mesh.local";
  return c;
}

core::ServiceConnectService http_service(const std::string& name, std::uint16_t port) {
  core::ServiceConnectService s;
  s.port_name = name;
  s.discovery_name = name;
  s.port = port;
  s.app_protocol = core::AppProtocol::Http;
  s.idle_timeout_seconds = 300;
  s.per_request_timeout_seconds = 15;
  return s;
}

const EgressPlan* egress(const ServiceConnectPlan& plan, const std::string& name,
                         std::uint16_t port) {
  for (const auto& e : plan.egress) {
    if (e.dns_name == name && e.port == port) {
      return &e;
    }
  }
  return nullptr;
}

TEST(ServiceConnectPlanTest, IngressListenerPerServiceInFrontOfTheApp) {
  core::ServiceConnectConfig c = client_only();
  auto web = http_service("web", 8080);
  web.ingress_port_override = 15000;
  web.per_request_timeout_seconds = 30;
  core::ServiceConnectService db;
  db.port_name = "db";
  db.discovery_name = "postgres";
  db.port = 5432;
  db.app_protocol = core::AppProtocol::Tcp;
  db.idle_timeout_seconds = 3600;
  db.per_request_timeout_seconds.reset();
  c.services = {web, db};
  auto plan = plan_service_connect(c, nullptr, nullptr);
  ASSERT_EQ(plan.ingress.size(), 2u);
  const IngressPlan& i0 = plan.ingress[0];
  EXPECT_EQ(i0.listener.name, "sc.ingress.web");
  EXPECT_EQ(i0.listener.address.to_string(), "0.0.0.0:15000");
  EXPECT_EQ(i0.listener.protocol, core::ListenerProtocol::Http);
  EXPECT_EQ(i0.listener.direction, core::Direction::Ingress);
  EXPECT_EQ(i0.listener.idle_timeout, std::chrono::seconds(300));
  EXPECT_EQ(i0.listener.request_timeout, std::chrono::seconds(30));
  EXPECT_EQ(*i0.listener.cluster, "sc.app.web");
  EXPECT_EQ(i0.app_cluster.name, "sc.app.web");
  ASSERT_EQ(i0.app_cluster.endpoints.size(), 1u);
  EXPECT_EQ(i0.app_cluster.endpoints[0].host, "127.0.0.1");
  EXPECT_EQ(i0.app_cluster.endpoints[0].port, 8080);
  EXPECT_FALSE(i0.app_cluster.retry_policy);
  const IngressPlan& i1 = plan.ingress[1];
  EXPECT_EQ(i1.service, "postgres");
  EXPECT_EQ(i1.listener.address.to_string(), "0.0.0.0:0");  // any free port
  EXPECT_EQ(i1.listener.protocol, core::ListenerProtocol::Tcp);
  EXPECT_EQ(i1.listener.idle_timeout, std::chrono::seconds(3600));
  // IPv6 advertise address: listen on [::].
  c.advertise_address = "fd00::1";
  EXPECT_EQ(plan_service_connect(c, nullptr, nullptr).ingress[0].listener.address.to_string(),
            "[::]:15000");
}

TEST(ServiceConnectPlanTest, EgressListenerPerAliasSeenInTheNamespace) {
  auto snap = parse(snapshot_json(
      "mesh.local", 1,
      {service_json(
           "backend", "srv-b",
           {instance_json("i1", "10.0.0.1", 15000, "HEALTHY",
                          published("backend:80,backend.mesh.local:8080", "http", "", "60"))}),
       service_json(
           "cache", "srv-c",
           {instance_json("i2", "10.0.0.2", 15001, "HEALTHY", published("cache:6379", "tcp"))}),
       service_json("plain", "srv-p", {instance_json("i3", "10.0.0.3", 80)})}));
  auto plan = plan_service_connect(client_only(), &snap, nullptr);
  EXPECT_TRUE(plan.ingress.empty());
  ASSERT_EQ(plan.egress.size(), 3u);
  const EgressPlan* b = egress(plan, "backend", 80);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->service, "backend");
  EXPECT_EQ(b->listener.direction, core::Direction::Egress);
  EXPECT_EQ(b->listener.protocol, core::ListenerProtocol::Http);
  EXPECT_EQ(b->listener.request_timeout, std::chrono::seconds(60));  // published
  EXPECT_EQ(b->listener.idle_timeout, std::chrono::seconds(300));    // default
  EXPECT_EQ(*b->listener.cluster, "sc.service.backend");
  const EgressPlan* c = egress(plan, "cache", 6379);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->listener.protocol, core::ListenerProtocol::Tcp);
  EXPECT_EQ(c->listener.idle_timeout, std::chrono::seconds(3600));
  // Each dnsName its own loopback address; both ports of a name share one.
  std::set<std::string> ips;
  for (const auto& e : plan.egress) {
    ips.insert(e.listener.address.ip_string());
    EXPECT_TRUE(e.listener.address.ip_string().starts_with("127.255.0."));
  }
  EXPECT_EQ(ips.size(), 3u);
  EXPECT_EQ(plan.hosts.size(), 3u);
  // One cluster per serving service, with Service Connect's defaults.
  ASSERT_EQ(plan.clusters.size(), 2u);
  const core::ClusterConfig& cluster = plan.clusters[0];
  EXPECT_EQ(cluster.name, "sc.service.backend");
  ASSERT_TRUE(cluster.discovery);
  EXPECT_EQ(cluster.discovery->namespace_name, "mesh.local");
  EXPECT_EQ(cluster.discovery->service, "backend");
  EXPECT_EQ(cluster.lb_policy, core::LbPolicy::RoundRobin);
  ASSERT_TRUE(cluster.retry_policy);
  EXPECT_EQ(cluster.retry_policy->num_retries, 2u);
  EXPECT_TRUE(cluster.retry_policy->retries_on(core::RetryOn::ConnectFailure));
  EXPECT_TRUE(cluster.retry_policy->retries_on(core::RetryOn::RefusedStream));
  EXPECT_EQ(cluster.retry_policy->retriable_status_codes, (std::vector<std::uint16_t>{503}));
  EXPECT_FALSE(cluster.retry_policy->retries_on(core::RetryOn::FiveXx));
  EXPECT_TRUE(cluster.outlier_detection);
  // Names are valid config identifiers.
  for (const auto& l : plan.listeners()) {
    EXPECT_TRUE(core::is_identifier(l.name)) << l.name;
  }
  for (const auto& cl : plan.all_clusters()) {
    EXPECT_TRUE(core::is_identifier(cl.name)) << cl.name;
  }
}

TEST(ServiceConnectPlanTest, LoopbackAddressesAreStableAndNotReusedAtOnce) {
  auto with = [](std::vector<std::string> names) {
    std::vector<json::object> services;
    int n = 0;
    for (const auto& name : names) {
      services.push_back(service_json(name, "srv-" + std::to_string(++n),
                                      {instance_json("i", "10.0.0." + std::to_string(n), 80,
                                                     "HEALTHY", published(name + ":80"))}));
    }
    return parse(snapshot_json("mesh.local", 1, std::move(services)));
  };
  auto s1 = with({"b", "c"});
  auto p1 = plan_service_connect(client_only(), &s1, nullptr);
  const std::string b_ip = egress(p1, "b", 80)->listener.address.ip_string();
  const std::string c_ip = egress(p1, "c", 80)->listener.address.ip_string();
  // "a" appears (sorting before both): b and c keep their addresses.
  auto s2 = with({"a", "b", "c"});
  auto p2 = plan_service_connect(client_only(), &s2, &p1);
  EXPECT_EQ(egress(p2, "b", 80)->listener.address.ip_string(), b_ip);
  EXPECT_EQ(egress(p2, "c", 80)->listener.address.ip_string(), c_ip);
  const std::string a_ip = egress(p2, "a", 80)->listener.address.ip_string();
  EXPECT_NE(a_ip, b_ip);
  EXPECT_NE(a_ip, c_ip);
  // b goes away, d comes: d does not get b's address right away.
  auto s3 = with({"a", "c", "d"});
  auto p3 = plan_service_connect(client_only(), &s3, &p2);
  EXPECT_EQ(egress(p3, "a", 80)->listener.address.ip_string(), a_ip);
  EXPECT_NE(egress(p3, "d", 80)->listener.address.ip_string(), b_ip);
  EXPECT_EQ(egress(p3, "b", 80), nullptr);
  // The hosts entries follow.
  for (const auto& h : p3.hosts) {
    EXPECT_EQ(h.address, egress(p3, h.name, 80)->listener.address.ip_string());
  }
}

TEST(ServiceConnectPlanTest, SlotAddressesSkipZeroAndBroadcastOctets) {
  EXPECT_EQ(address_of_slot(1), "127.255.0.1");
  EXPECT_EQ(address_of_slot(254), "127.255.0.254");
  EXPECT_EQ(address_of_slot(255), "127.255.1.1");
  EXPECT_EQ(address_of_slot(kMaxLoopbackSlots), "127.255.255.254");
  EXPECT_EQ(address_of_slot(1, "127.254.0.0/16"), "127.254.0.1");
  EXPECT_EQ(address_of_slot(255, "127.9.0.0/16"), "127.9.1.1");
}

TEST(ServiceConnectPlanTest, ConflictingClaimsGoToThePreviousOwnerElseTheFirstName) {
  auto snap = parse(snapshot_json(
      "mesh.local", 1,
      {service_json("zeta", "srv-z",
                    {instance_json("i1", "10.0.0.1", 80, "HEALTHY", published("shared:80"))}),
       service_json("alpha", "srv-a",
                    {instance_json("i2", "10.0.0.2", 80, "HEALTHY", published("shared:80"))})}));
  auto first = plan_service_connect(client_only(), &snap, nullptr);
  EXPECT_EQ(egress(first, "shared", 80)->service, "alpha");
  ASSERT_EQ(first.warnings.size(), 1u);
  EXPECT_NE(first.warnings[0].find("shared:80"), std::string::npos);
  // Had zeta owned it before, zeta keeps it.
  ServiceConnectPlan before = first;
  before.egress[0].service = "zeta";
  auto second = plan_service_connect(client_only(), &snap, &before);
  EXPECT_EQ(egress(second, "shared", 80)->service, "zeta");
}

TEST(ServiceConnectPlanTest, OwnAliasesAreListenedToBeforeTheRegistryHasThem) {
  core::ServiceConnectConfig c = client_only();
  auto web = http_service("web", 8080);
  web.client_aliases = {{80, "web"}};
  c.services = {web};
  auto plan = plan_service_connect(c, nullptr, nullptr);
  ASSERT_NE(egress(plan, "web", 80), nullptr);
  EXPECT_EQ(plan.clusters.size(), 1u);
  ASSERT_EQ(plan.hosts.size(), 1u);
  EXPECT_EQ(plan.hosts[0], (HostsEntry{"127.255.0.1", "web"}));
}

TEST(ServiceConnectPlanTest, SettingsComeFromAHealthyInstanceAndAliasesFromAll) {
  // A rollout: the old task (unhealthy) publishes tcp and alias old:80, the
  // new one http and alias new:80. Both aliases exist; the healthy one's
  // protocol wins for all of them.
  auto snap = parse(snapshot_json(
      "mesh.local", 1,
      {service_json(
          "svc", "srv-s",
          {instance_json("a-old", "10.0.0.1", 80, "UNHEALTHY", published("old:80", "tcp")),
           instance_json("b-new", "10.0.0.2", 80, "HEALTHY", published("new:80", "http"))})}));
  auto plan = plan_service_connect(client_only(), &snap, nullptr);
  ASSERT_NE(egress(plan, "old", 80), nullptr);
  ASSERT_NE(egress(plan, "new", 80), nullptr);
  EXPECT_EQ(egress(plan, "old", 80)->listener.protocol, core::ListenerProtocol::Http);
}

TEST(ServiceConnectPlanTest, Http2AndGrpcRunAsTcpUntilTheRuntimeSpeaksH2c) {
  auto snap = parse(snapshot_json("mesh.local", 1,
                                  {service_json("rpc", "srv-r",
                                                {instance_json("i", "10.0.0.1", 80, "HEALTHY",
                                                               published("rpc:50051", "grpc"))})}));
  auto plan = plan_service_connect(client_only(), &snap, nullptr);
  EXPECT_EQ(egress(plan, "rpc", 50051)->listener.protocol, core::ListenerProtocol::Tcp);
  EXPECT_EQ(egress(plan, "rpc", 50051)->app_protocol, core::AppProtocol::Grpc);
}

TEST(ServiceConnectPlanTest, IdentifiersAreSanitisedAndBounded) {
  EXPECT_EQ(make_identifier("sc.service.", "api"), "sc.service.api");
  const std::string odd = make_identifier("sc.service.", "a b");
  EXPECT_TRUE(core::is_identifier(odd)) << odd;
  EXPECT_NE(odd, make_identifier("sc.service.", "a_b"));
  const std::string long_name = make_identifier("sc.egress.", std::string(300, 'x'));
  EXPECT_EQ(long_name.size(), 128u);
  EXPECT_TRUE(core::is_identifier(long_name));
  EXPECT_NE(long_name, make_identifier("sc.egress.", std::string(301, 'x')));
}

}  // namespace
}  // namespace ferry::discovery
