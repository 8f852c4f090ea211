#include "proxy/admin_service.h"

#include <netinet/in.h>

#include <chrono>

#include <boost/json.hpp>

#include "proxy/core/log.h"
#include "proxy/server.h"
#include "proxy/snapshot.h"

namespace ferry::proxy {
namespace {

namespace json = boost::json;

bool is_loopback(const core::SocketAddress& peer) {
  if (peer.is_v6()) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(peer.data());
    if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr)) {
      return true;
    }
    // ::ffff:127.x.y.z
    return IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) && sin6->sin6_addr.s6_addr[12] == 127;
  }
  const auto* sin = reinterpret_cast<const sockaddr_in*>(peer.data());
  return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
}

// "host[:port]" or "[v6][:port]" → host.
std::string_view host_part(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    return close == std::string_view::npos ? host : host.substr(1, close - 1);
  }
  const auto colon = host.find(':');
  return colon == std::string_view::npos ? host : host.substr(0, colon);
}

bool is_ip_literal(std::string_view host) {
  const std::string h(host);
  return core::SocketAddress::parse(h + ":0").has_value() ||
         core::SocketAddress::parse("[" + h + "]:0").has_value();
}

AdminResponse text(int status, std::string body) {
  AdminResponse r;
  r.status = status;
  r.body = std::move(body);
  r.body += '\n';
  return r;
}

AdminResponse json_response(std::string body) {
  AdminResponse r;
  r.content_type = "application/json";
  r.body = std::move(body);
  r.body += '\n';
  return r;
}

bool is_mutation(std::string_view path) {
  return path == "/drain" || path == "/reload" || path == "/healthcheck/fail" ||
         path == "/healthcheck/ok" || path == "/logging";
}

}  // namespace

bool is_loopback_origin(std::string_view origin) {
  const auto scheme = origin.find("://");
  if (scheme == std::string_view::npos) {
    return false;
  }
  const std::string_view host = host_part(origin.substr(scheme + 3));
  if (host == "localhost") {
    return true;
  }
  const std::string h(host);
  auto v4 = core::SocketAddress::parse(h + ":0");
  auto v6 = core::SocketAddress::parse("[" + h + "]:0");
  return (v4 && is_loopback(*v4)) || (v6 && is_loopback(*v6));
}

bool is_safe_admin_host(std::string_view host) {
  if (host.empty()) {
    return true;
  }
  const std::string_view name = host_part(host);
  return name == "localhost" || is_ip_literal(name);
}

AdminService::AdminService(Server& server, Hooks hooks)
    : server_(server), hooks_(std::move(hooks)) {}

AdminResponse AdminService::handle(const AdminRequest& request) {
  if (!request.origin.empty() && !is_loopback_origin(request.origin)) {
    return text(403, "forbidden: foreign Origin");
  }
  if (!is_safe_admin_host(request.host)) {
    return text(403, "forbidden: Host must be an IP address or localhost");
  }
  std::string_view path = request.target;
  std::string_view query;
  if (const auto q = path.find('?'); q != std::string_view::npos) {
    query = path.substr(q + 1);
    path = path.substr(0, q);
  }
  if (is_mutation(path)) {
    if (request.method != "POST") {
      AdminResponse r = text(405, "method not allowed: use POST");
      r.allow = "POST";
      return r;
    }
    if (!is_loopback(request.peer)) {
      return text(403, "forbidden: admin mutations are accepted from loopback only");
    }
    return post(path, query);
  }
  if (request.method != "GET" && request.method != "HEAD") {
    AdminResponse r = text(405, "method not allowed: use GET");
    r.allow = "GET, HEAD";
    return r;
  }
  return get(path);
}

AdminResponse AdminService::get(std::string_view path) {
  if (path == "/ready") {
    if (server_.ready()) {
      return text(200, "LIVE");
    }
    return text(503, server_.draining() ? "DRAINING" : "NOT READY");
  }
  if (path == "/live") {
    return text(200, "LIVE");
  }
  if (path == "/metrics") {
    AdminResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = server_.stats().serialize();
    return r;
  }
  if (path == "/listeners") {
    return json_response(listeners_json());
  }
  if (path == "/clusters") {
    return json_response(clusters_json());
  }
  if (path == "/server_info") {
    return json_response(server_info_json());
  }
  if (path == "/config" && hooks_.effective_config_json) {
    return json_response(hooks_.effective_config_json());
  }
  return text(404, "not found");
}

AdminResponse AdminService::post(std::string_view path, std::string_view query) {
  if (path == "/drain") {
    server_.drain(Server::DrainTrigger::Admin);
    return text(200, "draining");
  }
  if (path == "/healthcheck/fail") {
    server_.set_health_check_failed(true);
    return text(200, "health check failed: /ready answers 503");
  }
  if (path == "/healthcheck/ok") {
    server_.set_health_check_failed(false);
    return text(200, "health check ok");
  }
  if (path == "/logging") {
    constexpr std::string_view kKey = "level=";
    const auto at = query.find(kKey);
    const auto level = at == std::string_view::npos
                           ? std::nullopt
                           : core::parse_log_level(query.substr(at + kKey.size()));
    if (!level) {
      return text(400, "usage: POST /logging?level=trace|debug|info|warn|error");
    }
    core::set_log_level(*level);
    return text(200, "log level set");
  }
  // /reload
  std::string error;
  if (!hooks_.reload) {
    return text(501, "reload is not available");
  }
  if (!hooks_.reload(&error)) {
    return text(400, "reload rejected, the previous config stays live:\n" + error);
  }
  return text(200, "reloaded");
}

std::string AdminService::listeners_json() const {
  json::array out;
  for (const auto& l : server_.listeners()) {
    out.push_back(json::object{{"name", l.name}, {"address", l.address}, {"protocol", l.protocol}});
  }
  return json::serialize(out);
}

std::string AdminService::clusters_json() const {
  json::array out;
  const auto& snapshot = server_.snapshot();
  if (snapshot) {
    for (const auto& cluster : snapshot->clusters()) {
      json::array endpoints;
      for (const auto& host : cluster->hosts()) {
        json::object e{
            {"address", host->address_text()},
            {"health", filters::to_string(host->health())},
            {"ejected", host->state.ejected.load(std::memory_order_relaxed)},
            {"active_requests", host->stats.active_requests.load(std::memory_order_relaxed)},
            {"active_connections", host->stats.active_connections.load(std::memory_order_relaxed)},
        };
        if (!host->hostname().empty()) {
          e["hostname"] = host->hostname();
        }
        endpoints.push_back(std::move(e));
      }
      out.push_back(json::object{{"name", cluster->name()}, {"endpoints", std::move(endpoints)}});
    }
  }
  return json::serialize(out);
}

std::string AdminService::server_info_json() const {
  const double uptime = std::chrono::duration<double>(server_.uptime()).count();
  const char* state = server_.draining() ? "draining" : server_.ready() ? "live" : "starting";
  return json::serialize(json::object{{"version", FERRY_VERSION},
                                      {"uptime_seconds", uptime},
                                      {"workers", server_.workers()},
                                      {"state", state}});
}

}  // namespace ferry::proxy
