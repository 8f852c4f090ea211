// RELIABILITY.md FT-13: active health checks run once per process on main;
// an upstream that accepts TCP but never answers times out, turns unhealthy
// and loses its traffic; checks are not client traffic; hosts that leave
// stop being checked.
#include <fstream>

#include <gtest/gtest.h>

#include "tests/integration/resilience/resilience_support.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;
using Kind = UpstreamAction::Kind;

std::string checked_config(const std::string& endpoints, const std::string& health_check) {
  return web_to_backend(endpoints, "    health_check: " + health_check + "\n",
                        "request_timeout: 3s");
}

std::uint64_t client_requests(const ScriptedUpstream& u) {
  std::uint64_t n = 0;
  for (const SeenRequest& r : u.seen()) {
    n += r.user_agent.rfind("ferry-health-check/", 0) == 0 ? 0 : 1;
  }
  return n;
}

TEST(HealthChecks, AnUpstreamThatNeverAnswersTimesOutAndLosesItsTraffic) {
  auto upstreams = make_upstreams(3);
  ScriptedUpstream& silent = *upstreams[2];
  silent.set_script([](const SeenRequest&) { return UpstreamAction::of(Kind::Silent); });
  ProxyProcess proxy(
      {.config_yaml = checked_config(endpoint_list(raw(upstreams)),
                                     "{path: /healthz, interval: 200ms, timeout: 100ms, "
                                     "unhealthy_threshold: 2, healthy_threshold: 1}")});
  ASSERT_TRUE(eventually(
      [&] { return endpoint(proxy, "backend", silent.address()).health == "unhealthy"; }, 5s));
  ASSERT_TRUE(eventually(
      [&] {
        return endpoint(proxy, "backend", upstreams[0]->address()).health == "healthy" &&
               endpoint(proxy, "backend", upstreams[1]->address()).health == "healthy";
      },
      5s));
  ASSERT_TRUE(overlay_counts(proxy, "backend", "unhealthy", 1));
  EXPECT_GE(proxy.metric("ferry_health_check_failures_total{cluster=\"backend\"}"), 2);

  const Tally tally = fire(proxy.listener("web"), 30, 3);
  EXPECT_EQ(tally.count(200), 30) << tally.describe();
  EXPECT_EQ(client_requests(silent), 0u);

  // Health checks are not client traffic: the request metrics count the 30
  // client requests only, although the upstreams answered many checks.
  EXPECT_TRUE(eventually([&] { return upstreams[0]->requests_to("/healthz") > 2; }, 5s));
  // (Both counters move just after the last byte went to the client.)
  const std::string upstream_ok =
      "ferry_upstream_requests_total{cluster=\"backend\",code_class=\"2xx\"}";
  const std::string downstream_ok =
      "ferry_downstream_requests_total{listener=\"web\",code_class=\"2xx\"}";
  EXPECT_TRUE(eventually([&] { return proxy.metric(upstream_ok) == 30; }, 5s))
      << proxy.metric(upstream_ok);
  EXPECT_TRUE(eventually([&] { return proxy.metric(downstream_ok) == 30; }, 5s))
      << proxy.metric(downstream_ok);
  // One checker per host for the process, with the cluster name as Host.
  for (const SeenRequest& r : upstreams[0]->seen()) {
    if (r.path == "/healthz") {
      EXPECT_EQ(r.host, "backend");
      EXPECT_EQ(r.user_agent.rfind("ferry-health-check/", 0), 0u) << r.user_agent;
    }
  }
}

TEST(HealthChecks, ExpectedStatusesAndTheHostHeaderAreConfigurable) {
  auto upstreams = make_upstreams(2);
  upstreams[0]->set_script(
      [](const SeenRequest& r) { return UpstreamAction::respond(r.path == "/ready" ? 204 : 200); });
  upstreams[1]->set_script(
      [](const SeenRequest& r) { return UpstreamAction::respond(r.path == "/ready" ? 503 : 200); });
  ProxyProcess proxy({.config_yaml = checked_config(endpoint_list(raw(upstreams)),
                                                    "{path: /ready, expected_statuses: [200, 204], "
                                                    "host: backend.mesh.local, interval: 100ms, "
                                                    "unhealthy_threshold: 1}")});
  ASSERT_TRUE(eventually(
      [&] {
        return endpoint(proxy, "backend", upstreams[0]->address()).health == "healthy" &&
               endpoint(proxy, "backend", upstreams[1]->address()).health == "unhealthy";
      },
      5s));
  ASSERT_TRUE(overlay_counts(proxy, "backend", "unhealthy", 1));
  EXPECT_EQ(upstreams[0]->seen().front().host, "backend.mesh.local");
  const Tally tally = fire(proxy.listener("web"), 20, 2);
  EXPECT_EQ(tally.count(200), 20);
  EXPECT_EQ(client_requests(*upstreams[1]), 0u) << "503 is not an expected status";
}

TEST(HealthChecks, TcpChecksFollowTheListenerGoingAndComingBack) {
  auto upstreams = make_upstreams(2);
  ScriptedUpstream& flaky = *upstreams[1];
  flaky.stop_listening();
  ProxyProcess proxy(
      {.config_yaml = checked_config(endpoint_list(raw(upstreams)),
                                     "{type: tcp, interval: 100ms, timeout: 100ms, "
                                     "unhealthy_threshold: 1, healthy_threshold: 2}")});
  ASSERT_TRUE(eventually(
      [&] { return endpoint(proxy, "backend", flaky.address()).health == "unhealthy"; }, 5s));
  ASSERT_TRUE(overlay_counts(proxy, "backend", "unhealthy", 1));
  EXPECT_EQ(fire(proxy.listener("web"), 10, 2).count(200), 10);
  EXPECT_EQ(flaky.requests(), 0u) << "a TCP check sends no request";
  ASSERT_TRUE(flaky.start_listening());
  ASSERT_TRUE(eventually(
      [&] { return endpoint(proxy, "backend", flaky.address()).health == "healthy"; }, 5s));
  ASSERT_TRUE(eventually(
      [&] {
        fire(proxy.listener("web"), 10, 2);
        return flaky.requests() > 0;
      },
      5s));
}

TEST(HealthChecks, AHostThatLeavesTheConfigIsNoLongerChecked) {
  auto upstreams = make_upstreams(2);
  const std::string check = "{interval: 100ms, unhealthy_threshold: 1}";
  ProxyProcess proxy({.config_yaml = checked_config(endpoint_list(raw(upstreams)), check)});
  ASSERT_TRUE(eventually([&] { return upstreams[1]->requests_to("/healthz") >= 2; }, 5s));
  {
    std::ofstream(proxy.config_path(), std::ios::trunc)
        << checked_config("[" + upstreams[0]->address() + "]", check);
  }
  ASSERT_EQ(proxy.admin_post("/reload").status, 200);
  const auto gone_checks = upstreams[1]->requests_to("/healthz");
  const auto kept_checks = upstreams[0]->requests_to("/healthz");
  // Five more checks of the remaining host take at least five intervals.
  ASSERT_TRUE(
      eventually([&] { return upstreams[0]->requests_to("/healthz") >= kept_checks + 5; }, 5s));
  EXPECT_LE(upstreams[1]->requests_to("/healthz"), gone_checks + 1);
  EXPECT_EQ(endpoints(proxy, "backend").size(), 1u);
}

TEST(HealthChecks, AReloadThatDropsHealthCheckingForgetsTheVerdicts) {
  auto upstreams = make_upstreams(2);
  upstreams[1]->set_script([](const SeenRequest& r) {
    return UpstreamAction::respond(r.path == "/healthz" ? 500 : 200);
  });
  ProxyProcess proxy({.config_yaml = checked_config(endpoint_list(raw(upstreams)),
                                                    "{interval: 100ms, unhealthy_threshold: 1}")});
  ASSERT_TRUE(eventually(
      [&] { return endpoint(proxy, "backend", upstreams[1]->address()).health == "unhealthy"; },
      5s));
  {
    std::ofstream out(proxy.config_path(), std::ios::trunc);
    out << "admin: {address: 127.0.0.1:0}\nworkers: 2\nlisteners:\n"
           "  - {name: web, address: 127.0.0.1:0, cluster: backend, request_timeout: 3s}\n"
           "clusters:\n  - name: backend\n    endpoints: "
        << endpoint_list(raw(upstreams)) << "\n";
  }
  ASSERT_EQ(proxy.admin_post("/reload").status, 200);
  EXPECT_EQ(endpoint(proxy, "backend", upstreams[1]->address()).health, "unknown");
  ASSERT_TRUE(eventually(
      [&] {
        fire(proxy.listener("web"), 10, 2);
        return client_requests(*upstreams[1]) > 0;
      },
      5s));
}

}  // namespace
}  // namespace ferry::test
