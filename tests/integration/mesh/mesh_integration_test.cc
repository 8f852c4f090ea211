// The mesh end to end: a real ferry-control, backend tasks (an application
// and its ferry-proxy sidecar with service_connect) and a client sidecar,
// all on loopback; traffic from ferry-load through the client's egress
// listener. Every wait is bounded.
#include <algorithm>
#include <cmath>
#include <csignal>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "tests/integration/control/control_support.h"
#include "tests/integration/mesh/mesh_support.h"
#include "tests/integration/support/net.h"
#include "tests/integration/support/process.h"

namespace ferry::test::mesh {
namespace {

using namespace std::chrono_literals;
using control::ControlProcess;
namespace json = boost::json;

constexpr const char* kBackendCluster = "sc.service.backend";

// Holds for the whole window (an observation, not a wait for a change).
template <typename Pred>
bool holds_for(Pred&& pred, std::chrono::milliseconds window) {
  const auto end = std::chrono::steady_clock::now() + window;
  while (std::chrono::steady_clock::now() < end) {
    if (!pred()) {
      return false;
    }
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

class MeshTest : public ::testing::Test {
 protected:
  MeshTest() : alias_port_(static_cast<std::uint16_t>(control::free_port())) {}

  std::unique_ptr<ProxyProcess> client(const std::string& state_dir, std::string extra = {},
                                       bool wait_ready = true, const std::string& cp = {}) {
    SidecarSpec spec;
    spec.control = cp.empty() ? control_->address() : cp;
    spec.state_dir = state_dir;
    spec.egress_octet = 255;
    spec.extra_yaml = std::move(extra);
    ProxyProcess::Options o;
    o.config_yaml = sidecar_yaml(spec);
    o.wait_ready = wait_ready;
    return std::make_unique<ProxyProcess>(std::move(o));
  }

  std::unique_ptr<Task> backend(bool start_app = true,
                                std::map<std::string, std::string> env = {}) {
    return std::make_unique<Task>(control_->address(), "backend", alias_port_, next_octet_++,
                                  start_app, std::move(env));
  }

  // The client's egress address for the backend alias, once it exists.
  std::string egress(const ProxyProcess& c, const std::string& service = "backend",
                     std::uint16_t port = 0) {
    const std::string name =
        "sc.egress." + service + "." + std::to_string(port ? port : alias_port_);
    std::string address;
    EXPECT_TRUE(eventually([&] { return !(address = listener_address(c, name)).empty(); }, 10s))
        << c.logs();
    return address;
  }

  bool endpoints_become(const ProxyProcess& c, std::size_t n,
                        std::chrono::milliseconds timeout = 10s) {
    return eventually([&] { return endpoints_of(c, kBackendCluster).size() == n; }, timeout);
  }

  std::unique_ptr<ControlProcess> control_ =
      std::make_unique<ControlProcess>(ControlProcess::Options{});
  const std::uint16_t alias_port_;
  int next_octet_ = 1;
};

std::string report_text(const json::value& report) {
  return json::serialize(report);
}

// /ready waits for the first snapshot of every followed namespace: with
// ferry-control not up yet and no snapshot file, the sidecar is live but
// not ready; it becomes ready once ferry-control answers.
TEST_F(MeshTest, ReadyWaitsForTheFirstSnapshot) {
  const int port = control::free_port();
  TempDir state;
  auto c = client(state.path(), {}, /*wait_ready=*/false, "127.0.0.1:" + std::to_string(port));
  EXPECT_TRUE(holds_for([&] { return c->admin_get("/ready").status == 503; }, 1s)) << c->logs();
  EXPECT_EQ(c->admin_get("/live").status, 200);
  EXPECT_EQ(c->metric("ferry_control_plane_connected"), 0);
  ControlProcess::Options o;
  o.listen = "127.0.0.1:" + std::to_string(port);
  ControlProcess late(o);
  EXPECT_TRUE(eventually([&] { return c->is_ready(); }, 15s)) << c->logs();
  EXPECT_TRUE(eventually([&] { return c->metric("ferry_control_plane_connected") == 1; }, 5s));
  // The namespace does not exist yet (nobody registered): an empty view
  // counts as ready, and there is no snapshot to have an age.
  EXPECT_TRUE(std::isnan(c->metric("ferry_snapshot_age_seconds")));
}

// (1) Endpoints added and removed under traffic; a new task is registered
// (and gets traffic) only once its application answers.
TEST_F(MeshTest, EndpointsFollowTheRegistryUnderLoad) {
  auto b1 = backend();
  auto b2 = backend();
  TempDir state;
  auto c = client(state.path());
  const std::string url = "http://" + egress(*c) + "/";
  ASSERT_TRUE(endpoints_become(*c, 2)) << c->logs();

  Load load(url, 200, "14s");
  // A task whose application is not up yet: its sidecar runs, but it is not
  // registered, so no client routes to it.
  auto b3 = backend(/*start_app=*/false);
  EXPECT_TRUE(holds_for([&] { return endpoints_of(*c, kBackendCluster).size() == 2; }, 2s))
      << "registered before its application answered";
  b3->start_app();
  ASSERT_TRUE(endpoints_become(*c, 3)) << b3->sidecar().logs();
  EXPECT_TRUE(eventually([&] { return b3->requests() > 0; }, 5s));
  // Removal: SIGTERM drains through the registry.
  b1->sidecar().process().signal(SIGTERM);
  ASSERT_TRUE(endpoints_become(*c, 2)) << c->logs();
  const auto exit_code = b1->sidecar().process().wait(20s);
  EXPECT_EQ(exit_code, 0);
  const std::size_t b1_requests = b1->requests();

  const json::value report = load.finish(30s);
  ASSERT_FALSE(report.is_null());
  EXPECT_EQ(Load::failures(report), 0u) << report_text(report);
  EXPECT_GT(Load::successes(report), 2000u) << report_text(report);
  EXPECT_EQ(b1->requests(), b1_requests);  // nothing after it exited
  EXPECT_GT(b2->requests(), 0u);
  EXPECT_GT(b3->requests(), 0u);
  const auto endpoints = endpoints_of(*c, kBackendCluster);
  EXPECT_EQ(std::count(endpoints.begin(), endpoints.end(), b1->endpoint()), 0);
}

// (2) ferry-control killed with SIGKILL under constant-rate traffic: no
// request fails; a sidecar restarted during the outage comes back from its
// snapshot file, ready, with the same endpoints and egress listener.
TEST_F(MeshTest, StaticStabilityWhileTheControlPlaneIsDown) {
  auto b1 = backend();
  auto b2 = backend();
  TempDir state;
  auto c = client(state.path());
  const std::string address = egress(*c);
  ASSERT_TRUE(endpoints_become(*c, 2));

  Load load("http://" + address + "/", 200, "6s");
  // Traffic flows to both tasks before the kill.
  ASSERT_TRUE(eventually([&] { return b1->requests() > 0 && b2->requests() > 0; }, 5s));
  control_->process().signal(SIGKILL);
  ASSERT_TRUE(control_->process().wait(5s).has_value());
  EXPECT_TRUE(eventually([&] { return c->metric("ferry_control_plane_connected") == 0; }, 20s));
  const json::value report = load.finish(30s);
  ASSERT_FALSE(report.is_null());
  EXPECT_EQ(Load::failures(report), 0u) << report_text(report);
  EXPECT_TRUE(c->is_ready());
  EXPECT_GT(b1->requests(), 0u);
  EXPECT_GT(b2->requests(), 0u);

  // Restart the client during the outage: same config, same snapshot file.
  c->process().signal(SIGINT);
  ASSERT_TRUE(c->process().wait(20s).has_value());
  c.reset();
  auto restarted = client(state.path());  // waits for /ready
  EXPECT_EQ(endpoints_of(*restarted, kBackendCluster).size(), 2u);
  EXPECT_EQ(restarted->metric("ferry_control_plane_connected"), 0);
  EXPECT_GE(restarted->metric("ferry_snapshot_age_seconds"), 0);
  const HttpResponse r = http_get(egress(*restarted), "/");
  EXPECT_EQ(r.status, 200) << restarted->logs();
}

// (3) Every backend task replaced, one by one, under constant-rate load:
// the new task registers, the old one drains through the registry
// (SIGTERM: deregistered at once, ingress kept during propagation_delay),
// and no request fails.
TEST_F(MeshTest, RollingReplacementLosesNoRequest) {
  std::vector<std::unique_ptr<Task>> tasks;
  for (int i = 0; i < 3; ++i) {
    tasks.push_back(backend());
  }
  TempDir state;
  auto c = client(state.path());
  const std::string url = "http://" + egress(*c) + "/";
  ASSERT_TRUE(endpoints_become(*c, 3));

  Load load(url, 200, "24s");
  // Traffic reaches every task before the first replacement.
  ASSERT_TRUE(eventually(
      [&] {
        return std::all_of(tasks.begin(), tasks.end(),
                           [](const auto& t) { return t->requests() > 0; });
      },
      5s));
  std::vector<std::unique_ptr<Task>> replaced;
  for (int i = 0; i < 3; ++i) {
    auto fresh = backend();
    ASSERT_TRUE(endpoints_become(*c, 4)) << c->logs();
    tasks[i]->sidecar().process().signal(SIGTERM);
    ASSERT_TRUE(endpoints_become(*c, 3)) << c->logs();
    EXPECT_EQ(tasks[i]->sidecar().process().wait(20s), 0) << tasks[i]->sidecar().logs();
    replaced.push_back(std::move(tasks[i]));
    tasks[i] = std::move(fresh);
  }
  const json::value report = load.finish(40s);
  ASSERT_FALSE(report.is_null());
  EXPECT_EQ(Load::failures(report), 0u) << report_text(report) << "\nclient:\n" << c->logs();
  for (const auto& t : tasks) {
    EXPECT_GT(t->requests(), 0u);
  }
  for (const auto& t : replaced) {
    EXPECT_GT(t->requests(), 0u);
  }
}

// Drain step 1 through the registry: on SIGTERM /ready fails and the task
// is deregistered at once (clients drop it), while its ingress still serves
// for the propagation delay; then it exits.
TEST_F(MeshTest, SigtermDeregistersAtOnceAndServesIngressDuringPropagation) {
  Task b1(control_->address(), "backend", alias_port_, next_octet_++, true, {}, "3s");
  TempDir state;
  auto c = client(state.path());
  ASSERT_TRUE(endpoints_become(*c, 1));
  const auto signalled = std::chrono::steady_clock::now();
  b1.sidecar().process().signal(SIGTERM);
  EXPECT_TRUE(eventually([&] { return b1.sidecar().admin_get("/ready").status == 503; }, 2s));
  ASSERT_TRUE(endpoints_become(*c, 0, 2s)) << b1.sidecar().logs();
  EXPECT_LT(std::chrono::steady_clock::now() - signalled, 2500ms);
  // Still inside the propagation delay: a peer that had not heard yet is
  // served.
  const HttpResponse late = http_get(b1.endpoint(), "/");
  EXPECT_EQ(late.status, 200);
  EXPECT_EQ(b1.sidecar().process().wait(20s), 0) << b1.sidecar().logs();
  EXPECT_GE(std::chrono::steady_clock::now() - signalled, 3s);
  // Aliases are published by the serving instances: with the last one gone
  // the alias left the namespace, and the client's egress listener with it.
  EXPECT_TRUE(eventually([&] {
    return listener_address(*c, "sc.egress.backend." + std::to_string(alias_port_)).empty();
  }));
}

// The hosts file really is /etc/hosts, bind-mounted as Docker and ECS do
// (it cannot be renamed over): inside a private mount namespace (unshare
// -m), /etc/hosts is a test file; ferry rewrites it in place, keeping the
// lines it does not own.
TEST_F(MeshTest, EtcHostsAsABindMountIsRewrittenInPlace) {
  require_tool("unshare");
  require_tool("mount");
  auto b1 = backend();
  TempDir state;
  const std::string hosts = state.write("etc-hosts", "127.0.0.1 localhost\n10.1.2.3 db.internal\n");
  SidecarSpec spec;
  spec.control = control_->address();
  spec.state_dir = state.path();
  ProxyProcess::Options o;
  o.config_yaml = sidecar_yaml(spec);
  // The managed file is /etc/hosts itself.
  const std::string marker = "  hosts_file: " + state.path() + "/hosts\n";
  const auto at = o.config_yaml.find(marker);
  ASSERT_NE(at, std::string::npos);
  o.config_yaml.replace(at, marker.size(), "  hosts_file: /etc/hosts\n");
  o.prefix = {
      "unshare",
      "-m",
      "--",
      "sh",
      "-c",
      "mount --make-rprivate / && mount --bind " + hosts + " /etc/hosts && exec \"$0\" \"$@\""};
  ProxyProcess c(std::move(o));
  ASSERT_TRUE(eventually([&] { return read_file(hosts).find(" backend") != std::string::npos; }))
      << c.logs();
  const std::string text = read_file(hosts);
  EXPECT_EQ(text.rfind("127.0.0.1 localhost\n10.1.2.3 db.internal\n", 0), 0u) << text;
  EXPECT_NE(text.find("# BEGIN ferry"), std::string::npos) << text;
  EXPECT_NE(text.find("127.255.0.1 backend"), std::string::npos) << text;
  EXPECT_NE(text.find("# END ferry"), std::string::npos) << text;
  // The machine's own /etc/hosts was not touched.
  EXPECT_EQ(read_file("/etc/hosts").find("# BEGIN ferry"), std::string::npos);
}

// (4) A service that appears later is reachable by its alias through the
// running client: a new egress listener and hosts-file entry, no restart.
TEST_F(MeshTest, ANewServiceIsReachedByAliasWithoutRestartingTheClient) {
  TempDir state;
  auto c = client(state.path());
  const auto payments_port = static_cast<std::uint16_t>(control::free_port());
  Task payments(control_->address(), "payments", payments_port, next_octet_++);
  const std::string address = egress(*c, "payments", payments_port);
  ASSERT_FALSE(address.empty());
  EXPECT_EQ(address.substr(0, address.find(':')), "127.255.0.1");
  const HttpResponse r = http_get(address, "/pay");
  EXPECT_EQ(r.status, 200) << c->logs();
  EXPECT_EQ(r.body, "payments " + std::to_string(payments.app_port()));
  EXPECT_NE(read_file(state.file("hosts")).find("127.255.0.1 payments"), std::string::npos)
      << read_file(state.file("hosts"));
  // Service Connect's labels: the client has no service of its own. (A
  // worker counts a request as it finishes, just after the response went
  // out: read until it shows.)
  EXPECT_TRUE(eventually([&] {
    return c->metric(
               "ferry_upstream_requests_total{cluster=\"sc.service.payments\",code_class="
               "\"2xx\",source_service=\"\",target_service=\"payments\"}") == 1;
  }));
  EXPECT_TRUE(eventually([&] {
    return payments.sidecar().metric(
               "ferry_downstream_requests_total{listener=\"sc.ingress.payments\",code_class="
               "\"2xx\",source_service=\"\",target_service=\"payments\"}") == 1;
  }));
}

// (5) A discovery cluster of the user's own config selects instances by
// their attributes (query_parameters), and prefers by others.
TEST_F(MeshTest, AttributeSelection) {
  auto canary = backend(true, {{"FERRY_INSTANCE_ATTRIBUTES", "stage=canary,zone=a"}});
  auto prod_a = backend(true, {{"FERRY_INSTANCE_ATTRIBUTES", "stage=prod,zone=a"}});
  auto prod_b = backend(true, {{"FERRY_INSTANCE_ATTRIBUTES", "stage=prod,zone=b"}});
  TempDir state;
  auto c = client(state.path(), R"(listeners:
  - {name: canary, address: 127.0.0.1:0, protocol: http, cluster: canary}
  - {name: prod, address: 127.0.0.1:0, protocol: http, cluster: prod}
clusters:
  - name: canary
    discovery: {namespace: mesh.local, service: backend, query_parameters: {stage: canary}}
  - name: prod
    discovery:
      namespace: mesh.local
      service: backend
      query_parameters: {stage: prod}
      optional_parameters: {zone: b}
)");
  ASSERT_TRUE(eventually([&] { return endpoints_of(*c, kBackendCluster).size() == 3; }));
  EXPECT_EQ(endpoints_of(*c, "canary"), std::vector<std::string>{canary->endpoint()});
  EXPECT_EQ(endpoints_of(*c, "prod"), std::vector<std::string>{prod_b->endpoint()});
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(http_get(c->listener("canary"), "/").status, 200);
    EXPECT_EQ(http_get(c->listener("prod"), "/").status, 200);
  }
  EXPECT_EQ(canary->requests(), 10u);
  EXPECT_EQ(prod_b->requests(), 10u);
  EXPECT_EQ(prod_a->requests(), 0u);
  // The preferred zone leaves: the preference no longer narrows.
  prod_b->sidecar().process().signal(SIGINT);
  EXPECT_TRUE(eventually(
      [&] { return endpoints_of(*c, "prod") == std::vector<std::string>{prod_a->endpoint()}; }));
}

// (6) Hot reload with discovery: a valid change (a new discovery cluster
// and listener) applies without losing the registry view; an invalid one
// is refused and the old config stays live.
TEST_F(MeshTest, HotReloadWithDiscovery) {
  auto b1 = backend();
  TempDir state;
  auto c = client(state.path());
  ASSERT_TRUE(endpoints_become(*c, 1));
  const std::string before = read_file(c->config_path());
  {
    std::ofstream out(c->config_path(), std::ios::trunc);
    out << before << R"(listeners:
  - {name: direct, address: 127.0.0.1:0, protocol: http, cluster: direct}
clusters:
  - name: direct
    discovery: {namespace: mesh.local, service: backend}
)";
  }
  const HttpResponse ok = c->admin_post("/reload");
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(endpoints_of(*c, "direct"), std::vector<std::string>{b1->endpoint()});
  EXPECT_EQ(endpoints_of(*c, kBackendCluster), std::vector<std::string>{b1->endpoint()});
  const std::string direct = listener_address(*c, "direct");
  ASSERT_FALSE(direct.empty());
  EXPECT_EQ(http_get(direct, "/").status, 200);
  EXPECT_TRUE(c->is_ready());
  {
    std::ofstream out(c->config_path(), std::ios::trunc);
    out << before << R"(clusters:
  - name: broken
    discovery: {service: backend}
)";
  }
  const double rejected = c->metric("ferry_config_updates_rejected_total");
  const HttpResponse bad = c->admin_post("/reload");
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_EQ(c->metric("ferry_config_updates_rejected_total"), rejected + 1);
  EXPECT_EQ(http_get(direct, "/").status, 200);
  EXPECT_EQ(http_get(egress(*c), "/").status, 200);

  // A change to control_plane gets a new registry runtime: it starts from
  // the snapshot file, so the sidecar stays ready with the same endpoints
  // and listeners, and follows the registry from then on.
  std::string changed = before;
  const std::string heartbeat = "heartbeat_interval: 1s";
  ASSERT_NE(changed.find(heartbeat), std::string::npos);
  changed.replace(changed.find(heartbeat), heartbeat.size(), "heartbeat_interval: 2s");
  {
    std::ofstream out(c->config_path(), std::ios::trunc);
    out << changed;
  }
  const std::string egress_before = egress(*c);
  const HttpResponse swapped = c->admin_post("/reload");
  ASSERT_EQ(swapped.status, 200) << swapped.body;
  EXPECT_TRUE(c->is_ready());
  EXPECT_EQ(endpoints_of(*c, kBackendCluster), std::vector<std::string>{b1->endpoint()});
  EXPECT_EQ(egress(*c), egress_before);
  EXPECT_EQ(http_get(egress_before, "/").status, 200);
  EXPECT_TRUE(listener_address(*c, "direct").empty());  // gone with the reload
  auto b2 = backend();
  EXPECT_TRUE(endpoints_become(*c, 2)) << c->logs();
}

}  // namespace
}  // namespace ferry::test::mesh
