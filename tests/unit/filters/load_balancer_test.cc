#include "filters/load_balancer.h"

#include <chrono>
#include <map>

#include <gtest/gtest.h>

#include "filters/host.h"
#include "tests/unit/filters/test_hosts.h"

namespace ferry::filters {
namespace {

using std::chrono::milliseconds;
using testing::make_hosts;
using testing::start_time;

constexpr std::array<LbPolicy, 4> kPolicies = {LbPolicy::RoundRobin, LbPolicy::LeastRequest,
                                               LbPolicy::Random, LbPolicy::Ewma};

LoadBalancer make(LbPolicy policy, std::uint64_t seed = 1) {
  return LoadBalancer(LoadBalancerOptions{.policy = policy}, seed);
}

TEST(LoadBalancer, PolicyNames) {
  for (LbPolicy p : kPolicies) {
    EXPECT_EQ(parse_lb_policy(to_string(p)), p);
  }
  EXPECT_EQ(parse_lb_policy("least_request"), LbPolicy::LeastRequest);
  EXPECT_EQ(parse_lb_policy("ring_hash"), std::nullopt);
}

TEST(LoadBalancer, EmptySetGivesNoHost) {
  for (LbPolicy p : kPolicies) {
    LoadBalancer lb = make(p);
    EXPECT_EQ(lb.pick({}, start_time()), nullptr);
  }
}

TEST(LoadBalancer, RoundRobinIsExactlyFair) {
  const auto hosts = make_hosts(5);
  LoadBalancer lb = make(LbPolicy::RoundRobin, 77);
  std::map<Host*, int> counts;
  Host* previous = nullptr;
  for (int i = 0; i < 5000; ++i) {
    Host* h = lb.pick(hosts, start_time());
    EXPECT_NE(h, previous);
    previous = h;
    ++counts[h];
  }
  ASSERT_EQ(counts.size(), 5u);
  for (const auto& [host, count] : counts) {
    EXPECT_EQ(count, 1000);
  }
}

TEST(LoadBalancer, RoundRobinWorkersStartAtDifferentHosts) {
  const auto hosts = make_hosts(8);
  std::map<Host*, int> first_picks;
  for (std::uint64_t seed = 0; seed < 64; ++seed) {
    LoadBalancer lb = make(LbPolicy::RoundRobin, seed);
    ++first_picks[lb.pick(hosts, start_time())];
  }
  EXPECT_GT(first_picks.size(), 4u);
}

TEST(LoadBalancer, LeastRequestPrefersTheIdleHost) {
  const auto two = make_hosts(2);
  two[0]->stats.active_requests = 5;
  LoadBalancer lb = make(LbPolicy::LeastRequest);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_EQ(lb.pick(two, start_time()), two[1].get());
  }
  // Among ten, the one idle host wins whenever it is one of the two draws:
  // 1 − (9/10 × 8/9) = 20% of picks, twice its fair share.
  const auto ten = make_hosts(10);
  for (std::size_t i = 1; i < ten.size(); ++i) {
    ten[i]->stats.active_requests = 3;
  }
  int idle = 0;
  constexpr int kPicks = 20'000;
  for (int i = 0; i < kPicks; ++i) {
    idle += lb.pick(ten, start_time()) == ten[0].get() ? 1 : 0;
  }
  EXPECT_NEAR(idle, kPicks / 5, 400);
}

TEST(LoadBalancer, LeastRequestNeverPicksTheBusiestOfMany) {
  const auto hosts = make_hosts(6);
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    hosts[i]->stats.active_requests = static_cast<std::uint32_t>(i + 1);
  }
  LoadBalancer lb = make(LbPolicy::LeastRequest, 3);
  for (int i = 0; i < 2000; ++i) {
    EXPECT_NE(lb.pick(hosts, start_time()), hosts[5].get());
  }
}

TEST(LoadBalancer, RandomIsRoughlyUniform) {
  const auto hosts = make_hosts(4);
  LoadBalancer lb = make(LbPolicy::Random, 11);
  std::map<Host*, int> counts;
  for (int i = 0; i < 40'000; ++i) {
    ++counts[lb.pick(hosts, start_time())];
  }
  for (const auto& [host, count] : counts) {
    EXPECT_NEAR(count, 10'000, 500);
  }
}

TEST(LoadBalancer, ExcludeAvoidsFailedHostsWhileOthersExist) {
  const auto hosts = make_hosts(4);
  const Host* failed[] = {hosts[0].get(), hosts[2].get()};
  for (LbPolicy p : kPolicies) {
    LoadBalancer lb = make(p, 5);
    std::map<Host*, int> counts;
    for (int i = 0; i < 2000; ++i) {
      Host* h = lb.pick(hosts, start_time(), failed);
      ASSERT_NE(h, hosts[0].get()) << to_string(p);
      ASSERT_NE(h, hosts[2].get()) << to_string(p);
      ++counts[h];
      EXPECT_NE(lb.pick(hosts, start_time(), hosts[1].get()), hosts[1].get()) << to_string(p);
    }
    EXPECT_EQ(counts.size(), 2u) << to_string(p);  // both remaining hosts used
  }
}

TEST(LoadBalancer, ExcludingEveryHostStillPicksOne) {
  const auto hosts = make_hosts(2);
  const Host* all[] = {hosts[0].get(), hosts[1].get()};
  for (LbPolicy p : kPolicies) {
    LoadBalancer lb = make(p);
    EXPECT_NE(lb.pick(hosts, start_time(), all), nullptr);
    const auto one = make_hosts(1);
    EXPECT_EQ(lb.pick(one, start_time(), one[0].get()), one[0].get());
  }
}

TEST(LoadBalancer, RecordFeedsEwmaOnly) {
  const auto hosts = make_hosts(1);
  LoadBalancer rr = make(LbPolicy::RoundRobin);
  rr.record(*hosts[0], milliseconds(5), start_time());
  EXPECT_EQ(hosts[0]->stats.peak_ewma.load(), 0u);
  LoadBalancer ewma = make(LbPolicy::Ewma);
  ewma.record(*hosts[0], milliseconds(5), start_time());
  EXPECT_NE(hosts[0]->stats.peak_ewma.load(), 0u);
}

// Two endpoints, one at 10 ms and one at 50 ms, one request per simulated
// millisecond: EWMA sends nearly everything to the fast one. Then the slow
// one becomes the fastest: its estimate decays while it is idle, it is
// tried again, and wins the traffic back.
TEST(LoadBalancer, EwmaPrefersTheFasterEndpointAndRecovers) {
  const auto hosts = make_hosts(2);
  LoadBalancer lb(
      LoadBalancerOptions{.policy = LbPolicy::Ewma, .ewma = {.decay = std::chrono::seconds(10)}},
      21);
  TimePoint now = start_time();
  Duration latency[2] = {milliseconds(10), milliseconds(50)};
  const auto run = [&](int requests) {
    std::array<int, 2> picks{};
    for (int i = 0; i < requests; ++i) {
      Host* h = lb.pick(hosts, now);
      const std::size_t index = h == hosts[0].get() ? 0 : 1;
      ++picks[index];
      lb.record(*h, latency[index], now);
      now += milliseconds(1);
    }
    return picks;
  };
  const auto phase1 = run(10'000);
  EXPECT_GT(phase1[0], 9'900);

  latency[1] = milliseconds(5);
  run(30'000);  // within ~16 s the idle host's estimate decays below 10 ms
  const auto recovered = run(10'000);
  EXPECT_GT(recovered[1], 9'900);
}

TEST(LoadBalancer, EwmaAccountsForLoad) {
  const auto hosts = make_hosts(2);
  LoadBalancer lb = make(LbPolicy::Ewma);
  const TimePoint t = start_time();
  lb.record(*hosts[0], milliseconds(10), t);
  lb.record(*hosts[1], milliseconds(10), t);
  hosts[0]->stats.active_requests = 4;
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(lb.pick(hosts, t), hosts[1].get());
  }
}

}  // namespace
}  // namespace ferry::filters
