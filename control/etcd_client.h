#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include "proxy/core/address.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace ferry::core::http1 {
class MessageClient;
}  // namespace ferry::core::http1

namespace ferry::control {

// etcd v3's JSON gateway speaks base64 keys and values and int64s as strings.
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);
// A transaction's put of `value` at `key`.
boost::json::object etcd_put_op(const std::string& key, std::string_view value);
// The smallest key greater than every key starting with `prefix` (range_end).
std::string prefix_end(std::string_view prefix);
// An int64 the gateway wrote as a string (or a number); 0 when absent.
std::int64_t json_int64(const boost::json::object& object, std::string_view name);

// The answer to one etcd call: a transport error, or the HTTP status and the
// parsed JSON body (for a non-200, `error` holds etcd's message).
struct EtcdReply {
  boost::system::error_code ec;
  int status = 0;
  boost::json::object body;
  std::string error;
  bool ok() const { return !ec && status == 200; }
};

// Unary calls to etcd's gRPC-gateway (`POST /v3/kv/range`, `/v3/kv/txn`, ...)
// over a small pool of kept-alive connections (the shared MessageClient) to
// one endpoint at a time. A transport error moves later calls to the next
// endpoint; the failed call is reported, not retried (a transaction's outcome
// is then unknown, and the caller decides). Loop thread only.
class EtcdClient {
 public:
  struct Options {
    std::vector<std::string> endpoints;  // "IP:PORT" literals
    std::size_t connections = 8;
    std::chrono::milliseconds timeout{5000};
  };
  using Callback = std::function<void(EtcdReply)>;

  // Throws std::invalid_argument for an endpoint that is not an IP:PORT.
  EtcdClient(boost::asio::io_context& io, Options options);
  ~EtcdClient();
  EtcdClient(const EtcdClient&) = delete;
  EtcdClient& operator=(const EtcdClient&) = delete;

  // POST /v3/<path> with `body`.
  void call(std::string_view path, const boost::json::object& body, Callback callback);

  const core::SocketAddress& endpoint() const { return endpoints_[current_]; }
  void close();

 private:
  void switch_endpoint(std::size_t failed);

  boost::asio::io_context& io_;
  Options options_;
  std::vector<core::SocketAddress> endpoints_;
  std::size_t current_ = 0;
  std::vector<std::unique_ptr<core::http1::MessageClient>> pool_;
  bool closed_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace ferry::control
