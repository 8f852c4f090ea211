// RELIABILITY.md FT-11 (the retry budget stops retry storms) and LD-06
// (circuit breakers answer overflow at once), with two workers, so the
// limits are shown to hold for the process, not per worker.
#include <atomic>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "tests/integration/resilience/resilience_support.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string config(const std::string& endpoint, const std::string& cluster_keys) {
  return "admin: {address: 127.0.0.1:0}\n"
         "workers: 2\n"
         "listeners:\n"
         "  - {name: web, address: 127.0.0.1:0, cluster: backend, request_timeout: 20s}\n"
         "clusters:\n"
         "  - name: backend\n"
         "    endpoints: [" +
         endpoint + "]\n" + cluster_keys;
}

TEST(RetryBudget, AFailingUpstreamGetsNoRetryStorm) {
  ScriptedUpstream upstream([](const SeenRequest&) { return UpstreamAction::respond(503, 20ms); });
  ProxyProcess proxy(
      {.config_yaml = config(upstream.address(),
                             "    retry_policy: {num_retries: 3, budget: {budget_percent: 20, "
                             "min_retry_concurrency: 3}}\n")});
  constexpr int kRequests = 1000;
  const Tally tally = fire(proxy.listener("web"), kRequests, 100);
  EXPECT_EQ(tally.count(503), kRequests) << tally.describe();
  const double offered = kRequests;
  const double upstream_load = static_cast<double>(upstream.requests());
  // Retries at most 20% of the active requests: retried attempts are at most
  // a quarter of first attempts while the back-off holds part of the budget.
  EXPECT_LE(upstream_load, 1.2 * offered) << "upstream saw " << upstream_load;
  EXPECT_GT(proxy.metric("ferry_upstream_retries_total{cluster=\"backend\"}"), 0);
  EXPECT_GT(proxy.metric("ferry_upstream_retry_overflow_total{cluster=\"backend\"}"), 0);
  // num_retries: 3 without a budget would be 4x.
  EXPECT_EQ(upstream_load,
            offered + proxy.metric("ferry_upstream_retries_total{cluster=\"backend\"}"));
}

TEST(RetryBudget, MaxRetriesCapsConcurrentRetriesWithoutABudget) {
  ScriptedUpstream upstream([](const SeenRequest&) { return UpstreamAction::respond(503, 20ms); });
  ProxyProcess proxy({.config_yaml = config(upstream.address(),
                                            "    retry_policy: {num_retries: 3}\n"
                                            "    circuit_breakers: {max_retries: 2}\n")});
  constexpr int kRequests = 600;
  const Tally tally = fire(proxy.listener("web"), kRequests, 60);
  EXPECT_EQ(tally.count(503), kRequests) << tally.describe();
  EXPECT_LE(static_cast<double>(upstream.requests()), 1.2 * kRequests);
  EXPECT_GT(proxy.metric("ferry_upstream_retry_overflow_total{cluster=\"backend\"}"), 0);
}

struct Answer {
  int status = 0;
  bool overloaded = false;
  Clock::duration took{};
};

std::vector<Answer> concurrent_gets(const std::string& address, int n) {
  std::vector<Answer> answers(static_cast<std::size_t>(n));
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      const auto start = Clock::now();
      const HttpResponse r = http_request(address, "GET", "/slow", {}, {}, 10s);
      Answer& a = answers[static_cast<std::size_t>(i)];
      a.status = r.status;
      a.took = Clock::now() - start;
      auto it = r.headers.find("x-ferry-overloaded");
      a.overloaded = it != r.headers.end() && it->second == "true";
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  return answers;
}

TEST(CircuitBreakers, PendingOverflowIsAnImmediate503AndTheClusterRecovers) {
  ScriptedUpstream upstream(
      [](const SeenRequest&) { return UpstreamAction::respond(200, 1500ms); });
  ProxyProcess proxy(
      {.config_yaml = config(upstream.address(),
                             "    circuit_breakers: {max_connections: 4, max_pending_requests: 4, "
                             "max_requests: 1000}\n")});
  const auto answers = concurrent_gets(proxy.listener("web"), 40);
  int ok = 0;
  int overloaded = 0;
  for (const Answer& a : answers) {
    if (a.status == 200) {
      ++ok;
    } else {
      EXPECT_EQ(a.status, 503);
      EXPECT_TRUE(a.overloaded) << "overflow is marked x-ferry-overloaded: true";
      EXPECT_LT(a.took, 1000ms) << "overflow is answered at once, not after the slow upstream";
      overloaded += a.status == 503 ? 1 : 0;
    }
  }
  // 4 connections and 4 pending requests for the whole process (not per
  // worker: per worker it would be 16). A worker whose pool has no
  // connection while the other holds every slot opens one connection past
  // the cap (UpstreamPool::connect_new, so its waiters cannot starve): with
  // two workers that is at most 4 + 1 at once, and 4 + 1 + 4 served.
  EXPECT_LE(ok, 9);
  EXPECT_GE(ok, 4);
  EXPECT_EQ(ok + overloaded, 40);
  EXPECT_LE(upstream.peak_active(), 5);
  EXPECT_EQ(proxy.metric("ferry_upstream_pending_overflow_total{cluster=\"backend\"}"), overloaded);
  // Recovery as soon as the upstream is fast again.
  upstream.set_script([](const SeenRequest&) { return UpstreamAction::respond(200); });
  const Tally after = fire(proxy.listener("web"), 40, 4);
  EXPECT_EQ(after.count(200), 40) << after.describe();
}

TEST(CircuitBreakers, MaxRequestsHoldsForTheProcess) {
  ScriptedUpstream upstream(
      [](const SeenRequest&) { return UpstreamAction::respond(200, 1000ms); });
  ProxyProcess proxy(
      {.config_yaml = config(upstream.address(), "    circuit_breakers: {max_requests: 6}\n")});
  const auto answers = concurrent_gets(proxy.listener("web"), 30);
  int ok = 0;
  for (const Answer& a : answers) {
    if (a.status == 200) {
      ++ok;
    } else {
      EXPECT_EQ(a.status, 503);
      EXPECT_TRUE(a.overloaded);
    }
  }
  EXPECT_EQ(ok, 6);
  EXPECT_LE(upstream.peak_active(), 6);
  EXPECT_EQ(proxy.metric("ferry_upstream_pending_overflow_total{cluster=\"backend\"}"), 24);
}

}  // namespace
}  // namespace ferry::test
