// lb_policy ewma (peak-EWMA latency, two choices): a 10x slower endpoint
// loses most of its traffic, where round robin keeps sending it its share.
#include <gtest/gtest.h>

#include "tests/integration/resilience/resilience_support.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;

std::string ewma_config(const std::string& endpoints, const std::string& lb_policy) {
  return web_to_backend(endpoints, "    lb_policy: " + lb_policy + "\n");
}

// The slow upstream's share of 400 requests (8 clients) under `lb_policy`.
double slow_share(const std::string& lb_policy) {
  auto upstreams = make_upstreams(5);
  for (auto& u : upstreams) {
    u->set_script([](const SeenRequest&) { return UpstreamAction::respond(200, 2ms); });
  }
  upstreams[2]->set_script([](const SeenRequest&) { return UpstreamAction::respond(200, 20ms); });
  ProxyProcess proxy({.config_yaml = ewma_config(endpoint_list(raw(upstreams)), lb_policy)});
  const Tally tally = fire(proxy.listener("web"), 400, 8);
  EXPECT_EQ(tally.count(200), 400) << tally.describe();
  return static_cast<double>(upstreams[2]->requests()) / 400.0;
}

TEST(Ewma, ATenTimesSlowerEndpointLosesMostTraffic) {
  const double ewma = slow_share("ewma");
  const double round_robin = slow_share("round_robin");
  EXPECT_LT(ewma, 0.08) << "ewma sent the slow endpoint " << ewma * 100 << "%";
  EXPECT_GT(round_robin, 0.15) << "round robin sends every endpoint its fifth";
  EXPECT_LT(ewma, round_robin / 2);
}

TEST(Ewma, LeastRequestAndRandomAlsoSpreadOverEveryEndpoint) {
  for (const std::string policy : {"least_request", "random"}) {
    auto upstreams = make_upstreams(3);
    ProxyProcess proxy({.config_yaml = ewma_config(endpoint_list(raw(upstreams)), policy)});
    const Tally tally = fire(proxy.listener("web"), 150, 3);
    EXPECT_EQ(tally.count(200), 150);
    for (auto& u : upstreams) {
      EXPECT_GT(u->requests(), 10u) << policy;
    }
  }
}

}  // namespace
}  // namespace ferry::test
