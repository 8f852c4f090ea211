#include "filters/load_balancer.h"

#include <algorithm>
#include <array>

#include "filters/host.h"

namespace ferry::filters {
namespace {

struct PolicyName {
  LbPolicy policy;
  std::string_view name;
};
constexpr std::array<PolicyName, 4> kPolicyNames = {{
    {LbPolicy::RoundRobin, "round_robin"},
    {LbPolicy::LeastRequest, "least_request"},
    {LbPolicy::Random, "random"},
    {LbPolicy::Ewma, "ewma"},
}};

bool excluded(const Host* host, std::span<const Host* const> exclude) {
  return std::find(exclude.begin(), exclude.end(), host) != exclude.end();
}

std::size_t count_eligible(std::span<const std::shared_ptr<Host>> hosts,
                           std::span<const Host* const> exclude) {
  if (exclude.empty()) {
    return hosts.size();
  }
  return static_cast<std::size_t>(std::count_if(
      hosts.begin(), hosts.end(), [&](const auto& h) { return !excluded(h.get(), exclude); }));
}

}  // namespace

std::optional<LbPolicy> parse_lb_policy(std::string_view name) {
  for (const auto& entry : kPolicyNames) {
    if (entry.name == name) {
      return entry.policy;
    }
  }
  return std::nullopt;
}

const char* to_string(LbPolicy policy) {
  for (const auto& entry : kPolicyNames) {
    if (entry.policy == policy) {
      return entry.name.data();
    }
  }
  return "unknown";
}

LoadBalancer::LoadBalancer(const LoadBalancerOptions& options, std::uint64_t seed)
    : policy_(options.policy), ewma_(options.ewma), prng_(seed), cursor_(prng_.next()) {}

std::size_t LoadBalancer::nth_eligible(std::span<const std::shared_ptr<Host>> hosts,
                                       std::span<const Host* const> exclude, std::size_t r) const {
  if (exclude.empty()) {
    return r;
  }
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    if (!excluded(hosts[i].get(), exclude)) {
      if (r == 0) {
        return i;
      }
      --r;
    }
  }
  return 0;  // unreachable while r < the eligible count
}

std::size_t LoadBalancer::next_cursor(std::size_t n) {
  // A wrap instead of a division per pick; the modulo only after the set
  // shrank below the cursor (and for the random start).
  if (cursor_ >= n) {
    cursor_ %= n;
  }
  const std::size_t index = cursor_;
  cursor_ = index + 1 == n ? 0 : index + 1;
  return index;
}

std::size_t LoadBalancer::pick_round_robin(std::span<const std::shared_ptr<Host>> hosts,
                                           std::span<const Host* const> exclude) {
  const std::size_t n = hosts.size();
  std::size_t index = next_cursor(n);
  for (std::size_t step = 0; step < n && excluded(hosts[index].get(), exclude); ++step) {
    index = next_cursor(n);
  }
  return index;
}

double LoadBalancer::cost(const Host& host, TimePoint now) const {
  if (policy_ == LbPolicy::Ewma) {
    return ewma_.cost(host, now);
  }
  return static_cast<double>(host.stats.active_requests.load(std::memory_order_relaxed));
}

std::size_t LoadBalancer::pick_two_choices(std::span<const std::shared_ptr<Host>> hosts,
                                           std::span<const Host* const> exclude,
                                           std::size_t eligible, TimePoint now) {
  if (eligible == 1) {
    return nth_eligible(hosts, exclude, 0);
  }
  // Two distinct draws among the eligible hosts.
  const std::size_t first = prng_.uniform(eligible);
  std::size_t second = prng_.uniform(eligible - 1);
  if (second >= first) {
    ++second;
  }
  const std::size_t a = nth_eligible(hosts, exclude, first);
  const std::size_t b = nth_eligible(hosts, exclude, second);
  // Ties go to the first draw, itself random.
  return cost(*hosts[b], now) < cost(*hosts[a], now) ? b : a;
}

Host* LoadBalancer::pick(std::span<const std::shared_ptr<Host>> hosts, TimePoint now,
                         std::span<const Host* const> exclude) {
  if (hosts.empty()) {
    return nullptr;
  }
  std::size_t eligible = count_eligible(hosts, exclude);
  if (eligible == 0) {
    exclude = {};
    eligible = hosts.size();
  }
  std::size_t index = 0;
  switch (policy_) {
    case LbPolicy::RoundRobin:
      index = pick_round_robin(hosts, exclude);
      break;
    case LbPolicy::Random:
      index = nth_eligible(hosts, exclude, prng_.uniform(eligible));
      break;
    case LbPolicy::LeastRequest:
    case LbPolicy::Ewma:
      index = pick_two_choices(hosts, exclude, eligible, now);
      break;
  }
  return hosts[index].get();
}

void LoadBalancer::record(Host& host, Duration latency, TimePoint now) {
  if (policy_ == LbPolicy::Ewma) {
    ewma_.record(host, latency, now);
  }
}

}  // namespace ferry::filters
