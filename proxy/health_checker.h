#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "filters/health_check_state.h"
#include "filters/host.h"
#include "proxy/core/config/proxy_config.h"

namespace ferry::core::http1 {
class MessageClient;
struct Response;
}  // namespace ferry::core::http1

namespace ferry::proxy {

// What every checker of one cluster does, from its `health_check` config.
struct HealthCheckSettings {
  core::HealthCheckType type = core::HealthCheckType::Http;
  std::string path = "/healthz";
  std::vector<std::uint16_t> expected_statuses = {200};
  // The Host header of HTTP checks (health_check.host, default the cluster
  // name).
  std::string host_header;
  std::chrono::milliseconds timeout{1000};
  filters::HealthCheckOptions state;

  static HealthCheckSettings from(const core::HealthCheck& config);
};

// The active health check of one host, on the main thread: a timer, and an
// HTTP client (one kept-alive connection, reopened after a failure) or a TCP
// connect per check. The verdict bookkeeping is filters::HealthCheckState;
// this class does the I/O and writes the verdict to the host's
// `state.active_health`. Its traffic never touches the data path: no
// worker, pool, breaker or client metric sees it.
//
// Owned by its ClusterHealth (shared_ptr, so its asynchronous handlers can
// hold weak references: a checker destroyed while a check is in flight is
// simply never called back).
class HealthChecker : public std::enable_shared_from_this<HealthChecker> {
 public:
  // Called on main after each completed check with its result and, when the
  // host's status changed, the new one (already stored in the host).
  using Report = std::function<void(filters::Host& host, filters::HealthCheckResult result,
                                    std::optional<filters::HealthStatus> changed)>;

  // `settings` is shared by the cluster's checkers and outlives them.
  // `report` must stay callable for the checker's life.
  HealthChecker(boost::asio::io_context& io, std::shared_ptr<filters::Host> host,
                std::shared_ptr<const HealthCheckSettings> settings, std::uint64_t seed,
                Report report);
  // Cancels the check in flight and gives the host back its "no active
  // check" state (unknown), so a verdict never outlives its checker (a
  // reload that drops health_check, a host that leaves the cluster).
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  // Schedules the first check after HealthCheckState::first_delay(). Once.
  void start();

  filters::Host& host() const { return *host_; }
  filters::HealthStatus status() const { return state_.status(); }

 private:
  void schedule(std::chrono::steady_clock::duration delay);
  void run_check();
  void run_http_check();
  void run_tcp_check();
  void on_http_response(const boost::system::error_code& ec, const core::http1::Response& response);
  void on_tcp_connect(const boost::system::error_code& ec);
  void complete(filters::HealthCheckResult result);

  boost::asio::io_context& io_;
  std::shared_ptr<filters::Host> host_;
  std::shared_ptr<const HealthCheckSettings> settings_;
  filters::HealthCheckState state_;
  Report report_;
  boost::asio::steady_timer timer_;  // the next check; a TCP check's timeout
  std::unique_ptr<core::http1::MessageClient> client_;
  std::optional<boost::asio::ip::tcp::socket> tcp_;
  bool checking_ = false;
  bool tcp_timed_out_ = false;
};

}  // namespace ferry::proxy
