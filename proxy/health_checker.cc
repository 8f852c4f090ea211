#include "proxy/health_checker.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "proxy/core/asio_address.h"
#include "proxy/core/http1/message_client.h"
#include "proxy/core/log.h"

namespace ferry::proxy {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using filters::HealthCheckResult;

std::chrono::milliseconds to_millis(core::Duration d) {
  return std::max(std::chrono::milliseconds(1),
                  std::chrono::duration_cast<std::chrono::milliseconds>(d));
}

}  // namespace

HealthCheckSettings HealthCheckSettings::from(const core::HealthCheck& config) {
  HealthCheckSettings s;
  s.type = config.type;
  s.path = config.path;
  s.expected_statuses = config.expected_statuses;
  s.host_header = config.host;
  s.timeout = to_millis(config.timeout);
  s.state.interval = config.interval;
  s.state.healthy_threshold = config.healthy_threshold;
  s.state.unhealthy_threshold = config.unhealthy_threshold;
  s.state.interval_jitter_percent = static_cast<std::uint32_t>(
      std::lround(std::clamp(config.interval_jitter_percent, 0.0, 100.0)));
  return s;
}

HealthChecker::HealthChecker(asio::io_context& io, std::shared_ptr<filters::Host> host,
                             std::shared_ptr<const HealthCheckSettings> settings,
                             std::uint64_t seed, Report report)
    : io_(io),
      host_(std::move(host)),
      settings_(std::move(settings)),
      state_(settings_->state, seed),
      report_(std::move(report)),
      timer_(io) {}

HealthChecker::~HealthChecker() {
  timer_.cancel();
  if (tcp_) {
    error_code ignored;
    tcp_->close(ignored);
  }
  client_.reset();  // its pending callback runs later and finds this checker gone
  host_->state.active_health.store(filters::HealthStatus::Unknown, std::memory_order_relaxed);
}

void HealthChecker::start() {
  schedule(state_.first_delay());
}

void HealthChecker::schedule(std::chrono::steady_clock::duration delay) {
  timer_.expires_after(delay);
  timer_.async_wait([weak = weak_from_this()](const error_code& ec) {
    auto self = weak.lock();
    if (!self || ec == asio::error::operation_aborted) {
      return;
    }
    self->run_check();
  });
}

void HealthChecker::run_check() {
  checking_ = true;
  if (settings_->type == core::HealthCheckType::Tcp) {
    run_tcp_check();
  } else {
    run_http_check();
  }
}

void HealthChecker::run_http_check() {
  if (!client_) {
    core::http1::MessageClientOptions options;
    options.connect_timeout = settings_->timeout;
    options.request_timeout = settings_->timeout;
    options.host = settings_->host_header;
    client_ = std::make_unique<core::http1::MessageClient>(io_, host_->address(), options);
  }
  core::http1::ClientRequest request;
  request.method = core::http::Method::Get;
  request.target = settings_->path;
  request.headers.add("user-agent", "ferry-health-check/" FERRY_VERSION);
  client_->request(std::move(request),
                   [weak = weak_from_this()](error_code ec, core::http1::Response response) {
                     auto self = weak.lock();
                     if (!self || ec == asio::error::operation_aborted) {
                       return;
                     }
                     self->on_http_response(ec, response);
                   });
}

void HealthChecker::on_http_response(const error_code& ec, const core::http1::Response& response) {
  if (ec) {
    FERRY_LOG_LIMITED(spdlog::level::debug, "health check {}{}: {}", host_->address_text(),
                      settings_->path, ec.message());
    complete(ec == asio::error::timed_out ? HealthCheckResult::Timeout
                                          : HealthCheckResult::Failure);
    return;
  }
  const auto& expected = settings_->expected_statuses;
  const bool ok = std::find(expected.begin(), expected.end(), response.status) != expected.end();
  complete(ok ? HealthCheckResult::Success : HealthCheckResult::Failure);
}

void HealthChecker::run_tcp_check() {
  tcp_.emplace(io_);
  tcp_timed_out_ = false;
  tcp_->async_connect(core::to_endpoint(host_->address()),
                      [weak = weak_from_this()](const error_code& ec) {
                        auto self = weak.lock();
                        if (!self) {
                          return;
                        }
                        self->on_tcp_connect(ec);
                      });
  timer_.expires_after(settings_->timeout);
  timer_.async_wait([weak = weak_from_this()](const error_code& ec) {
    auto self = weak.lock();
    if (!self || ec == asio::error::operation_aborted || !self->tcp_) {
      return;
    }
    // Completes the connect with operation_aborted.
    self->tcp_timed_out_ = true;
    error_code ignored;
    self->tcp_->close(ignored);
  });
}

void HealthChecker::on_tcp_connect(const error_code& ec) {
  if (!checking_) {
    return;
  }
  timer_.cancel();
  error_code ignored;
  tcp_->close(ignored);
  tcp_.reset();
  if (tcp_timed_out_) {
    complete(HealthCheckResult::Timeout);
  } else {
    complete(ec ? HealthCheckResult::Failure : HealthCheckResult::Success);
  }
}

void HealthChecker::complete(HealthCheckResult result) {
  checking_ = false;
  const std::optional<filters::HealthStatus> changed = state_.on_result(result);
  if (changed) {
    host_->state.active_health.store(*changed, std::memory_order_relaxed);
  }
  schedule(state_.next_delay());
  report_(*host_, result, changed);
}

}  // namespace ferry::proxy
