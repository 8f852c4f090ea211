#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "filters/retry_state.h"
#include "filters/route_table.h"
#include "proxy/core/config/proxy_config.h"
#include "proxy/core/http1/parser_options.h"
#include "proxy/http/request_filter.h"

namespace spdlog {
class logger;
}

namespace ferry::proxy {

// What an HTTP listener's connections need from one snapshot: the listener's
// config, its routes and their filters, the parser limits, the access log.
// Built on main, immutable, read by workers.
class HttpListenerRuntime {
 public:
  HttpListenerRuntime(std::shared_ptr<const core::ListenerConfig> config,
                      std::shared_ptr<spdlog::logger> access_log);

  const core::ListenerConfig& config() const { return *config_; }
  const std::string& name() const { return config_->name; }
  const filters::RouteTable& routes() const { return routes_; }
  const core::http1::ParserOptions& parser_options() const { return parser_; }
  // The filters that run for a request on route `index` (listener-level
  // first, then the route's own).
  const std::vector<const RequestFilter*>& filters(std::size_t route_index) const {
    return chains_[route_index];
  }
  // Null when the listener has no access_log.
  spdlog::logger* access_log() const { return access_log_.get(); }
  // A route's own retry_policy (it replaces the cluster's); null if none.
  const filters::RetryPolicyOptions* retry_policy(std::size_t route_index) const {
    const auto& p = retry_policies_[route_index];
    return p ? &*p : nullptr;
  }

  // Adds a filter for the whole listener (before any route filter) or for
  // one route; used while the snapshot is being built.
  void add_listener_filter(std::unique_ptr<RequestFilter> filter);
  void add_route_filter(std::size_t route_index, std::unique_ptr<RequestFilter> filter);

 private:
  std::shared_ptr<const core::ListenerConfig> config_;
  filters::RouteTable routes_;
  core::http1::ParserOptions parser_;
  std::shared_ptr<spdlog::logger> access_log_;
  std::vector<std::unique_ptr<RequestFilter>> owned_;
  std::vector<std::vector<const RequestFilter*>> chains_;                   // per route index
  std::vector<std::optional<filters::RetryPolicyOptions>> retry_policies_;  // per route index
  std::size_t listener_filters_ = 0;
};

}  // namespace ferry::proxy
