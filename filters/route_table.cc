#include "filters/route_table.h"

#include <algorithm>
#include <string>

namespace ferry::filters {

std::string normalize_authority(std::string_view authority) {
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    host = close == std::string_view::npos ? host.substr(1) : host.substr(1, close - 1);
  } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (!host.empty() && host.back() == '.') {
    host.remove_suffix(1);
  }
  std::string out(host);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
  });
  return out;
}

RouteTable::RouteTable(std::vector<core::RouteConfig> routes,
                       std::unique_ptr<const core::RouteConfig> default_route)
    : routes_(std::move(routes)), default_route_(std::move(default_route)) {
  for (auto& r : routes_) {
    if (r.authority) {
      r.authority = normalize_authority(*r.authority);
    }
  }
}

namespace {

// True when `authority` (as received: any case, maybe a port, maybe a
// trailing dot) names `host` (normalized). No allocation: this runs per
// request.
bool authority_matches(std::string_view authority, std::string_view host) {
  std::string_view name = authority;
  if (!name.empty() && name.front() == '[') {
    const auto close = name.find(']');
    name = close == std::string_view::npos ? name.substr(1) : name.substr(1, close - 1);
  } else if (const auto colon = name.rfind(':'); colon != std::string_view::npos) {
    name = name.substr(0, colon);
  }
  if (!name.empty() && name.back() == '.') {
    name.remove_suffix(1);
  }
  if (name.size() != host.size()) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c + ('a' - 'A'));
    }
    if (c != host[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::size_t RouteTable::match(std::string_view authority, std::string_view path) const {
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const auto& r = routes_[i];
    if (path.substr(0, r.prefix.size()) != r.prefix) {
      continue;
    }
    if (r.authority && !authority_matches(authority, *r.authority)) {
      continue;
    }
    return i;
  }
  return default_route_ ? routes_.size() : kNoRoute;
}

}  // namespace ferry::filters
