#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include <boost/system/error_code.hpp>

#include "proxy/core/address.h"
#include "proxy/core/http1/parser_options.h"
#include "proxy/core/http1/whole_message.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace ferry::core::http1 {

class ClientImpl;

// Errors of MessageClient besides the socket's own (connection_refused,
// timed_out for a connect or request deadline, operation_aborted after close).
enum class ClientError {
  ProtocolError = 1,   // the server broke HTTP/1.1 (see RejectReason in the log)
  ResponseTooLarge,    // body above max_response_body
  ConnectionClosed,    // the server closed before a complete response
  InvalidRequest,      // the request cannot be serialized (bad method, CR/LF)
  UnsupportedUpgrade,  // 101 Switching Protocols: not for this client
};
const boost::system::error_category& client_error_category();
boost::system::error_code make_error_code(ClientError e);

struct MessageClientOptions {
  std::chrono::milliseconds connect_timeout{5'000};
  // From the moment a request starts (its turn in the queue) to its complete
  // response, connect included. 0 disables.
  std::chrono::milliseconds request_timeout{15'000};
  // A kept-alive connection unused this long is closed. 0 disables.
  std::chrono::milliseconds idle_timeout{60'000};
  std::size_t max_response_body = 8 * 1024 * 1024;
  // The Host field of requests that have none; empty: the address ("1.2.3.4:80").
  std::string host;
  ParserOptions parser;
};

struct MessageClientStats {
  std::uint64_t connects = 0;
  std::uint64_t requests = 0;
  std::uint64_t retries = 0;  // reused connection closed before any response byte
  std::uint64_t errors = 0;
};

// An HTTP/1.1 client for one address (an IPv4 or IPv6 literal and port) over
// one kept-alive connection: health checks, the sidecar's registry client,
// tests. Requests are sent one at a time in the order of request() calls.
//
// All of it runs on the given io_context, which one thread runs; request()
// and close() are called on that thread (or before it runs), and callbacks
// are invoked there. A request that provably never reached the server (the
// connection was reused, and it closed or reset before any response byte) is
// retried once on a new connection when its method is idempotent; otherwise
// the error is reported. Interim 1xx responses are skipped.
class MessageClient {
 public:
  using Callback = std::function<void(boost::system::error_code, Response)>;

  MessageClient(boost::asio::io_context& io, SocketAddress address,
                MessageClientOptions options = {});
  // Closes; queued callbacks still run (with operation_aborted).
  ~MessageClient();
  MessageClient(const MessageClient&) = delete;
  MessageClient& operator=(const MessageClient&) = delete;

  // Queues a request. The callback gets an error_code (empty on success: any
  // status is a success) and the response.
  void request(ClientRequest request, Callback callback);

  // Fails every queued and in-flight request with operation_aborted (the
  // callbacks are posted, never called from inside close) and closes the
  // connection. Later request() calls fail the same way.
  void close();

  const SocketAddress& address() const;
  // Requests queued or in flight.
  std::size_t pending() const;
  const MessageClientStats& stats() const;

 private:
  std::shared_ptr<ClientImpl> impl_;
};

}  // namespace ferry::core::http1

template <>
struct boost::system::is_error_code_enum<ferry::core::http1::ClientError> : std::true_type {};
