#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "proxy/core/config/proxy_config.h"

namespace ferry::filters {

// The routes of one HTTP listener, in config order, plus the listener's
// default route (its `cluster`). First match wins: a route matches when the
// request path starts with its prefix and, if it names an authority, the
// request's authority equals it (case-insensitive, port ignored). Built on
// main with a snapshot; read by workers.
class RouteTable {
 public:
  // `default_route` is used when no route matches; nullptr means 404.
  RouteTable(std::vector<core::RouteConfig> routes,
             std::unique_ptr<const core::RouteConfig> default_route);

  static constexpr std::size_t kNoRoute = static_cast<std::size_t>(-1);

  // The index of the route for a request: an index into the routes, or
  // routes().size() for the default route, or kNoRoute (the proxy answers
  // 404). `authority` as received (Host or absolute-form), `path` the
  // origin-form path with its query.
  std::size_t match(std::string_view authority, std::string_view path) const;

  // The route at an index returned by match() (not kNoRoute).
  const core::RouteConfig& route(std::size_t index) const {
    return index < routes_.size() ? routes_[index] : *default_route_;
  }
  // Routes plus the default one.
  std::size_t size() const { return routes_.size() + (default_route_ ? 1 : 0); }
  const std::vector<core::RouteConfig>& routes() const { return routes_; }

 private:
  std::vector<core::RouteConfig> routes_;
  std::unique_ptr<const core::RouteConfig> default_route_;
};

// The host part of an authority, lower-cased, without the port and a
// trailing dot: "API.Local:8080" → "api.local", "[::1]:80" → "::1".
std::string normalize_authority(std::string_view authority);

}  // namespace ferry::filters
