#pragma once

#include <functional>
#include <memory>

#include <boost/system/error_code.hpp>

#include "proxy/core/address.h"
#include "proxy/core/duration.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace ferry::discovery {

// Checks that the application answers: a TCP connect to its port, closed
// at once. For http applications too: an accepted connection means the
// listener is up, which is what a registration needs (a request would need
// a path the application may not serve).
//
// Main thread only. One probe at a time; the callback runs on the
// io_context (never inside probe()) unless the probe is cancelled or the
// object destroyed first, in which case it never runs.
class AppProbe {
 public:
  using Callback = std::function<void(boost::system::error_code)>;

  explicit AppProbe(boost::asio::io_context& io);
  ~AppProbe();
  AppProbe(const AppProbe&) = delete;
  AppProbe& operator=(const AppProbe&) = delete;

  // Connects to `address` within `timeout`; the callback gets success, the
  // connect error, or timed_out.
  void probe(const core::SocketAddress& address, core::Duration timeout, Callback callback);
  void cancel();
  bool busy() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace ferry::discovery
