#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/json/object.hpp>

#include "proxy/core/address.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace ferry::control {

// One etcd watch over the JSON gateway: `POST /v3/watch` with a
// create_request, answered by a never-ending chunked stream of
// newline-separated JSON messages. The shared MessageClient buffers whole
// responses, so the stream is read here with the strict response parser.
//
// Calls `on_message` with the "result" object of every message (a
// WatchResponse), and `on_closed` once when the stream ends for any reason
// (connect failure, etcd restart, cancel(), a malformed message). Loop thread
// only; cancel() before destruction silences both callbacks.
class EtcdWatch : public std::enable_shared_from_this<EtcdWatch> {
 public:
  using OnMessage = std::function<void(const boost::json::object& result)>;
  using OnClosed = std::function<void(const std::string& reason)>;

  static std::shared_ptr<EtcdWatch> start(boost::asio::io_context& io,
                                          const core::SocketAddress& endpoint,
                                          const boost::json::object& create_request,
                                          std::chrono::milliseconds connect_timeout,
                                          OnMessage on_message, OnClosed on_closed);
  ~EtcdWatch();
  void cancel();

 private:
  struct Impl;
  explicit EtcdWatch(std::unique_ptr<Impl> impl);
  void connect();
  void read();
  void on_bytes(std::size_t n);
  void close(const std::string& reason);

  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::control
