#include "filters/outlier_detector.h"

#include <chrono>

#include <gtest/gtest.h>

#include "filters/host.h"
#include "tests/unit/filters/test_hosts.h"

namespace ferry::filters {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::make_hosts;
using testing::start_time;
using Hosts = std::vector<std::shared_ptr<Host>>;

// What the runtime does: record attempts on a worker, and when one reports a
// crossing, hand it to the detector on main.
std::optional<OutlierEvent> fail_until_reported(OutlierDetector& detector, Host& host,
                                                TimePoint now, std::uint16_t status = 503) {
  const ConsecutiveThresholds thresholds = detector.options().thresholds();
  for (int i = 0; i < 1000; ++i) {
    if (auto reason =
            record_attempt(host, AttemptOutcome::response(status), milliseconds(1), thresholds)) {
      return detector.on_consecutive_failure(host, *reason, now);
    }
  }
  ADD_FAILURE() << "no threshold crossing";
  return std::nullopt;
}

// `count` responses on `host`: `failures` of them 500s spread out so no
// consecutive threshold is reached, each taking `latency`.
void traffic(Host& host, int count, int failures, Duration latency) {
  const ConsecutiveThresholds thresholds{};
  for (int i = 0; i < count; ++i) {
    const bool fail = i < 2 * failures && i % 2 == 0;
    record_attempt(host, AttemptOutcome::response(fail ? 500 : 200), latency, thresholds);
  }
}

OutlierDetectionOptions consecutive_only() {
  OutlierDetectionOptions options;
  options.success_rate_enabled = false;
  options.latency_enabled = false;
  return options;
}

TEST(OutlierDetector, EjectsAfterConsecutive5xxAndReturnsAfterBaseTime) {
  const Hosts hosts = make_hosts(10);
  OutlierDetector detector(consecutive_only());
  const TimePoint t0 = start_time();
  detector.set_hosts(hosts, t0);

  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(record_attempt(*hosts[0], AttemptOutcome::response(500), {},
                             detector.options().thresholds()),
              std::nullopt);
  }
  const auto event = fail_until_reported(detector, *hosts[0], t0, 500);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->action, OutlierAction::Ejected);
  EXPECT_EQ(event->reason, EjectionReason::Consecutive5xx);
  EXPECT_EQ(event->ejection_time, seconds(30));
  EXPECT_EQ(event->host, hosts[0]);
  EXPECT_TRUE(hosts[0]->state.ejected.load());
  EXPECT_EQ(hosts[0]->state.times_ejected.load(), 1u);
  EXPECT_EQ(hosts[0]->stats.consecutive_5xx.load(), 0u);  // reset by main
  EXPECT_EQ(detector.ejected_count(), 1u);
  EXPECT_EQ(detector.next_return(), t0 + seconds(30));

  EXPECT_TRUE(detector.on_interval(t0 + seconds(10)).empty());
  EXPECT_TRUE(detector.on_interval(t0 + seconds(20)).empty());
  const auto back = detector.on_interval(t0 + seconds(30));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].action, OutlierAction::Returned);
  EXPECT_EQ(back[0].reason, EjectionReason::Consecutive5xx);
  EXPECT_FALSE(hosts[0]->state.ejected.load());
  EXPECT_EQ(detector.ejected_count(), 0u);
  EXPECT_EQ(detector.returned_total(), 1u);
  EXPECT_EQ(detector.next_return(), std::nullopt);
  EXPECT_EQ(detector.detected_total(EjectionReason::Consecutive5xx), 1u);
  EXPECT_EQ(detector.enforced_total(EjectionReason::Consecutive5xx), 1u);
}

TEST(OutlierDetector, GatewayFailuresEjectWithTheirOwnReason) {
  const Hosts hosts = make_hosts(10);
  OutlierDetector detector(consecutive_only());
  detector.set_hosts(hosts, start_time());
  const auto event = fail_until_reported(detector, *hosts[4], start_time(), 503);
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->reason, EjectionReason::ConsecutiveGatewayFailure);
  EXPECT_EQ(detector.enforced_total(EjectionReason::ConsecutiveGatewayFailure), 1u);
}

TEST(OutlierDetector, EjectionTimeGrowsLinearlyAndIsCapped) {
  const Hosts hosts = make_hosts(10);
  OutlierDetector detector(consecutive_only());  // 30s base, 300s cap
  TimePoint now = start_time();
  detector.set_hosts(hosts, now);
  for (int k = 1; k <= 13; ++k) {
    const auto event = fail_until_reported(detector, *hosts[0], now);
    ASSERT_TRUE(event.has_value());
    ASSERT_EQ(event->action, OutlierAction::Ejected);
    EXPECT_EQ(event->ejection_time, std::min<Duration>(seconds(30) * k, seconds(300))) << k;
    // Back at exactly its time (a runtime timer on next_return()); fails
    // again at once, so no interval in service lets the multiplier shrink.
    const auto due = detector.next_return();
    ASSERT_TRUE(due.has_value());
    EXPECT_TRUE(detector.return_due(*due - milliseconds(1)).empty());
    now = *due;
    ASSERT_EQ(detector.return_due(now).size(), 1u);
  }
}

TEST(OutlierDetector, MultiplierShrinksForEachIntervalInService) {
  const Hosts hosts = make_hosts(10);
  OutlierDetector detector(consecutive_only());
  TimePoint now = start_time();
  detector.set_hosts(hosts, now);
  for (int k = 0; k < 3; ++k) {
    fail_until_reported(detector, *hosts[0], now);
    now = *detector.next_return();
    detector.return_due(now);
  }
  EXPECT_EQ(hosts[0]->state.times_ejected.load(), 3u);
  // Half an interval in service does not count; each full one does.
  detector.on_interval(now + seconds(5));
  EXPECT_EQ(hosts[0]->state.times_ejected.load(), 3u);
  detector.on_interval(now + seconds(10));
  EXPECT_EQ(hosts[0]->state.times_ejected.load(), 2u);
  detector.on_interval(now + seconds(20));
  EXPECT_EQ(hosts[0]->state.times_ejected.load(), 1u);
  const auto event = fail_until_reported(detector, *hosts[0], now + seconds(21));
  ASSERT_TRUE(event.has_value());
  EXPECT_EQ(event->ejection_time, seconds(60));
}

TEST(OutlierDetector, MaxEjectionPercentAllowsAtLeastOne) {
  const Hosts hosts = make_hosts(5);  // 10% of 5 rounds to 0: at least 1
  OutlierDetector detector(consecutive_only());
  const TimePoint t0 = start_time();
  detector.set_hosts(hosts, t0);
  EXPECT_EQ(detector.max_ejectable(), 1u);

  ASSERT_EQ(fail_until_reported(detector, *hosts[0], t0)->action, OutlierAction::Ejected);
  const auto blocked = fail_until_reported(detector, *hosts[1], t0);
  ASSERT_TRUE(blocked.has_value());
  EXPECT_EQ(blocked->action, OutlierAction::NotEnforced);
  EXPECT_FALSE(hosts[1]->state.ejected.load());
  EXPECT_EQ(detector.ejected_count(), 1u);
  EXPECT_EQ(detector.detected_total(EjectionReason::ConsecutiveGatewayFailure), 2u);
  EXPECT_EQ(detector.enforced_total(EjectionReason::ConsecutiveGatewayFailure), 1u);

  // Once the first is back, the second can go on its next streak.
  detector.on_interval(t0 + seconds(30));
  ASSERT_EQ(fail_until_reported(detector, *hosts[1], t0 + seconds(31))->action,
            OutlierAction::Ejected);
}

TEST(OutlierDetector, MaxEjectionPercentScalesWithHosts) {
  OutlierDetector detector(consecutive_only());
  const Hosts hosts = make_hosts(25);
  detector.set_hosts(hosts, start_time());
  EXPECT_EQ(detector.max_ejectable(), 2u);
  int ejected = 0;
  for (const auto& host : hosts) {
    const auto e = fail_until_reported(detector, *host, start_time());
    ejected += (e && e->action == OutlierAction::Ejected) ? 1 : 0;
  }
  EXPECT_EQ(ejected, 2);
  EXPECT_EQ(detector.ejected_count(), 2u);
}

TEST(OutlierDetector, HundredPercentMayEjectEveryHost) {
  OutlierDetectionOptions options = consecutive_only();
  options.max_ejection_percent = 100;
  OutlierDetector detector(options);
  const Hosts hosts = make_hosts(5);
  detector.set_hosts(hosts, start_time());
  for (const auto& host : hosts) {
    fail_until_reported(detector, *host, start_time());
  }
  // 100% lets the detector eject all of them; the routable set's panic
  // fallback is what keeps traffic flowing (routable_hosts_test).
  EXPECT_EQ(detector.ejected_count(), 5u);
}

TEST(OutlierDetector, ZeroPercentDetectsButNeverEjects) {
  OutlierDetectionOptions options = consecutive_only();
  options.max_ejection_percent = 0;
  OutlierDetector detector(options);
  const Hosts hosts = make_hosts(5);
  detector.set_hosts(hosts, start_time());
  EXPECT_EQ(fail_until_reported(detector, *hosts[0], start_time())->action,
            OutlierAction::NotEnforced);
  EXPECT_EQ(detector.detected_total(EjectionReason::ConsecutiveGatewayFailure), 1u);
  EXPECT_EQ(detector.ejected_count(), 0u);
}

TEST(OutlierDetector, IgnoresAlreadyEjectedAndForeignHosts) {
  OutlierDetector detector(consecutive_only());
  const Hosts hosts = make_hosts(10);
  detector.set_hosts(hosts, start_time());
  fail_until_reported(detector, *hosts[0], start_time());
  EXPECT_EQ(
      detector.on_consecutive_failure(*hosts[0], EjectionReason::Consecutive5xx, start_time()),
      std::nullopt);
  auto stranger = testing::make_host(9);
  EXPECT_EQ(
      detector.on_consecutive_failure(*stranger, EjectionReason::Consecutive5xx, start_time()),
      std::nullopt);
  EXPECT_EQ(detector.detected_total(EjectionReason::Consecutive5xx), 0u);
  EXPECT_EQ(detector.detected_total(EjectionReason::ConsecutiveGatewayFailure), 1u);
}

TEST(OutlierDetector, HostLeavingTheClusterIsReturnedSilently) {
  OutlierDetector detector(consecutive_only());
  const Hosts hosts = make_hosts(10);
  const TimePoint t0 = start_time();
  detector.set_hosts(hosts, t0);
  fail_until_reported(detector, *hosts[0], t0);
  ASSERT_TRUE(hosts[0]->state.ejected.load());

  const Hosts rest(hosts.begin() + 1, hosts.end());
  detector.set_hosts(rest, t0 + seconds(1));
  EXPECT_FALSE(hosts[0]->state.ejected.load());
  EXPECT_EQ(detector.ejected_count(), 0u);
  EXPECT_EQ(detector.host_count(), 9u);
  EXPECT_EQ(detector.returned_total(), 0u);
  EXPECT_EQ(detector.next_return(), std::nullopt);

  // Hosts that stay keep their state across the swap.
  fail_until_reported(detector, *hosts[1], t0 + seconds(2));
  detector.set_hosts(hosts, t0 + seconds(3));
  EXPECT_TRUE(hosts[1]->state.ejected.load());
  EXPECT_EQ(detector.ejected_count(), 1u);
  EXPECT_EQ(detector.next_return(), t0 + seconds(32));
}

TEST(OutlierDetector, DestroyedDetectorReturnsItsHosts) {
  const Hosts hosts = make_hosts(10);
  {
    OutlierDetector detector(consecutive_only());
    detector.set_hosts(hosts, start_time());
    fail_until_reported(detector, *hosts[0], start_time());
    ASSERT_TRUE(hosts[0]->state.ejected.load());
  }
  EXPECT_FALSE(hosts[0]->state.ejected.load());
  EXPECT_EQ(hosts[0]->state.times_ejected.load(), 1u);  // history stays with the host
}

TEST(OutlierDetector, SharedHostKeepsAnotherDetectorsEjection) {
  // Two clusters listing the same endpoint share its Host.
  const Hosts hosts = make_hosts(10);
  OutlierDetector a(consecutive_only());
  a.set_hosts(hosts, start_time());
  fail_until_reported(a, *hosts[0], start_time());
  OutlierDetector b(consecutive_only());
  b.set_hosts(hosts, start_time() + seconds(1));
  EXPECT_TRUE(hosts[0]->state.ejected.load());  // b's arrival did not undo it
  EXPECT_EQ(b.ejected_count(), 0u);
  b.on_interval(start_time() + seconds(11));
  EXPECT_TRUE(hosts[0]->state.ejected.load());
  a.on_interval(start_time() + seconds(30));
  EXPECT_FALSE(hosts[0]->state.ejected.load());
}

OutlierDetectionOptions success_rate_only() {
  OutlierDetectionOptions options;
  options.latency_enabled = false;
  options.max_ejection_percent = 50;
  return options;
}

TEST(OutlierDetector, SuccessRateEjectsTheHostFailingFarMoreThanItsPeers) {
  OutlierDetector detector(success_rate_only());
  const Hosts hosts = make_hosts(6);
  const TimePoint t0 = start_time();
  detector.set_hosts(hosts, t0);
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    traffic(*hosts[i], 200, i == 3 ? 100 : 1, milliseconds(5));
  }
  const auto events = detector.on_interval(t0 + seconds(10));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].host, hosts[3]);
  EXPECT_EQ(events[0].action, OutlierAction::Ejected);
  EXPECT_EQ(events[0].reason, EjectionReason::SuccessRate);
  EXPECT_EQ(detector.enforced_total(EjectionReason::SuccessRate), 1u);
}

TEST(OutlierDetector, SuccessRateNeedsEnoughHostsAndVolume) {
  const TimePoint t0 = start_time();
  {
    OutlierDetector detector(success_rate_only());
    const Hosts hosts = make_hosts(4);  // fewer than minimum_hosts (5)
    detector.set_hosts(hosts, t0);
    for (std::size_t i = 0; i < hosts.size(); ++i) {
      traffic(*hosts[i], 200, i == 0 ? 100 : 0, {});
    }
    EXPECT_TRUE(detector.on_interval(t0 + seconds(10)).empty());
  }
  {
    OutlierDetector detector(success_rate_only());
    const Hosts hosts = make_hosts(6);
    detector.set_hosts(hosts, t0);
    // 60 per interval is below request_volume (100), twice: figures are per
    // interval, not cumulative.
    for (int interval = 1; interval <= 2; ++interval) {
      for (std::size_t i = 0; i < hosts.size(); ++i) {
        traffic(*hosts[i], 60, i == 0 ? 30 : 0, {});
      }
      EXPECT_TRUE(detector.on_interval(t0 + seconds(10 * interval)).empty());
    }
  }
}

TEST(OutlierDetector, TrafficBeforeAHostJoinedDoesNotCount) {
  OutlierDetector detector(success_rate_only());
  const Hosts hosts = make_hosts(6);
  traffic(*hosts[0], 500, 250, {});  // before the detector knew it
  const TimePoint t0 = start_time();
  detector.set_hosts(hosts, t0);
  for (const auto& host : hosts) {
    traffic(*host, 200, 0, {});
  }
  EXPECT_TRUE(detector.on_interval(t0 + seconds(10)).empty());
}

OutlierDetectionOptions latency_only() {
  OutlierDetectionOptions options;
  options.success_rate_enabled = false;
  options.max_ejection_percent = 50;
  return options;
}

TEST(OutlierDetector, LatencyEjectsTheSlowHost) {
  OutlierDetector detector(latency_only());
  const Hosts hosts = make_hosts(6);
  const TimePoint t0 = start_time();
  detector.set_hosts(hosts, t0);
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    traffic(*hosts[i], 150, 0, i == 2 ? milliseconds(100) : milliseconds(10 + i));
  }
  const auto events = detector.on_interval(t0 + seconds(10));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].host, hosts[2]);
  EXPECT_EQ(events[0].reason, EjectionReason::Latency);
  EXPECT_EQ(events[0].ejection_time, seconds(30));
}

TEST(OutlierDetector, LatencyIgnoresSmallAbsoluteDifferencesAndLowVolume) {
  const TimePoint t0 = start_time();
  {
    OutlierDetector detector(latency_only());
    const Hosts hosts = make_hosts(6);
    detector.set_hosts(hosts, t0);
    // 10× slower, but only 900 µs: under latency_minimum_excess (10ms).
    for (std::size_t i = 0; i < hosts.size(); ++i) {
      traffic(*hosts[i], 150, 0, i == 0 ? milliseconds(1) : std::chrono::microseconds(100));
    }
    EXPECT_TRUE(detector.on_interval(t0 + seconds(10)).empty());
  }
  {
    OutlierDetector detector(latency_only());
    const Hosts hosts = make_hosts(6);
    detector.set_hosts(hosts, t0);
    for (std::size_t i = 0; i < hosts.size(); ++i) {
      traffic(*hosts[i], 99, 0, i == 0 ? seconds(1) : milliseconds(10));
    }
    EXPECT_TRUE(detector.on_interval(t0 + seconds(10)).empty());
  }
}

TEST(OutlierDetector, EjectedHostsAreLeftOutOfTheStatistics) {
  OutlierDetector detector(latency_only());
  const Hosts hosts = make_hosts(6);
  const TimePoint t0 = start_time();
  detector.set_hosts(hosts, t0);
  fail_until_reported(detector, *hosts[0], t0);  // ejected by consecutive failures
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    traffic(*hosts[i], 150, 0, i == 0 ? seconds(2) : milliseconds(10));
  }
  // Only five hosts qualify, all alike: nothing to detect (the ejected one's
  // latency is not held against it twice, nor does it skew the others).
  EXPECT_TRUE(detector.on_interval(t0 + seconds(10)).empty());
  EXPECT_EQ(detector.detected_total(EjectionReason::Latency), 0u);
}

TEST(OutlierDetector, IntervalDetectionRespectsMaxPercentWorstFirst) {
  OutlierDetectionOptions options;
  options.latency_enabled = false;  // 10%: one of 10
  options.success_rate_stdev_factor = 1.0;
  OutlierDetector detector(options);
  const Hosts hosts = make_hosts(10);
  const TimePoint t0 = start_time();
  detector.set_hosts(hosts, t0);
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    const int failures = i == 7 ? 95 : (i == 2 ? 90 : 0);
    traffic(*hosts[i], 200, failures, {});
  }
  const auto events = detector.on_interval(t0 + seconds(10));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].host, hosts[7]);  // the worst goes first
  EXPECT_EQ(events[0].action, OutlierAction::Ejected);
  EXPECT_EQ(events[1].host, hosts[2]);
  EXPECT_EQ(events[1].action, OutlierAction::NotEnforced);
  EXPECT_EQ(detector.detected_total(EjectionReason::SuccessRate), 2u);
  EXPECT_EQ(detector.enforced_total(EjectionReason::SuccessRate), 1u);
}

TEST(OutlierDetector, ReasonLabels) {
  EXPECT_STREQ(to_string(EjectionReason::Consecutive5xx), "consecutive_5xx");
  EXPECT_STREQ(to_string(EjectionReason::ConsecutiveGatewayFailure), "consecutive_gateway_failure");
  EXPECT_STREQ(to_string(EjectionReason::SuccessRate), "success_rate");
  EXPECT_STREQ(to_string(EjectionReason::Latency), "latency");
}

}  // namespace
}  // namespace ferry::filters
