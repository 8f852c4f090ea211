#include "proxy/http/filter_chain_builder.h"

#include <algorithm>

#include "proxy/http/fault_filter.h"
#include "proxy/http/http_listener_runtime.h"
#include "proxy/http/rate_limit_filter.h"

namespace ferry::proxy {
namespace {

filters::TokenBucketOptions bucket_options(const core::RateLimitConfig& c) {
  filters::TokenBucketOptions o;
  o.requests_per_second = c.requests_per_second;
  if (c.burst > 0) {
    o.burst = c.burst;
  }
  return o;
}

filters::FaultInjectionOptions injector_options(const core::FaultConfig& c) {
  filters::FaultInjectionOptions o;
  if (c.delay) {
    o.delay = filters::FaultDelayOptions{c.delay->duration, c.delay->percent};
  }
  if (c.abort) {
    o.abort = filters::FaultAbortOptions{c.abort->status, c.abort->percent};
  }
  o.header_activation = c.header_activation;
  o.max_active_faults = c.max_active;
  return o;
}

template <typename Map>
void drop_unused(Map& entries) {
  for (auto it = entries.begin(); it != entries.end();) {
    if (!it->second.used) {
      it = entries.erase(it);
    } else {
      it->second.used = false;
      ++it;
    }
  }
}

}  // namespace

void FilterChainBuilder::attach(HttpListenerRuntime& runtime) {
  const core::ListenerConfig& listener = runtime.config();
  const std::string& name = listener.name;
  core::Counter limited;
  if (listener.rate_limit ||
      std::any_of(listener.routes.begin(), listener.routes.end(),
                  [](const core::RouteConfig& r) { return r.rate_limit.has_value(); })) {
    limited = metrics_.registry.counter(metrics_.local_rate_limited, {name});
  }
  if (listener.rate_limit) {
    runtime.add_listener_filter(
        std::make_unique<RateLimitFilter>(bucket(name, *listener.rate_limit), limited));
  }
  const auto& routes = runtime.routes();
  for (std::size_t i = 0; i < routes.size(); ++i) {
    const core::RouteConfig& route = routes.route(i);
    const std::string key = name + "/" + std::to_string(i);
    if (route.rate_limit) {
      runtime.add_route_filter(
          i, std::make_unique<RateLimitFilter>(bucket(key, *route.rate_limit), limited));
    }
    if (route.fault) {
      FaultFilter::Counters counters{
          metrics_.registry.counter(metrics_.faults_injected, {name, "delay"}),
          metrics_.registry.counter(metrics_.faults_injected, {name, "abort"})};
      runtime.add_route_filter(
          i, std::make_unique<FaultFilter>(injector(key, *route.fault),
                                           route.fault->header_activation, std::move(counters)));
    }
  }
}

void FilterChainBuilder::prune() {
  drop_unused(buckets_);
  drop_unused(injectors_);
}

std::shared_ptr<filters::TokenBucket> FilterChainBuilder::bucket(
    const std::string& key, const core::RateLimitConfig& config) {
  auto& entry = buckets_[key];
  if (!entry.state || !(entry.config == config)) {
    entry.config = config;
    entry.state = std::make_shared<filters::TokenBucket>(bucket_options(config));
  }
  entry.used = true;
  return entry.state;
}

std::shared_ptr<filters::FaultInjector> FilterChainBuilder::injector(
    const std::string& key, const core::FaultConfig& config) {
  auto& entry = injectors_[key];
  if (!entry.state || !(entry.config == config)) {
    entry.config = config;
    entry.state = std::make_shared<filters::FaultInjector>(injector_options(config));
  }
  entry.used = true;
  return entry.state;
}

}  // namespace ferry::proxy
