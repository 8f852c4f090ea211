#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "filters/clock.h"
#include "filters/peak_ewma.h"
#include "filters/prng.h"

namespace ferry::filters {

class Host;

// `lb_policy` (DESIGN.md; default round_robin).
enum class LbPolicy : std::uint8_t { RoundRobin, LeastRequest, Random, Ewma };
std::optional<LbPolicy> parse_lb_policy(std::string_view name);
const char* to_string(LbPolicy policy);

struct LoadBalancerOptions {
  LbPolicy policy = LbPolicy::RoundRobin;
  PeakEwmaOptions ewma{};  // used by LbPolicy::Ewma only
};

// Picks the endpoint for one attempt. One instance per worker per cluster
// (it owns a cursor and a Prng and is not thread-safe); it reads the
// process-wide Host stats other workers write, without locks.
// - round_robin: a cursor over the hosts, starting at a random offset so
//   workers do not all begin with the first host.
// - least_request: power of two choices on active_requests.
// - random: uniform.
// - ewma: power of two choices on peak-EWMA latency × (active + 1).
class LoadBalancer {
 public:
  LoadBalancer(const LoadBalancerOptions& options, std::uint64_t seed);

  LbPolicy policy() const { return policy_; }

  // Called on the worker for every attempt. `hosts` is the cluster's
  // current routable set (RoutableHosts::hosts of the overlay the worker
  // holds); the returned pointer is one of them, valid while the caller
  // holds that overlay; null only when `hosts` is empty. `exclude` lists
  // hosts a retry should avoid (the ones that just failed): they are
  // skipped while another host exists, and picked anyway when every host is
  // excluded (a retry on the same host beats no retry).
  Host* pick(std::span<const std::shared_ptr<Host>> hosts, TimePoint now,
             std::span<const Host* const> exclude = {});
  Host* pick(std::span<const std::shared_ptr<Host>> hosts, TimePoint now, const Host* exclude) {
    return exclude == nullptr ? pick(hosts, now) : pick(hosts, now, {&exclude, 1});
  }

  // Called on the worker when an attempt to `host` got its response head,
  // `latency` after the request was sent. Feeds the shared peak-EWMA state
  // (ewma only; a no-op otherwise, so other policies pay nothing).
  void record(Host& host, Duration latency, TimePoint now);

 private:
  // A uniformly random index among the n − excluded eligible hosts, or the
  // r-th eligible one.
  std::size_t nth_eligible(std::span<const std::shared_ptr<Host>> hosts,
                           std::span<const Host* const> exclude, std::size_t r) const;
  std::size_t next_cursor(std::size_t n);
  std::size_t pick_round_robin(std::span<const std::shared_ptr<Host>> hosts,
                               std::span<const Host* const> exclude);
  std::size_t pick_two_choices(std::span<const std::shared_ptr<Host>> hosts,
                               std::span<const Host* const> exclude, std::size_t eligible,
                               TimePoint now);
  double cost(const Host& host, TimePoint now) const;

  LbPolicy policy_;
  PeakEwma ewma_;
  Prng prng_;
  std::size_t cursor_;
};

}  // namespace ferry::filters
