#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "proxy/core/address.h"

namespace ferry::proxy {

class Server;

// One admin request, as the admin HTTP server hands it over.
struct AdminRequest {
  std::string_view method;
  std::string_view target;  // path and query
  core::SocketAddress peer;
  std::string_view host;    // Host header, may be empty
  std::string_view origin;  // Origin header, may be empty
};

struct AdminResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::string allow;  // Allow header for 405
};

// The admin endpoints of DESIGN.md ("Admin"): GET /ready /live /metrics
// /listeners /clusters /config /server_info, POST /drain /reload
// /healthcheck/fail /healthcheck/ok /logging?level=L. Main thread only.
//
// Protection (RELIABILITY SC-04): mutations only by POST (GET on one is 405,
// no effect) and only from a loopback peer (403); a request whose Origin is
// not a loopback origin, or whose Host is a DNS name other than localhost
// (DNS rebinding), is refused with 403 whatever the path.
class AdminService {
 public:
  struct Hooks {
    std::function<std::string()> effective_config_json;  // GET /config
    std::function<bool(std::string* error)> reload;      // POST /reload
  };
  AdminService(Server& server, Hooks hooks);

  AdminResponse handle(const AdminRequest& request);

 private:
  AdminResponse get(std::string_view path);
  AdminResponse post(std::string_view path, std::string_view query);
  std::string clusters_json() const;
  std::string listeners_json() const;
  std::string server_info_json() const;

  Server& server_;
  Hooks hooks_;
};

// True when `origin` ("http://127.0.0.1:9901") names a loopback host.
bool is_loopback_origin(std::string_view origin);
// True when `host` (a Host header) is an IP literal or localhost, with or
// without a port: anything else is a DNS name that may have been rebound.
bool is_safe_admin_host(std::string_view host);

}  // namespace ferry::proxy
