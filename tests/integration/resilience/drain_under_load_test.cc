// Draining, verified: with retries and ejection on, SIGTERM to one upstream
// task (its sidecar drains in front of its application) under constant-rate
// load produces zero failed client requests.
#include <signal.h>

#include <future>

#include <gtest/gtest.h>

#include "tests/integration/resilience/resilience_support.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;

// One upstream task: the application and its ingress sidecar.
struct Task {
  ScriptedUpstream app{[](const SeenRequest&) {
    return UpstreamAction::respond(200, 10ms);
  }};
  std::unique_ptr<ProxyProcess> sidecar;

  Task() {
    sidecar = std::make_unique<ProxyProcess>(ProxyProcess::Options{
        .config_yaml = "admin: {address: 127.0.0.1:0}\n"
                       "workers: 1\n"
                       "drain: {propagation_delay: 500ms, timeout: 10s}\n"
                       "listeners:\n"
                       "  - {name: ingress, address: 127.0.0.1:0, cluster: app}\n"
                       "clusters:\n"
                       "  - {name: app, endpoints: [" +
                       app.address() + "]}\n"});
  }
  std::string address() const { return sidecar->listener("ingress"); }
};

TEST(DrainUnderLoad, ASigtermedUpstreamTaskCostsNoClientRequest) {
  Task one;
  Task two;
  ProxyProcess client({.config_yaml = "admin: {address: 127.0.0.1:0}\n"
                                      "workers: 2\n"
                                      "listeners:\n"
                                      "  - {name: out, address: 127.0.0.1:0, direction: egress, "
                                      "cluster: peers}\n"
                                      "clusters:\n"
                                      "  - name: peers\n"
                                      "    endpoints: [" +
                                      one.address() + ", " + two.address() +
                                      "]\n"
                                      // Static endpoints are the worst case: until
                                      // the ejection lands, each request picked for
                                      // the stopped task is a retry, and on a slow
                                      // machine more than the default 3 overlap.
                                      "    circuit_breakers: {max_retries: 64}\n"
                                      "    retry_policy: {num_retries: 2, retry_back_off: "
                                      "{base_interval: 5ms, max_interval: 50ms}}\n"
                                      "    outlier_detection: {consecutive_gateway_failure: 3, "
                                      "interval: 1s, base_ejection_time: 5s, "
                                      "max_ejection_percent: 50}\n",
                       .extra_args = {"--log-level", "debug"}});
  auto load = std::async(std::launch::async, [&] {
    return constant_rate(client.listener("out"), 200, 4000ms, 8, {.path = "/work"});
  });
  // Mid-run, the first task is stopped the way ECS stops it.
  ASSERT_TRUE(eventually([&] { return one.app.requests() > 100; }, 5s));
  one.sidecar->process().signal(SIGTERM);
  EXPECT_EQ(one.sidecar->process().wait(15s), 0) << one.sidecar->logs();
  const Tally tally = load.get();
  EXPECT_EQ(tally.failed(), 0) << tally.describe() << "\nclient metrics:\n"
                               << cluster_metrics(client, "peers") << "\nclient log:\n"
                               << client.logs();
  EXPECT_EQ(tally.count(200), tally.total());
  EXPECT_GE(tally.total(), 700);
  // The second task carried the rest.
  EXPECT_GT(two.app.requests(), one.app.requests());
}

}  // namespace
}  // namespace ferry::test
