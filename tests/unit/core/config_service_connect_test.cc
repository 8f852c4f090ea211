// service_connect: ECS Service Connect's shape, casing and defaults.

#include <string>

#include <gtest/gtest.h>

#include "config_test_support.h"

namespace ferry::core {
namespace {

using testing::parse_ok;
using testing::rejects;

TEST(ServiceConnectConfig, DefaultsFollowEcs) {
  const ProxyConfig config = parse_ok(R"(
control_plane: {addresses: [127.0.0.1:9000]}
service_connect:
  namespace: mesh.local
  services:
    - portName: api
      port: 8080
    - portName: web
      port: 8081
      appProtocol: http
      clientAliases: [{port: 80}, {port: 8080, dnsName: web}]
)");
  ASSERT_TRUE(config.service_connect.has_value());
  const ServiceConnectConfig& sc = *config.service_connect;
  EXPECT_EQ(sc.namespace_name, "mesh.local");
  EXPECT_FALSE(sc.hosts_file.has_value());
  EXPECT_FALSE(sc.advertise_address.has_value());
  ASSERT_EQ(sc.services.size(), 2u);

  // No appProtocol: tcp, as in ECS; tcp idles for an hour and has no
  // per-request timeout.
  const ServiceConnectService& api = sc.services[0];
  EXPECT_EQ(api.app_protocol, AppProtocol::Tcp);
  EXPECT_EQ(api.discovery_name, "api");
  EXPECT_EQ(api.ingress_port_override, 0);
  EXPECT_TRUE(api.client_aliases.empty());
  EXPECT_EQ(api.idle_timeout_seconds, 3600u);
  EXPECT_FALSE(api.per_request_timeout_seconds.has_value());

  const ServiceConnectService& web = sc.services[1];
  EXPECT_EQ(web.app_protocol, AppProtocol::Http);
  EXPECT_EQ(web.idle_timeout_seconds, 300u);
  EXPECT_EQ(web.per_request_timeout_seconds, 15u);
  ASSERT_EQ(web.client_aliases.size(), 2u);
  EXPECT_EQ(web.client_aliases[0].port, 80);
  EXPECT_EQ(web.client_aliases[0].dns_name, "web.mesh.local");  // discoveryName.namespace
  EXPECT_EQ(web.client_aliases[1].dns_name, "web");
  // A task with service_connect needs no listeners of its own.
  EXPECT_TRUE(config.listeners.empty());
}

TEST(ServiceConnectConfig, ExplicitValues) {
  const ProxyConfig config = parse_ok(R"(
control_plane: {addresses: [127.0.0.1:9000]}
service_connect:
  namespace: mesh.local
  hosts_file: /etc/hosts
  advertise_address: 10.0.1.5
  services:
    - portName: http
      port: 8080
      appProtocol: grpc
      discoveryName: backend
      ingressPortOverride: 15000
      clientAliases: [{port: 80, dnsName: backend}]
      timeout: {idleTimeoutSeconds: 0, perRequestTimeoutSeconds: 0}
)");
  const ServiceConnectConfig& sc = *config.service_connect;
  EXPECT_EQ(sc.hosts_file, "/etc/hosts");
  EXPECT_EQ(sc.advertise_address, "10.0.1.5");
  const ServiceConnectService& s = sc.services[0];
  EXPECT_EQ(s.app_protocol, AppProtocol::Grpc);
  EXPECT_EQ(s.discovery_name, "backend");
  EXPECT_EQ(s.ingress_port_override, 15000);
  EXPECT_EQ(s.idle_timeout_seconds, 0u);
  EXPECT_EQ(s.per_request_timeout_seconds, 0u);
}

TEST(ServiceConnectConfig, ClientOnlyTask) {
  const ProxyConfig config = parse_ok(R"(
control_plane: {addresses: [127.0.0.1:9000]}
service_connect: {namespace: mesh.local}
)");
  EXPECT_TRUE(config.service_connect->services.empty());
}

TEST(ServiceConnectConfig, RequiredKeys) {
  const std::string text = R"(
control_plane: {addresses: [127.0.0.1:9000]}
service_connect:
  services:
    - appProtocol: http
)";
  EXPECT_TRUE(rejects(text, 2, "service_connect.namespace", "is required"));
  EXPECT_TRUE(rejects(text, 4, "service_connect.services[0].portName", "is required"));
  EXPECT_TRUE(rejects(text, 4, "service_connect.services[0].port", "is required"));
}

TEST(ServiceConnectConfig, NamesFollowEcsAndDnsRules) {
  const std::string text = R"(
control_plane: {addresses: [127.0.0.1:9000]}
service_connect:
  namespace: "mesh local"
  advertise_address: 10.0.1.5:80
  services:
    - portName: Http
      port: 8080
      discoveryName: -backend
      clientAliases: [{port: 80, dnsName: "bad_name!"}]
)";
  EXPECT_TRUE(rejects(text, 3, "service_connect.namespace", "invalid namespace"));
  EXPECT_TRUE(rejects(text, 4, "service_connect.advertise_address", "invalid advertise_address"));
  EXPECT_TRUE(
      rejects(text, 6, "service_connect.services[0].portName", "invalid portName \"Http\""));
  EXPECT_TRUE(rejects(text, 8, "service_connect.services[0].discoveryName",
                      "invalid discoveryName \"-backend\""));
  EXPECT_TRUE(
      rejects(text, 9, "service_connect.services[0].clientAliases[0].dnsName", "invalid dnsName"));
}

TEST(ServiceConnectConfig, Ports) {
  const std::string text = R"(
control_plane: {addresses: [127.0.0.1:9000]}
service_connect:
  namespace: mesh.local
  services:
    - portName: a
      port: 0
      ingressPortOverride: 70000
      clientAliases: [{port: 65536}]
)";
  EXPECT_TRUE(rejects(text, 6, "service_connect.services[0].port", "must be between 1 and 65535"));
  EXPECT_TRUE(rejects(text, 7, "service_connect.services[0].ingressPortOverride",
                      "must be between 0 and 65535"));
  EXPECT_TRUE(rejects(text, 8, "service_connect.services[0].clientAliases[0].port",
                      "must be between 1 and 65535"));
}

TEST(ServiceConnectConfig, Duplicates) {
  const std::string text = R"(
control_plane: {addresses: [127.0.0.1:9000]}
service_connect:
  namespace: mesh.local
  services:
    - {portName: a, port: 8080, ingressPortOverride: 15000, clientAliases: [{port: 80, dnsName: x}]}
    - portName: a
      port: 8081
      discoveryName: b
    - portName: c
      port: 8082
      discoveryName: b
      ingressPortOverride: 15000
      clientAliases: [{port: 80, dnsName: x}]
)";
  EXPECT_TRUE(rejects(text, 6, "service_connect.services[1].portName", "duplicate portName \"a\""));
  EXPECT_TRUE(rejects(text, 11, "service_connect.services[2].discoveryName",
                      "duplicate discoveryName \"b\""));
  EXPECT_TRUE(rejects(text, 12, "service_connect.services[2].ingressPortOverride",
                      "duplicate ingressPortOverride 15000"));
  EXPECT_TRUE(rejects(text, 13, "service_connect.services[2].clientAliases[0]",
                      "duplicate client alias x:80"));
}

TEST(ServiceConnectConfig, TcpTakesNoPerRequestTimeout) {
  EXPECT_TRUE(rejects(R"(
control_plane: {addresses: [127.0.0.1:9000]}
service_connect:
  namespace: mesh.local
  services:
    - portName: db
      port: 5432
      timeout: {idleTimeoutSeconds: 60, perRequestTimeoutSeconds: 5}
)",
                      7, "service_connect.services[0].timeout.perRequestTimeoutSeconds",
                      "not allowed when appProtocol is tcp"));
}

TEST(ServiceConnectConfig, KeysKeepEcsCasing) {
  EXPECT_TRUE(rejects(R"(
control_plane: {addresses: [127.0.0.1:9000]}
service_connect:
  namespace: mesh.local
  services:
    - port_name: a
      port: 8080
)",
                      5, "service_connect.services[0].port_name",
                      "unknown key (did you mean \"portName\"?)"));
}

TEST(ServiceConnectConfig, NeedsControlPlane) {
  EXPECT_TRUE(rejects(R"(
service_connect:
  namespace: mesh.local
)",
                      1, "service_connect", "needs control_plane"));
}

}  // namespace
}  // namespace ferry::core

namespace ferry::core {
namespace {

TEST(ServiceConnectConfig, EgressNetworkIsALoopbackSlash16) {
  const LoadResult ok = testing::parse(R"(
control_plane: {addresses: [127.0.0.1:9000]}
service_connect: {namespace: mesh, egress_network: 127.254.0.0/16}
)");
  ASSERT_TRUE(ok.ok()) << testing::describe(ok.errors);
  EXPECT_EQ(ok.config->service_connect->egress_network, "127.254.0.0/16");
  const LoadResult fallback = testing::parse(R"(
control_plane: {addresses: [127.0.0.1:9000]}
service_connect: {namespace: mesh}
)");
  ASSERT_TRUE(fallback.ok()) << testing::describe(fallback.errors);
  EXPECT_EQ(fallback.config->service_connect->egress_network, "127.255.0.0/16");
  for (const char* bad : {"10.0.0.0/16", "127.0.0.0/16", "127.256.0.0/16", "127.01.0.0/16",
                          "127.5.0.0/24", "127.5.1.0/16", "127..0.0/16"}) {
    const std::string text = std::string("control_plane: {addresses: [127.0.0.1:9000]}\n") +
                             "service_connect: {namespace: mesh, egress_network: \"" + bad +
                             "\"}\n";
    EXPECT_TRUE(
        testing::rejects(text, 2, "service_connect.egress_network", "invalid egress_network"))
        << bad;
  }
}

}  // namespace
}  // namespace ferry::core
