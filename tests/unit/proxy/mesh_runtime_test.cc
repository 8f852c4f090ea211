#include "proxy/mesh_runtime.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "discovery/discovery_runtime.h"
#include "discovery/namespace_snapshot.h"
#include "discovery/snapshot_store.h"

namespace ferry::proxy {
namespace {

using namespace std::chrono_literals;

// A scratch directory for the snapshot file, removed at the end.
class ScratchDir {
 public:
  ScratchDir() {
    char pattern[] = "/tmp/ferry-mesh-unit.XXXXXX";
    path_ = ::mkdtemp(pattern);
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A sidecar that serves `api` (app on 8080, alias api:80) and has a static
// listener and a discovery cluster of its own. ferry-control is on a port
// nobody listens on: these tests never reach it.
std::shared_ptr<core::ProxyConfig> sidecar_config(const ScratchDir& dir) {
  auto c = std::make_shared<core::ProxyConfig>();
  core::ControlPlaneConfig cp;
  cp.addresses.push_back(core::HostPort{"127.0.0.1", 9});
  cp.snapshot_path = dir.file("snapshot.json");
  c->control_plane = cp;
  core::ServiceConnectConfig sc;
  sc.namespace_name = "mesh.local";
  sc.advertise_address = "127.0.0.1";
  core::ServiceConnectService api;
  api.port_name = "api";
  api.discovery_name = "api";
  api.port = 8080;
  api.app_protocol = core::AppProtocol::Http;
  api.client_aliases = {{80, "api"}};
  sc.services.push_back(api);
  c->service_connect = sc;
  core::ListenerConfig web;
  web.name = "web";
  web.address = *core::SocketAddress::parse("127.0.0.1:0");
  web.cluster = "orders";
  c->listeners.push_back(web);
  core::ClusterConfig orders;
  orders.name = "orders";
  orders.discovery = core::DiscoveryConfig{"shop", "orders", {{"stage", "prod"}}, {}};
  c->clusters.push_back(orders);
  return c;
}

// A snapshot file holding namespace `shop` with three `orders` instances
// (one canary) and `mesh.local` with a `billing` service publishing an alias.
void write_snapshot_file(const std::string& path) {
  const char* shop = R"({"namespace":"shop","epoch":"e1","version":3,"services":[
    {"id":"srv-orders","name":"orders","instances":[
      {"id":"a","health":"HEALTHY","attributes":{"AWS_INSTANCE_IPV4":"10.0.0.1",
        "AWS_INSTANCE_PORT":"8080","stage":"prod"}},
      {"id":"b","health":"UNHEALTHY","attributes":{"AWS_INSTANCE_IPV4":"10.0.0.2",
        "AWS_INSTANCE_PORT":"8080","stage":"prod"}},
      {"id":"c","health":"HEALTHY","attributes":{"AWS_INSTANCE_IPV4":"10.0.0.3",
        "AWS_INSTANCE_PORT":"8080","stage":"canary"}}]}]})";
  const char* mesh = R"({"namespace":"mesh.local","epoch":"e1","version":1,"services":[
    {"id":"srv-billing","name":"billing","instances":[
      {"id":"x","health":"HEALTHY","attributes":{"AWS_INSTANCE_IPV4":"10.0.1.1",
        "AWS_INSTANCE_PORT":"15000","ferry.aliases":"billing:9000"}}]}]})";
  discovery::StoredSnapshots stored;
  stored.saved_at = std::chrono::system_clock::now();
  for (const char* text : {shop, mesh}) {
    discovery::SnapshotParse parsed = discovery::parse_snapshot(text, {});
    ASSERT_TRUE(parsed.snapshot.has_value()) << parsed.error;
    const std::string name = parsed.snapshot->namespace_name;
    stored.namespaces[name] =
        std::make_shared<const discovery::NamespaceSnapshot>(std::move(*parsed.snapshot));
  }
  std::ofstream(path) << discovery::SnapshotStore::encode(stored);
}

TEST(MeshRuntime, EffectiveConfigIsTheUsersPlusTheServiceConnectPlan) {
  ScratchDir dir;
  boost::asio::io_context io;
  auto user = sidecar_config(dir);
  MeshRuntime mesh(io, user);
  mesh.start();
  const auto effective = mesh.effective();
  ASSERT_EQ(effective->listeners.size(), 3u);
  EXPECT_EQ(effective->listeners[0].name, "web");  // the user's first
  EXPECT_EQ(effective->listeners[1].name, "sc.ingress.api");
  // The task's own clientAliases count at once (it may call itself).
  EXPECT_EQ(effective->listeners[2].name, "sc.egress.api.80");
  EXPECT_NE(effective->find_cluster("sc.service.api"), nullptr);
  EXPECT_EQ(user->listeners.size(), 1u);  // the user's config is not touched
  ASSERT_NE(effective->find_cluster("sc.app.api"), nullptr);
  EXPECT_EQ(effective->find_cluster("sc.app.api")->endpoints.at(0).port, 8080);
  EXPECT_NE(effective->find_cluster("orders"), nullptr);
  // Nothing followed has an answer yet: not ready, not connected.
  EXPECT_FALSE(mesh.ready());
  EXPECT_FALSE(mesh.connected());
  EXPECT_FALSE(mesh.snapshot_age_seconds().has_value());
  mesh.stop();
}

TEST(MeshRuntime, HostsComeFromTheSnapshotWithIdentityAndRegistryHealth) {
  ScratchDir dir;
  write_snapshot_file(dir.file("snapshot.json"));
  boost::asio::io_context io;
  auto user = sidecar_config(dir);
  MeshRuntime mesh(io, user);
  mesh.start();
  EXPECT_TRUE(mesh.ready());  // from the file, ferry-control unreachable
  HostRegistry registry;
  std::vector<std::shared_ptr<filters::Host>> hosts;
  mesh.add_hosts(user->clusters[0], registry, hosts);
  // HEALTHY instances of stage=prod only (the unhealthy and the canary are out).
  ASSERT_EQ(hosts.size(), 1u);
  EXPECT_EQ(hosts[0]->address_text(), "10.0.0.1:8080");
  EXPECT_EQ(hosts[0]->state.registry_health.load(), filters::HealthStatus::Healthy);
  // The same endpoint again is the same Host object.
  std::vector<std::shared_ptr<filters::Host>> again;
  mesh.add_hosts(user->clusters[0], registry, again);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].get(), hosts[0].get());
  // A static cluster gets nothing from the mesh.
  core::ClusterConfig plain;
  plain.name = "plain";
  std::vector<std::shared_ptr<filters::Host>> none;
  mesh.add_hosts(plain, registry, none);
  EXPECT_TRUE(none.empty());
  // The billing alias from the file is an egress listener and a cluster.
  const auto effective = mesh.effective();
  const core::ListenerConfig* egress = effective->find_listener("sc.egress.billing.9000");
  ASSERT_NE(egress, nullptr);
  EXPECT_EQ(egress->address.to_string().rfind("127.255.0.", 0), 0u);
  EXPECT_EQ(egress->address.port(), 9000);
  EXPECT_EQ(egress->direction, core::Direction::Egress);
  ASSERT_NE(effective->find_cluster("sc.service.billing"), nullptr);
  mesh.stop();
}

TEST(MeshRuntime, ServiceLabelsNameTheServicesOnEachSide) {
  ScratchDir dir;
  write_snapshot_file(dir.file("snapshot.json"));
  boost::asio::io_context io;
  MeshRuntime mesh(io, sidecar_config(dir));
  mesh.start();
  const auto labels = mesh.service_labels();
  EXPECT_EQ(labels.at("sc.ingress.api").source, "");
  EXPECT_EQ(labels.at("sc.ingress.api").target, "api");
  EXPECT_EQ(labels.at("sc.app.api").target, "api");
  EXPECT_EQ(labels.at("sc.egress.billing.9000").source, "api");
  EXPECT_EQ(labels.at("sc.egress.billing.9000").target, "billing");
  EXPECT_EQ(labels.at("sc.service.billing").source, "api");
  EXPECT_EQ(labels.at("sc.service.billing").target, "billing");
  EXPECT_EQ(labels.count("web"), 0u);
  mesh.stop();
}

TEST(MeshRuntime, ServesOnlyConfigsWithTheSameRegistryView) {
  ScratchDir dir;
  boost::asio::io_context io;
  auto user = sidecar_config(dir);
  MeshRuntime mesh(io, user);
  EXPECT_TRUE(mesh.serves(*user));
  auto static_change = std::make_shared<core::ProxyConfig>(*user);
  static_change->listeners[0].idle_timeout = 10s;
  static_change->clusters[0].discovery->query_parameters.clear();  // same namespace
  EXPECT_TRUE(mesh.serves(*static_change));
  auto new_namespace = std::make_shared<core::ProxyConfig>(*user);
  new_namespace->clusters[0].discovery->namespace_name = "other";
  EXPECT_FALSE(mesh.serves(*new_namespace));
  auto new_control_plane = std::make_shared<core::ProxyConfig>(*user);
  new_control_plane->control_plane->heartbeat_interval = 9s;
  EXPECT_FALSE(mesh.serves(*new_control_plane));
  auto new_service_connect = std::make_shared<core::ProxyConfig>(*user);
  new_service_connect->service_connect->services.clear();
  EXPECT_FALSE(mesh.serves(*new_service_connect));
  EXPECT_TRUE(MeshRuntime::needed(*user));
  core::ProxyConfig plain;
  EXPECT_FALSE(MeshRuntime::needed(plain));
}

}  // namespace
}  // namespace ferry::proxy
