#include "control/control_server.h"

#include <spdlog/spdlog.h>
#include <boost/url/parse.hpp>

#include "control/ids.h"
#include "proxy/core/duration.h"
#include "proxy/core/http1/message_server.h"
#include "proxy/core/log.h"

namespace ferry::control {
namespace http1 = core::http1;
namespace http = core::http;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view kTargetPrefix = "Route53AutoNaming_v20170314.";
constexpr std::string_view kAmzJson = "application/x-amz-json-1.1";

http1::Response json_response(int status, std::string body, std::string_view error_code = {}) {
  http1::Response response;
  response.status = static_cast<std::uint16_t>(status);
  response.headers.add("content-type", kAmzJson);
  response.headers.add("x-amzn-requestid", new_request_id());
  if (!error_code.empty()) {
    response.headers.add("x-amzn-errortype", error_code);
  }
  response.body = std::move(body);
  return response;
}

http1::Response text_response(int status, std::string body, std::string_view type) {
  http1::Response response;
  response.status = static_cast<std::uint16_t>(status);
  response.headers.add("content-type", type);
  response.body = std::move(body);
  return response;
}

std::string_view path_of(std::string_view origin) {
  return origin.substr(0, origin.find('?'));
}

std::string_view query_of(std::string_view origin) {
  const std::size_t q = origin.find('?');
  return q == std::string_view::npos ? std::string_view() : origin.substr(q + 1);
}

}  // namespace

struct ControlServer::Impl {
  Impl(boost::asio::io_context& loop, ControlPlane& plane_ref,
       std::shared_ptr<const core::SigV4Verifier> verifier_ref, core::StatsRegistry& stats_ref,
       ControlServerOptions opts)
      : plane(plane_ref),
        verifier(std::move(verifier_ref)),
        stats(stats_ref),
        options(opts),
        server(
            loop, [this](http1::Request r, http1::Responder s) { on_request(r, s); },
            server_options(opts)),
        rejected_family(stats.counter_family(
            "ferry_control_http_rejected_total",
            "Requests the HTTP layer refused before the API saw them, by reason", {"reason"})) {}

  static http1::MessageServerOptions server_options(const ControlServerOptions& o) {
    http1::MessageServerOptions out;
    out.max_body_bytes = o.max_body_bytes;
    out.header_timeout = o.header_timeout;
    out.idle_timeout = o.idle_timeout;
    out.max_connections = o.max_connections;
    return out;
  }

  void on_request(http1::Request& request, http1::Responder& responder);
  // SigV4; on refusal answers 403 and returns false.
  bool authenticate(const http1::Request& request, std::string_view action,
                    http1::Responder& responder, AuthContext& auth, Clock::time_point start);
  void api(http1::Request& request, http1::Responder& responder, Clock::time_point start);
  void watch(http1::Request& request, http1::Responder& responder, Clock::time_point start);
  void metrics(http1::Responder& responder);

  ControlPlane& plane;
  std::shared_ptr<const core::SigV4Verifier> verifier;
  core::StatsRegistry& stats;
  ControlServerOptions options;
  http1::MessageServer server;
  core::StatsRegistry::FamilyId rejected_family;
  std::vector<core::Counter> rejected;       // by RejectReason
  std::vector<std::uint64_t> rejected_seen;  // server stats already counted
};

void ControlServer::Impl::on_request(http1::Request& request, http1::Responder& responder) {
  const auto start = Clock::now();
  const std::string_view path = path_of(request.head.path);
  const http::Method method = request.head.method;
  if (path == "/" && method == http::Method::Post) {
    return api(request, responder, start);
  }
  if (path == "/v1/watch" && method == http::Method::Get) {
    return watch(request, responder, start);
  }
  if (path == "/ready" && (method == http::Method::Get || method == http::Method::Head)) {
    const bool ready = plane.ready();
    return responder.send(
        text_response(ready ? 200 : 503, ready ? "LIVE\n" : "NOT READY\n", "text/plain"));
  }
  if (path == "/metrics" && method == http::Method::Get) {
    return metrics(responder);
  }
  const bool known = path == "/" || path == "/v1/watch" || path == "/ready" || path == "/metrics";
  responder.send(text_response(known ? 405 : 404, known ? "method not allowed\n" : "not found\n",
                               "text/plain"));
}

bool ControlServer::Impl::authenticate(const http1::Request& request, std::string_view action,
                                       http1::Responder& responder, AuthContext& auth,
                                       Clock::time_point start) {
  if (!verifier) {
    return true;
  }
  std::vector<core::HeaderField> headers;
  headers.reserve(request.head.headers.size());
  for (const auto& [name, value] : request.head.headers) {
    headers.push_back({name, value});
  }
  const core::SigningInput input{request.head.method_text, path_of(request.head.path),
                                 query_of(request.head.path), headers, request.body};
  const core::SigV4Verdict verdict = verifier->verify(input, std::chrono::system_clock::now());
  if (verdict.ok()) {
    auth.access_key_id = verdict.access_key_id;
    return true;
  }
  const std::string_view code = core::sigv4_error_code(verdict.status);
  FERRY_LOG_LIMITED(spdlog::level::warn,
                    "auth_denied peer={} action={} access_key_id={} code={} reason=\"{}\"",
                    request.peer.to_string(), action.substr(0, 64),
                    verdict.access_key_id.substr(0, 32), code, verdict.message);
  plane.count_refused(action, code, Clock::now() - start);
  responder.send(
      json_response(403, api_error(std::string(code), verdict.message, 403).body(), code));
  return false;
}

void ControlServer::Impl::api(http1::Request& request, http1::Responder& responder,
                              Clock::time_point start) {
  const std::string_view target = request.head.headers.get("x-amz-target").value_or("");
  const std::string_view action = target.substr(0, kTargetPrefix.size()) == kTargetPrefix
                                      ? target.substr(kTargetPrefix.size())
                                      : std::string_view();
  AuthContext auth;
  if (!authenticate(request, action, responder, auth, start)) {
    return;
  }
  if (action.empty()) {
    plane.count_refused("unknown", "UnknownOperationException", Clock::now() - start);
    const ApiError error = api_error("UnknownOperationException",
                                     "X-Amz-Target must name a Route53AutoNaming_v20170314 action");
    return responder.send(json_response(400, error.body(), error.code));
  }
  auto shared = std::make_shared<http1::Responder>(std::move(responder));
  plane.handle_api(action, request.body, auth, [shared](ApiReply reply) {
    shared->send(json_response(reply.status, std::move(reply.body), reply.error_code));
  });
}

void ControlServer::Impl::watch(http1::Request& request, http1::Responder& responder,
                                Clock::time_point start) {
  AuthContext auth;
  if (!authenticate(request, "Watch", responder, auth, start)) {
    return;
  }
  auto fail = [&](const std::string& message) {
    const ApiError error = invalid_input(message);
    responder.send(json_response(400, error.body(), error.code));
  };
  auto url = boost::urls::parse_origin_form(request.head.path);
  if (!url) {
    return fail("malformed query string");
  }
  std::string ns;
  std::string epoch;
  std::optional<std::int64_t> version;
  auto timeout =
      std::chrono::duration_cast<std::chrono::nanoseconds>(options.default_watch_timeout);
  for (const auto& param : url->params()) {
    if (param.key == "namespace") {
      ns = param.value;
    } else if (param.key == "epoch") {
      epoch = param.value;
    } else if (param.key == "version" && !param.value.empty()) {
      try {
        std::size_t used = 0;
        version = std::stoll(param.value, &used);
        if (used != param.value.size()) {
          return fail("version must be an integer");
        }
      } catch (const std::exception&) {
        return fail("version must be an integer");
      }
    } else if (param.key == "timeout") {
      auto parsed = core::parse_duration(param.value);
      if (!parsed || parsed->count() == 0) {
        return fail("timeout must be a duration such as 30s");
      }
      timeout = std::min<std::chrono::nanoseconds>(*parsed, options.max_watch_timeout);
    }
  }
  if (ns.empty()) {
    return fail("the namespace parameter is required");
  }
  auto shared = std::make_shared<http1::Responder>(std::move(responder));
  plane.watch(ns, epoch, version, timeout, [shared](WatchHub::Reply reply) {
    if (reply.status == 304) {
      http1::Response r;
      r.status = 304;
      return shared->send(std::move(r));
    }
    if (reply.status == 200) {
      return shared->send(text_response(200, *reply.body, "application/json"));
    }
    shared->send(json_response(reply.status, *reply.body));
  });
}

void ControlServer::Impl::metrics(http1::Responder& responder) {
  // The HTTP layer's own refusals (413, 408, 400...) become counters here.
  const auto& server_stats = server.stats();
  constexpr auto kCount = static_cast<std::size_t>(http1::RejectReason::Count);
  if (rejected.empty()) {
    rejected_seen.assign(kCount, 0);
    for (std::size_t i = 0; i < kCount; ++i) {
      rejected.push_back(stats.counter(
          rejected_family, {std::string(http1::reason_name(static_cast<http1::RejectReason>(i)))}));
    }
  }
  for (std::size_t i = 0; i < kCount; ++i) {
    const std::uint64_t now = server_stats.rejected_total[i];
    rejected[i].inc(now - rejected_seen[i]);
    rejected_seen[i] = now;
  }
  responder.send(text_response(200, stats.serialize(), "text/plain; version=0.0.4"));
}

ControlServer::ControlServer(boost::asio::io_context& loop, ControlPlane& plane,
                             std::shared_ptr<const core::SigV4Verifier> verifier,
                             core::StatsRegistry& stats, ControlServerOptions options)
    : impl_(std::make_unique<Impl>(loop, plane, std::move(verifier), stats, options)) {}

ControlServer::~ControlServer() = default;

boost::system::error_code ControlServer::listen(const core::SocketAddress& address) {
  return impl_->server.listen(address);
}

core::SocketAddress ControlServer::local_address() const {
  return impl_->server.local_address();
}

void ControlServer::drain(std::function<void()> on_drained) {
  impl_->server.drain(std::move(on_drained));
}

void ControlServer::close() {
  impl_->server.close();
}

}  // namespace ferry::control
