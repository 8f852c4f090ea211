#include "proxy/policy_options.h"

namespace ferry::proxy {

filters::RetryPolicyOptions to_retry_options(const core::RetryPolicy& policy) {
  filters::RetryPolicyOptions o;
  o.retry_on = {};
  for (core::RetryOn on : policy.retry_on) {
    switch (on) {
      case core::RetryOn::FiveXx:
        o.retry_on.insert(filters::RetryOn::Status5xx);
        break;
      case core::RetryOn::GatewayError:
        o.retry_on.insert(filters::RetryOn::GatewayError);
        break;
      case core::RetryOn::Reset:
        o.retry_on.insert(filters::RetryOn::Reset);
        break;
      case core::RetryOn::ConnectFailure:
        o.retry_on.insert(filters::RetryOn::ConnectFailure);
        break;
      case core::RetryOn::RefusedStream:
        o.retry_on.insert(filters::RetryOn::RefusedStream);
        break;
      case core::RetryOn::RetriableStatusCodes:
        o.retry_on.insert(filters::RetryOn::RetriableStatusCodes);
        break;
    }
  }
  o.num_retries = policy.num_retries;
  o.retriable_status_codes = policy.retriable_status_codes;
  o.base_interval = policy.retry_back_off.base_interval;
  o.max_interval = policy.retry_back_off.max_interval;
  o.max_body_size = static_cast<std::size_t>(policy.max_body_size);
  return o;
}

filters::CircuitBreakerOptions to_breaker_options(const core::CircuitBreakers& b) {
  filters::CircuitBreakerOptions o;
  o.max_connections = b.max_connections;
  o.max_pending_requests = b.max_pending_requests;
  o.max_requests = b.max_requests;
  o.max_retries = b.max_retries;
  return o;
}

filters::LoadBalancerOptions to_lb_options(core::LbPolicy policy) {
  filters::LoadBalancerOptions o;
  switch (policy) {
    case core::LbPolicy::RoundRobin:
      o.policy = filters::LbPolicy::RoundRobin;
      break;
    case core::LbPolicy::LeastRequest:
      o.policy = filters::LbPolicy::LeastRequest;
      break;
    case core::LbPolicy::Random:
      o.policy = filters::LbPolicy::Random;
      break;
    case core::LbPolicy::Ewma:
      o.policy = filters::LbPolicy::Ewma;
      break;
  }
  return o;
}

}  // namespace ferry::proxy
