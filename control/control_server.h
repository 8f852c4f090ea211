#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/system/error_code.hpp>

#include "control/control_plane.h"
#include "proxy/core/address.h"
#include "proxy/core/sigv4/verifier.h"
#include "proxy/core/stats.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace ferry::control {

struct ControlServerOptions {
  std::size_t max_body_bytes = 1024 * 1024;  // 413 above
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds idle_timeout{300'000};
  std::size_t max_connections = 4096;
  std::chrono::milliseconds default_watch_timeout{30'000};
  std::chrono::milliseconds max_watch_timeout{120'000};
};

// ferry-control's HTTP front end on the shared MessageServer: routes
// `POST /` (the Cloud Map API, action from X-Amz-Target), `GET /v1/watch`,
// `GET /ready` and `GET /metrics`; verifies SigV4 on the first two when a
// verifier is given. Loop thread only.
class ControlServer {
 public:
  // `verifier` null: requests are not authenticated (loopback only; main
  // enforces that).
  ControlServer(boost::asio::io_context& loop, ControlPlane& plane,
                std::shared_ptr<const core::SigV4Verifier> verifier, core::StatsRegistry& stats,
                ControlServerOptions options);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  boost::system::error_code listen(const core::SocketAddress& address);
  core::SocketAddress local_address() const;

  // Stops accepting and lets requests in flight finish; `on_drained` runs on
  // the loop when the last connection is gone.
  void drain(std::function<void()> on_drained);
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::control
