#include "proxy/http/http_listener_runtime.h"

#include <spdlog/logger.h>

#include "proxy/policy_options.h"

namespace ferry::proxy {
namespace {

std::unique_ptr<const core::RouteConfig> default_route(const core::ListenerConfig& config) {
  if (!config.cluster) {
    return nullptr;
  }
  auto route = std::make_unique<core::RouteConfig>();
  route->prefix = "/";
  route->cluster = *config.cluster;
  route->timeout = config.request_timeout;
  return route;
}

core::http1::ParserOptions parser_options_of(const core::ListenerConfig& config) {
  core::http1::ParserOptions o;
  o.max_header_bytes = static_cast<std::uint32_t>(config.max_request_headers_size);
  o.max_header_count = config.max_request_headers_count;
  o.max_target_length = static_cast<std::uint32_t>(config.max_request_target_size);
  switch (config.headers_with_underscores_action) {
    case core::UnderscoresAction::Allow:
      o.underscores = core::http1::UnderscorePolicy::Allow;
      break;
    case core::UnderscoresAction::Drop:
      o.underscores = core::http1::UnderscorePolicy::Drop;
      break;
    case core::UnderscoresAction::Reject:
      o.underscores = core::http1::UnderscorePolicy::Reject;
      break;
  }
  return o;
}

}  // namespace

HttpListenerRuntime::HttpListenerRuntime(std::shared_ptr<const core::ListenerConfig> config,
                                         std::shared_ptr<spdlog::logger> access_log)
    : config_(std::move(config)),
      routes_(config_->routes, default_route(*config_)),
      parser_(parser_options_of(*config_)),
      access_log_(std::move(access_log)),
      chains_(routes_.size()),
      retry_policies_(routes_.size()) {
  for (std::size_t i = 0; i < routes_.routes().size(); ++i) {
    if (const auto& policy = routes_.route(i).retry_policy) {
      retry_policies_[i] = to_retry_options(*policy);
    }
  }
}

void HttpListenerRuntime::add_listener_filter(std::unique_ptr<RequestFilter> filter) {
  for (auto& chain : chains_) {
    chain.insert(chain.begin() + static_cast<std::ptrdiff_t>(listener_filters_), filter.get());
  }
  ++listener_filters_;
  owned_.push_back(std::move(filter));
}

void HttpListenerRuntime::add_route_filter(std::size_t route_index,
                                           std::unique_ptr<RequestFilter> filter) {
  chains_.at(route_index).push_back(filter.get());
  owned_.push_back(std::move(filter));
}

}  // namespace ferry::proxy
