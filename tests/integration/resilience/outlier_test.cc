// RELIABILITY.md FT-12: outlier ejection with five upstreams and two
// workers (ejection decided on main, so every worker agrees), its growth with
// each ejection, max_ejection_percent, panic routing; and latency outliers.
#include <gtest/gtest.h>

#include "tests/integration/resilience/resilience_support.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string outlier_config(const std::string& endpoints, const std::string& outlier,
                           const std::string& extra = "") {
  return web_to_backend(endpoints, "    outlier_detection: " + outlier + "\n" + extra);
}

ScriptedUpstream::Script always(int status) {
  return [status](const SeenRequest&) {
    return UpstreamAction::respond(status);
  };
}

int ejected_count(const ProxyProcess& proxy) {
  int n = 0;
  for (const EndpointView& e : endpoints(proxy, "backend")) {
    n += e.ejected ? 1 : 0;
  }
  return n;
}

// Sends requests one at a time until `bad` shows as ejected; returns when it
// was seen (or nullopt after `limit` requests).
std::optional<Clock::time_point> drive_until_ejected(const ProxyProcess& proxy,
                                                     const std::string& bad, int limit) {
  for (int i = 0; i < limit; ++i) {
    http_get(proxy.listener("web"), "/");
    if (endpoint(proxy, "backend", bad).ejected) {
      return Clock::now();
    }
  }
  return std::nullopt;
}

TEST(OutlierDetection, ConsecutiveFailuresEjectAndEjectionTimeGrows) {
  auto upstreams = make_upstreams(5);
  ScriptedUpstream& bad = *upstreams[0];
  bad.set_script(always(503));
  // A long interval: the multiplier does not decay between the ejections.
  ProxyProcess proxy(
      {.config_yaml = outlier_config(endpoint_list(raw(upstreams)),
                                     "{consecutive_5xx: 5, consecutive_gateway_failure: "
                                     "5, interval: 30s, base_ejection_time: 1s, "
                                     "max_ejection_time: 10s, max_ejection_percent: 20}")});
  const auto first = drive_until_ejected(proxy, bad.address(), 200);
  ASSERT_TRUE(first) << "never ejected; bad upstream saw " << bad.requests();
  // Ejected after 5 consecutive failures (a request or two may have been on
  // their way while the new overlay reached the workers).
  EXPECT_GE(bad.requests(), 5u);
  EXPECT_LE(bad.requests(), 7u);
  EXPECT_EQ(proxy.metric("ferry_outlier_ejections_total{cluster=\"backend\",reason=\"consecutive_"
                         "gateway_failure\"}"),
            1);
  EXPECT_EQ(proxy.metric("ferry_outlier_ejections_active{cluster=\"backend\"}"), 1);

  // While ejected it gets no traffic, on either worker.
  ASSERT_TRUE(overlay_counts(proxy, "backend", "ejected", 1));
  const auto before = bad.requests();
  const Tally during = fire(proxy.listener("web"), 60, 3);
  EXPECT_EQ(during.count(200), 60) << during.describe();
  EXPECT_EQ(bad.requests(), before);

  // Back after base_ejection_time × 1.
  ASSERT_TRUE(eventually([&] { return !endpoint(proxy, "backend", bad.address()).ejected; }, 5s));
  const auto first_time = Clock::now() - *first;
  EXPECT_GE(first_time, 800ms);
  EXPECT_LE(first_time, 2500ms);
  EXPECT_EQ(proxy.metric("ferry_outlier_ejections_reversed_total{cluster=\"backend\"}"), 1);

  // The second ejection lasts base × 2.
  const auto second = drive_until_ejected(proxy, bad.address(), 200);
  ASSERT_TRUE(second);
  ASSERT_TRUE(eventually([&] { return !endpoint(proxy, "backend", bad.address()).ejected; }, 8s));
  const auto second_time = Clock::now() - *second;
  EXPECT_GE(second_time, 1800ms);
  EXPECT_GT(second_time, first_time + 500ms);
  EXPECT_EQ(proxy.metric("ferry_outlier_ejections_reversed_total{cluster=\"backend\"}"), 2);
}

TEST(OutlierDetection, MaxEjectionPercentKeepsOutliersInServiceAndCountsThem) {
  auto upstreams = make_upstreams(5);
  upstreams[0]->set_script(always(500));
  upstreams[1]->set_script(always(500));
  ProxyProcess proxy(
      {.config_yaml = outlier_config(endpoint_list(raw(upstreams)),
                                     "{consecutive_5xx: 5, interval: 30s, "
                                     "base_ejection_time: 30s, max_ejection_percent: 20}")});
  const std::string detections =
      "ferry_outlier_detections_total{cluster=\"backend\",reason=\"consecutive_5xx\"}";
  ASSERT_TRUE(eventually(
      [&] {
        fire(proxy.listener("web"), 20, 2);
        return proxy.metric(detections) >= 2;
      },
      10s));
  // 20% of 5: one host at a time; the other outlier is detected, not ejected.
  EXPECT_EQ(ejected_count(proxy), 1);
  EXPECT_EQ(proxy.metric("ferry_outlier_ejections_total{cluster=\"backend\",reason=\"consecutive_"
                         "5xx\"}"),
            1);
  EXPECT_EQ(proxy.metric("ferry_outlier_ejections_active{cluster=\"backend\"}"), 1);
}

TEST(OutlierDetection, WhenEveryHostFailsThePanicRoutesOverAllAndNeverEjectsAll) {
  auto upstreams = make_upstreams(5);
  for (auto& u : upstreams) {
    u->set_script(always(503));
  }
  ProxyProcess proxy(
      {.config_yaml = outlier_config(endpoint_list(raw(upstreams)),
                                     "{consecutive_gateway_failure: 3, interval: 30s, "
                                     "base_ejection_time: 30s, max_ejection_percent: 40}",
                                     "    healthy_panic_threshold: 70\n")});
  int most_ejected = 0;
  for (int round = 0; round < 10; ++round) {
    fire(proxy.listener("web"), 20, 2);
    most_ejected = std::max(most_ejected, ejected_count(proxy));
  }
  EXPECT_EQ(most_ejected, 2) << "40% of 5 hosts";
  // 3 of 5 usable is below the 70% panic threshold: every host, ejected or
  // not, takes traffic.
  std::vector<std::uint64_t> before;
  for (auto& u : upstreams) {
    before.push_back(u->requests());
  }
  const Tally tally = fire(proxy.listener("web"), 100, 2);
  EXPECT_EQ(tally.count(503), 100) << "the upstreams' own 503s, never 'no healthy upstream'";
  for (std::size_t i = 0; i < upstreams.size(); ++i) {
    EXPECT_GT(upstreams[i]->requests(), before[i]) << "upstream " << i << " got no traffic";
  }
  EXPECT_LE(ejected_count(proxy), 2);
}

TEST(OutlierDetection, ALatencyOutlierIsEjected) {
  auto upstreams = make_upstreams(5);
  upstreams[4]->set_script([](const SeenRequest&) { return UpstreamAction::respond(200, 40ms); });
  ProxyProcess proxy({.config_yaml = outlier_config(
                          endpoint_list(raw(upstreams)),
                          "{interval: 300ms, base_ejection_time: 30s, max_ejection_percent: "
                          "20, latency: {minimum_hosts: 3, request_volume: 5, "
                          "threshold_factor: 3}}")});
  const std::string slow = upstreams[4]->address();
  ASSERT_TRUE(eventually(
      [&] {
        fire(proxy.listener("web"), 40, 4);
        return endpoint(proxy, "backend", slow).ejected;
      },
      15s));
  EXPECT_EQ(proxy.metric("ferry_outlier_ejections_total{cluster=\"backend\",reason=\"latency\"}"),
            1);
  EXPECT_EQ(ejected_count(proxy), 1);
  ASSERT_TRUE(overlay_counts(proxy, "backend", "ejected", 1));
  const auto before = upstreams[4]->requests();
  const Tally tally = fire(proxy.listener("web"), 50, 4);
  EXPECT_EQ(tally.count(200), 50);
  EXPECT_EQ(upstreams[4]->requests(), before);
}

}  // namespace
}  // namespace ferry::test
