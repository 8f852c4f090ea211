#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <boost/system/error_code.hpp>

#include "proxy/core/address.h"
#include "proxy/core/http1/message.h"
#include "proxy/core/http1/parse_error.h"
#include "proxy/core/http1/parser_options.h"
#include "proxy/core/http1/whole_message.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

// A small HTTP/1.1 server for "message" traffic: the admin API, ferry-control's
// API, health checks. Whole requests in, whole responses out (bodies are
// buffered, bounded). Not the proxy's data path.
namespace ferry::core::http1 {

class ServerConnection;
class ServerState;

struct MessageServerOptions {
  // A request body above this is refused with 413 (before reading it when
  // Content-Length announces it) and the connection is closed.
  std::size_t max_body_bytes = 1024 * 1024;
  // From the accept (first request) or the first byte (later requests) to
  // the end of the head; past it: 408 and close (a connection that sent
  // nothing is closed without a response). 0 disables.
  std::chrono::milliseconds header_timeout{10'000};
  // No request in progress and no response pending; past it the connection
  // is closed. 0 disables.
  std::chrono::milliseconds idle_timeout{300'000};
  // No progress reading a body or writing a response; past it: 408 (body) or
  // close (write). 0 disables.
  std::chrono::milliseconds stream_idle_timeout{300'000};
  // Open connections; an accept beyond it is closed at once (counted).
  std::size_t max_connections = 1024;
  // Requests read ahead of their responses on one connection (pipelining);
  // reading pauses while this many are waiting for the handler.
  std::size_t max_pipelined_requests = 16;
  // Bind with SO_REUSEPORT (several acceptors on one port). Off by default:
  // a port taken by another process must be an error.
  bool reuse_port = false;
  ParserOptions parser;
};

// The right to answer one request, exactly once, whenever the handler is
// ready (a long-poll answers seconds later). Movable, not copyable.
//
// send() may be called from any thread: the response is posted to the
// connection's io_context and written in request order (pipelined requests
// are answered in the order they arrived, whatever order send() is called
// in). If the client is gone by then, the response is dropped. A Responder
// destroyed without send() answers 500, so a forgotten request never hangs a
// connection. Keeps its connection object (not its socket) alive.
class Responder {
 public:
  Responder() = default;
  Responder(Responder&& other) noexcept;
  Responder& operator=(Responder&& other) noexcept;
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;
  ~Responder();

  void send(Response response);
  // False after send() (or for a default-constructed Responder).
  bool valid() const { return connection_ != nullptr; }

 private:
  friend class ServerConnection;
  class ServerState;
  Responder(std::shared_ptr<ServerConnection> connection, std::uint64_t sequence);

  std::shared_ptr<ServerConnection> connection_;
  std::uint64_t sequence_ = 0;
};

// Counters of one server, read on its io_context's thread.
struct MessageServerStats {
  std::uint64_t connections_total = 0;
  std::uint64_t connections_overflow = 0;
  std::uint64_t requests_total = 0;
  std::uint64_t rejected_total[static_cast<std::size_t>(RejectReason::Count)] = {};
  std::uint64_t accept_errors = 0;
};

// Listens on one address and serves keep-alive and pipelined HTTP/1.1.
//
// Everything runs on the given io_context, which must be run by one thread
// (the handler is called there). The handler is `void(Request, Responder)`;
// it must not block. The server must outlive nothing: destroying it closes
// every connection, and Responders still held become no-ops.
class MessageServer {
 public:
  using Handler = std::function<void(Request, Responder)>;

  MessageServer(boost::asio::io_context& io, Handler handler, MessageServerOptions options = {});
  ~MessageServer();
  MessageServer(const MessageServer&) = delete;
  MessageServer& operator=(const MessageServer&) = delete;

  // Binds `address` (port 0: any free port) and starts accepting. Called
  // once, on the io_context's thread or before it runs. An error (address in
  // use, permission) leaves the server closed.
  boost::system::error_code listen(const SocketAddress& address);

  // The bound address (the real port after listen with port 0).
  SocketAddress local_address() const;

  // Stops accepting and closes every connection now: requests in flight are
  // abandoned (their Responders become no-ops). Idempotent.
  void close();

  // Graceful: stops accepting, closes idle connections, lets every request
  // already received (or being received) finish; those responses carry
  // "connection: close". `on_drained` (may be empty) runs on the io_context
  // once the last connection is gone. close() still applies afterwards.
  void drain(std::function<void()> on_drained);

  std::size_t connection_count() const;
  const MessageServerStats& stats() const;

 private:
  std::shared_ptr<ServerState> state_;
};

}  // namespace ferry::core::http1
