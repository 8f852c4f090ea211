// Local rate limiting: a token bucket shared by both workers, so the rate
// holds for the process; excess gets 429 with Retry-After; the bucket keeps
// its state across snapshot rebuilds.
#include <gtest/gtest.h>

#include "tests/integration/resilience/resilience_support.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string rate_limited_config(const std::string& endpoint) {
  return "admin: {address: 127.0.0.1:0}\n"
         "workers: 2\n"
         "listeners:\n"
         "  - name: web\n"
         "    address: 127.0.0.1:0\n"
         "    cluster: backend\n"
         "    rate_limit: {requests_per_second: 10, burst: 10}\n"
         "  - name: api\n"
         "    address: 127.0.0.1:0\n"
         "    routes:\n"
         "      - {prefix: /limited, cluster: backend, rate_limit: {requests_per_second: 0.2, "
         "burst: 2}}\n"
         "      - {prefix: /, cluster: backend}\n"
         "clusters:\n"
         "  - {name: backend, endpoints: [" +
         endpoint + "]}\n";
}

TEST(RateLimit, TheListenerRateHoldsForTheWholeProcess) {
  ScriptedUpstream upstream;
  ProxyProcess proxy({.config_yaml = rate_limited_config(upstream.address())});
  const auto start = Clock::now();
  const Tally tally = fire(proxy.listener("web"), 80, 8);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const int allowed = tally.count(200);
  EXPECT_EQ(allowed + tally.count(429), 80) << tally.describe();
  // The burst, plus what the rate refilled meanwhile. Two workers with a
  // bucket each would admit twice the burst.
  EXPECT_GE(allowed, 10);
  EXPECT_LE(allowed, 10 + static_cast<int>(10 * elapsed) + 1) << "elapsed " << elapsed << " s";
  EXPECT_EQ(upstream.requests(), static_cast<std::uint64_t>(allowed));
  EXPECT_EQ(proxy.metric("ferry_local_rate_limited_total{listener=\"web\"}"), tally.count(429));
  const HttpResponse refused = [&] {
    HttpResponse r;
    for (int i = 0; i < 20 && r.status != 429; ++i) {
      r = http_get(proxy.listener("web"), "/");
    }
    return r;
  }();
  ASSERT_EQ(refused.status, 429);
  EXPECT_EQ(refused.headers.at("retry-after"), "1");
}

TEST(RateLimit, ARouteLimitAppliesToItsRouteOnlyAndSurvivesAReload) {
  ScriptedUpstream upstream;
  ProxyProcess proxy({.config_yaml = rate_limited_config(upstream.address())});
  const std::string api = proxy.listener("api");
  EXPECT_EQ(http_get(api, "/limited/a").status, 200);
  EXPECT_EQ(http_get(api, "/limited/b").status, 200);
  const HttpResponse third = http_get(api, "/limited/c");
  ASSERT_EQ(third.status, 429);
  // 0.2 requests per second: the next one in 5 s.
  EXPECT_EQ(third.headers.at("retry-after"), "5");
  EXPECT_EQ(fire(api, 20, 2, {.path = "/other"}).count(200), 20);
  // A reload rebuilds the snapshot; an unchanged limit keeps its bucket
  // (a fresh one would admit a new burst at once).
  ASSERT_EQ(proxy.admin_post("/reload").status, 200);
  EXPECT_EQ(http_get(api, "/limited/d").status, 429);
  EXPECT_EQ(proxy.metric("ferry_local_rate_limited_total{listener=\"api\"}"), 2);
}

}  // namespace
}  // namespace ferry::test
