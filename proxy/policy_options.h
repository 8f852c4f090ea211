#pragma once

#include "filters/circuit_breakers.h"
#include "filters/load_balancer.h"
#include "filters/retry_state.h"
#include "proxy/core/config/proxy_config.h"

namespace ferry::proxy {

// The config structs (proxy/core/config) mapped onto the option structs of
// the policies in filters/. One place, so a key reaches its policy once.
filters::RetryPolicyOptions to_retry_options(const core::RetryPolicy& policy);
filters::CircuitBreakerOptions to_breaker_options(const core::CircuitBreakers& breakers);
filters::LoadBalancerOptions to_lb_options(core::LbPolicy policy);

}  // namespace ferry::proxy
