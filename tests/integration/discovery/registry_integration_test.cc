#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "discovery/discovery_runtime.h"
#include "discovery/self_registration.h"
#include "tests/integration/control/control_support.h"
#include "tests/integration/support/process.h"

namespace ferry::discovery {
namespace {

using namespace std::chrono_literals;
using test::TempDir;
using test::control::ControlProcess;
using test::control::EtcdProcess;

// Runs the loop until `pred` holds or `timeout` passes (real time).
bool pump(boost::asio::io_context& io, const std::function<bool()>& pred,
          std::chrono::milliseconds timeout = 15s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    io.restart();
    io.run_for(10ms);
  }
  return true;
}

core::HostPort host_port(const std::string& address) {
  return *core::split_host_port(address);
}

// An application port: a listening socket nobody reads (the kernel accepts).
struct AppPort {
  AppPort() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
    ::listen(fd, 16);
    socklen_t len = sizeof sin;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sin), &len);
    port = ntohs(sin.sin_port);
  }
  ~AppPort() { ::close(fd); }
  int fd = -1;
  std::uint16_t port = 0;
};

class DiscoveryIntegrationTest : public ::testing::Test {
 protected:
  // A sidecar's config: the given replicas, a snapshot file in `state`.
  std::shared_ptr<core::ProxyConfig> sidecar(const std::vector<std::string>& replicas,
                                             const std::string& state) {
    auto c = std::make_shared<core::ProxyConfig>();
    core::ControlPlaneConfig cp;
    for (const auto& r : replicas) {
      cp.addresses.push_back(host_port(r));
    }
    cp.snapshot_path = state + "/snapshot.json";
    cp.reconnect_backoff = {100ms, 1s};
    cp.request_timeout = 2s;
    cp.watch_timeout = 5s;
    cp.heartbeat_interval = 1s;
    c->control_plane = cp;
    core::ServiceConnectConfig sc;
    sc.namespace_name = "mesh.local";
    sc.hosts_file = state + "/hosts";
    sc.advertise_address = "127.0.0.1";
    c->service_connect = sc;
    core::ClusterConfig web;
    web.name = "web";
    web.discovery = core::DiscoveryConfig{"mesh.local", "web", {}, {}};
    c->clusters.push_back(web);
    return c;
  }

  static core::ServiceConnectService web_service(std::uint16_t app_port) {
    core::ServiceConnectService s;
    s.port_name = "web";
    s.discovery_name = "web";
    s.port = app_port;
    s.app_protocol = core::AppProtocol::Http;
    s.client_aliases = {{80, "web"}};
    return s;
  }

  std::unique_ptr<DiscoveryRuntime> start(std::shared_ptr<const core::ProxyConfig> c,
                                          std::map<std::string, std::string> env = {}) {
    DiscoveryRuntimeOptions o;
    env_ = std::move(env);
    o.getenv = [this](const char* name) -> const char* {
      auto it = env_.find(name);
      return it == env_.end() ? nullptr : it->second.c_str();
    };
    auto r = std::make_unique<DiscoveryRuntime>(io, std::move(c), o);
    r->start();
    return r;
  }

  boost::asio::io_context io;
  std::map<std::string, std::string> env_;
  const core::DiscoveryConfig web_{"mesh.local", "web", {}, {}};
};

// A serving sidecar registers itself through ferry-control; a client-only
// sidecar sees the instance, its alias becomes an egress listener and a
// hosts entry, and the endpoint is the serving sidecar's ingress port.
TEST_F(DiscoveryIntegrationTest, ASidecarSeesAnotherSidecarsRegistration) {
  ControlProcess control(ControlProcess::Options{});
  TempDir server_state;
  TempDir client_state;
  AppPort app;
  auto server_config = sidecar({control.address()}, server_state.path());
  server_config->service_connect->services = {web_service(app.port)};
  auto server = start(server_config);
  server->start_registration({15001});
  auto client = start(sidecar({control.address()}, client_state.path()));
  ASSERT_TRUE(pump(io, [&] {
    auto sel = client->endpoints(web_);
    return !sel.endpoints.empty();
  })) << control.logs();
  auto sel = client->endpoints(web_);
  ASSERT_EQ(sel.endpoints.size(), 1u);
  EXPECT_EQ(sel.endpoints[0].address.to_string(), "127.0.0.1:15001");
  EXPECT_EQ(sel.endpoints[0].registry_health, filters::HealthStatus::Healthy);
  EXPECT_TRUE(client->ready());
  EXPECT_TRUE(client->connected());
  ASSERT_EQ(client->plan()->egress.size(), 1u);
  EXPECT_EQ(client->plan()->egress[0].listener.address.to_string(), "127.255.0.1:80");
  EXPECT_NE(test::read_file(client_state.path() + "/hosts").find("127.255.0.1 web"),
            std::string::npos);
  // Draining the serving sidecar removes it from the client's view.
  bool done = false;
  server->deregister([&] { done = true; });
  ASSERT_TRUE(pump(io, [&] { return done; }));
  ASSERT_TRUE(pump(io, [&] { return client->endpoints(web_).endpoints.empty(); }));
}

// Two ferry-control replicas over one etcd: the watcher fails over when its
// replica is killed and keeps following the same store (same epoch).
TEST_F(DiscoveryIntegrationTest, FailsOverBetweenReplicas) {
  EtcdProcess etcd;
  ControlProcess a(ControlProcess::with_etcd(etcd.store_url()));
  ControlProcess b(ControlProcess::with_etcd(etcd.store_url()));
  TempDir server_state;
  TempDir client_state;
  AppPort app;
  auto server_config = sidecar({b.address()}, server_state.path());
  server_config->service_connect->services = {web_service(app.port)};
  auto server = start(server_config, {{"FERRY_INSTANCE_ID", "task-1"}});
  server->start_registration({15002});
  auto client = start(sidecar({a.address(), b.address()}, client_state.path()));
  ASSERT_TRUE(pump(io, [&] { return !client->endpoints(web_).endpoints.empty(); }));
  const std::string epoch = client->snapshot("mesh.local")->epoch;
  const std::int64_t version = client->snapshot("mesh.local")->version;
  EXPECT_EQ(client->client().current_replica(), a.address());
  a.signal(SIGKILL);
  ASSERT_TRUE(a.process().wait(10s));
  // A change made through b reaches the client, now following b.
  bool done = false;
  server->deregister([&] { done = true; });
  ASSERT_TRUE(pump(io, [&] { return done; }));
  ASSERT_TRUE(pump(io, [&] { return client->endpoints(web_).endpoints.empty(); }));
  EXPECT_EQ(client->client().current_replica(), b.address());
  EXPECT_EQ(client->snapshot("mesh.local")->epoch, epoch);
  EXPECT_GT(client->snapshot("mesh.local")->version, version);
  EXPECT_TRUE(client->connected());
}

// RELIABILITY FT-01/FT-02: with ferry-control killed the sidecar keeps its
// endpoints and stays ready; restarted during the outage it comes back with
// them from its snapshot file; when ferry-control returns it reconnects.
TEST_F(DiscoveryIntegrationTest, TheSnapshotSurvivesAControlPlaneKillAndASidecarRestart) {
  TempDir data;
  ControlProcess::Options options;
  options.data_dir = data.path();
  auto control = std::make_unique<ControlProcess>(options);
  const std::string address = control->address();
  TempDir server_state;
  TempDir client_state;
  AppPort app;
  auto server_config = sidecar({address}, server_state.path());
  server_config->service_connect->services = {web_service(app.port)};
  auto server = start(server_config);
  server->start_registration({15003});
  auto client = start(sidecar({address}, client_state.path()));
  ASSERT_TRUE(pump(io, [&] { return !client->endpoints(web_).endpoints.empty(); }));
  server.reset();  // no deregistration: the task just vanished with the control plane

  control->signal(SIGKILL);
  ASSERT_TRUE(control->process().wait(10s));
  ASSERT_TRUE(pump(io, [&] { return !client->connected(); }));
  EXPECT_TRUE(client->ready());
  EXPECT_EQ(client->endpoints(web_).endpoints.size(), 1u);

  // The sidecar restarts while ferry-control is still down.
  client.reset();
  auto restarted = start(sidecar({address}, client_state.path()));
  EXPECT_TRUE(restarted->ready());
  EXPECT_FALSE(restarted->connected());
  EXPECT_EQ(restarted->endpoints(web_).endpoints.size(), 1u);
  EXPECT_EQ(restarted->plan()->egress.size(), 1u);
  pump(
      io, [] { return false; }, 1500ms);  // a few failed reconnects meanwhile
  EXPECT_TRUE(restarted->ready());
  EXPECT_GT(restarted->watcher("mesh.local")->stats().failures, 1u);

  // ferry-control returns on the same address with the same store.
  options.listen = address;
  control = std::make_unique<ControlProcess>(options);
  ASSERT_TRUE(pump(io, [&] { return restarted->connected(); })) << control->logs();
  EXPECT_EQ(restarted->endpoints(web_).endpoints.size(), 1u);
  EXPECT_EQ(restarted->snapshot_age_seconds(), 0.0);
}

// SigV4 against ferry-control --credentials: the right key follows the
// registry, a wrong one is refused (403) and never connects.
TEST_F(DiscoveryIntegrationTest, SignsWithTheCredentialsFile) {
  TempDir dir;
  const std::string server_keys = dir.path() + "/server";
  std::ofstream(server_keys) << "[default]\naws_access_key_id = AKIDMESH\n"
                                "aws_secret_access_key = mesh-secret\n";
  const std::string good = dir.path() + "/good";
  std::ofstream(good) << "[sidecar]\naws_access_key_id = AKIDMESH\n"
                         "aws_secret_access_key = mesh-secret\n";
  const std::string bad = dir.path() + "/bad";
  std::ofstream(bad) << "[default]\naws_access_key_id = AKIDMESH\n"
                        "aws_secret_access_key = wrong\n";
  ControlProcess control(ControlProcess::with_credentials(server_keys));
  TempDir good_state;
  TempDir bad_state;
  AppPort app;
  auto good_config = sidecar({control.address()}, good_state.path());
  good_config->control_plane->credentials_file = good;
  good_config->service_connect->services = {web_service(app.port)};
  auto signer = start(good_config, {{"AWS_PROFILE", "sidecar"}});
  signer->start_registration({15004});
  ASSERT_TRUE(pump(io, [&] { return signer->registration()->registered(); })) << control.logs();
  ASSERT_TRUE(pump(io, [&] { return signer->ready() && signer->connected(); }));

  auto bad_config = sidecar({control.address()}, bad_state.path());
  bad_config->control_plane->credentials_file = bad;
  auto refused = start(bad_config);
  ASSERT_TRUE(pump(io, [&] { return refused->watcher("mesh.local")->stats().failures >= 2; }));
  EXPECT_FALSE(refused->connected());
  EXPECT_FALSE(refused->ready());
  EXPECT_EQ(refused->namespaces_not_ready(), (std::vector<std::string>{"mesh.local"}));
  EXPECT_NE(control.logs().find("InvalidSignatureException"), std::string::npos);
  EXPECT_EQ(control.logs().find("wrong"), std::string::npos);  // never the secret
}

}  // namespace
}  // namespace ferry::discovery
