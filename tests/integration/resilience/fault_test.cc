// Fault injection per route: abort and delay percentages, delay then abort,
// header activation, the cap on concurrent faults, and the counters.
#include <thread>

#include <gtest/gtest.h>

#include "tests/integration/resilience/resilience_support.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string config(const std::string& endpoint) {
  return "admin: {address: 127.0.0.1:0}\n"
         "workers: 2\n"
         "listeners:\n"
         "  - name: web\n"
         "    address: 127.0.0.1:0\n"
         "    routes:\n"
         "      - {prefix: /abort, cluster: backend, fault: {abort: {status: 503, percent: 50}}}\n"
         "      - {prefix: /delay, cluster: backend, fault: {delay: {duration: 300ms}}}\n"
         "      - {prefix: /both, cluster: backend, fault: {delay: {duration: 200ms}, "
         "abort: {status: 418}}}\n"
         "      - {prefix: /asked, cluster: backend, fault: {header_activation: true}}\n"
         "      - {prefix: /capped, cluster: backend, fault: {delay: {duration: 800ms}, "
         "max_active: 2}}\n"
         "      - {prefix: /, cluster: backend}\n"
         "clusters:\n"
         "  - {name: backend, endpoints: [" +
         endpoint + "]}\n";
}

std::string faults(const std::string& kind) {
  return "ferry_faults_injected_total{listener=\"web\",kind=\"" + kind + "\"}";
}

Clock::duration timed_get(const std::string& address, const std::string& path, int* status,
                          const std::map<std::string, std::string>& headers = {}) {
  const auto start = Clock::now();
  *status = http_request(address, "GET", path, {}, headers).status;
  return Clock::now() - start;
}

TEST(FaultInjection, AbortsTheConfiguredShareLocally) {
  ScriptedUpstream upstream;
  ProxyProcess proxy({.config_yaml = config(upstream.address())});
  const Tally tally = fire(proxy.listener("web"), 400, 4, {.path = "/abort"});
  EXPECT_EQ(tally.count(200) + tally.count(503), 400) << tally.describe();
  // 50% of 400: the binomial's standard deviation is 10.
  EXPECT_GT(tally.count(503), 140);
  EXPECT_LT(tally.count(503), 260);
  EXPECT_EQ(upstream.requests(), static_cast<std::uint64_t>(tally.count(200)));
  EXPECT_EQ(proxy.metric(faults("abort")), tally.count(503));
  EXPECT_EQ(proxy.metric("ferry_upstream_requests_total{cluster=\"backend\",code_class=\"5xx\"}"),
            0)
      << "an injected abort never reached the cluster";
}

TEST(FaultInjection, DelaysAndThenAborts) {
  ScriptedUpstream upstream;
  ProxyProcess proxy({.config_yaml = config(upstream.address())});
  int status = 0;
  EXPECT_GE(timed_get(proxy.listener("web"), "/delay", &status), 300ms);
  EXPECT_EQ(status, 200);
  EXPECT_GE(timed_get(proxy.listener("web"), "/both", &status), 200ms);
  EXPECT_EQ(status, 418);
  EXPECT_EQ(upstream.requests(), 1u);
  EXPECT_EQ(proxy.metric(faults("delay")), 2);
  EXPECT_EQ(proxy.metric(faults("abort")), 1);
  EXPECT_LT(timed_get(proxy.listener("web"), "/plain", &status), 250ms);
}

TEST(FaultInjection, HeaderActivatedFaultsOnlyForRequestsThatAsk) {
  ScriptedUpstream upstream;
  ProxyProcess proxy({.config_yaml = config(upstream.address())});
  const std::string web = proxy.listener("web");
  int status = 0;
  EXPECT_LT(timed_get(web, "/asked", &status), 250ms);
  EXPECT_EQ(status, 200);
  timed_get(web, "/asked", &status, {{"x-ferry-fault-abort", "429"}});
  EXPECT_EQ(status, 429);
  EXPECT_GE(timed_get(web, "/asked", &status, {{"x-ferry-fault-delay", "250"}}), 250ms);
  EXPECT_EQ(status, 200);
  // Malformed asks are ignored.
  EXPECT_LT(timed_get(web, "/asked", &status, {{"x-ferry-fault-delay", "soon"}}), 250ms);
  EXPECT_EQ(status, 200);
  timed_get(web, "/asked", &status, {{"x-ferry-fault-abort", "42"}});
  EXPECT_EQ(status, 200);
  // The upstream never sees the fault headers, wherever they were sent.
  timed_get(web, "/plain", &status, {{"x-ferry-fault-abort", "503"}});
  EXPECT_EQ(status, 200);
  for (const SeenRequest& r : upstream.seen()) {
    EXPECT_FALSE(r.has_header("x-ferry-fault-delay")) << r.path;
    EXPECT_FALSE(r.has_header("x-ferry-fault-abort")) << r.path;
  }
}

TEST(FaultInjection, MaxActiveCapsConcurrentFaults) {
  ScriptedUpstream upstream;
  ProxyProcess proxy({.config_yaml = config(upstream.address())});
  std::vector<Clock::duration> took(6);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < took.size(); ++i) {
    threads.emplace_back([&, i] {
      int status = 0;
      took[i] = timed_get(proxy.listener("web"), "/capped", &status);
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  int delayed = 0;
  for (auto d : took) {
    delayed += d >= 800ms ? 1 : 0;
  }
  EXPECT_EQ(delayed, 2) << "only max_active faults at once; the rest pass untouched";
  EXPECT_EQ(proxy.metric(faults("delay")), 2);
}

}  // namespace
}  // namespace ferry::test
