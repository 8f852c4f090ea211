#include "proxy/cluster.h"

#include <chrono>

#include "proxy/policy_options.h"

namespace ferry::proxy {
namespace {

std::optional<filters::RetryBudgetOptions> budget_of(const core::ClusterConfig& c) {
  if (!c.retry_policy || !c.retry_policy->budget) {
    return std::nullopt;
  }
  filters::RetryBudgetOptions o;
  o.budget_percent = c.retry_policy->budget->budget_percent;
  o.min_retry_concurrency = c.retry_policy->budget->min_retry_concurrency;
  return o;
}

}  // namespace

ClusterShared::ClusterShared(std::shared_ptr<const core::ClusterConfig> config,
                             ProxyMetrics& metrics)
    : config_(std::move(config)),
      stats_(metrics, config_->name),
      breakers_(to_breaker_options(config_->circuit_breakers), budget_of(*config_)) {
  if (config_->retry_policy) {
    retry_policy_ = to_retry_options(*config_->retry_policy);
  }
}

Cluster::Cluster(std::shared_ptr<ClusterShared> shared,
                 std::vector<std::shared_ptr<filters::Host>> hosts, unsigned workers,
                 std::uint64_t seed)
    : shared_(std::move(shared)),
      hosts_(std::move(hosts)),
      routable_(filters::select_routable_hosts(
          hosts_, static_cast<std::uint32_t>(shared_->config().healthy_panic_threshold))) {
  const auto options = to_lb_options(shared_->config().lb_policy);
  for (unsigned i = 0; i <= workers; ++i) {
    balancers_.push_back(std::make_unique<filters::LoadBalancer>(options, seed + i * 0x9e3779b9u));
  }
}

filters::Host* Cluster::pick(unsigned worker, const filters::Host* exclude) const {
  const std::size_t slot = worker < balancers_.size() ? worker : balancers_.size() - 1;
  return balancers_[slot]->pick(routable_.hosts, std::chrono::steady_clock::now(), exclude);
}

}  // namespace ferry::proxy
