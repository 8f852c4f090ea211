#pragma once

// Internal to the message server: included by message_server.cc and
// server_connection.cc only, so Asio stays out of message_server.h.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proxy/core/http1/message_server.h"
#include "proxy/core/http1/request_parser.h"

namespace ferry::core::http1 {

using Clock = std::chrono::steady_clock;

// What the acceptor and every connection of one MessageServer share. Lives as
// long as the server or any of its connections (shared_ptr), on the
// io_context's thread.
class ServerState : public std::enable_shared_from_this<ServerState> {
 public:
  ServerState(boost::asio::io_context& io, MessageServer::Handler handler,
              MessageServerOptions options);

  void start_accept();
  void close();
  void drain(std::function<void()> on_drained);
  // A connection is gone (called once per connection, from its close path).
  void connection_closed(ServerConnection* connection);

  boost::asio::io_context& io;
  MessageServer::Handler handler;
  MessageServerOptions options;
  boost::asio::ip::tcp::acceptor acceptor;
  boost::asio::steady_timer accept_backoff;
  MessageServerStats stats;
  std::unordered_set<ServerConnection*> connections;
  bool draining = false;
  bool closed = false;

 private:
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  void maybe_drained();

  std::function<void()> on_drained_;
};

// One accepted connection: reads requests (keep-alive, pipelined), hands each
// whole request to the handler, writes responses in request order. Owns
// itself through the handlers it has outstanding; Responders keep it alive too.
class ServerConnection : public std::enable_shared_from_this<ServerConnection> {
 public:
  ServerConnection(std::shared_ptr<ServerState> server, boost::asio::ip::tcp::socket socket,
                   SocketAddress peer);

  void start();
  // Closes the socket now; pending responses are dropped.
  void close_now();
  // Reads no request after the one in progress; closes once answered.
  void begin_drain();
  // A Responder answered request `sequence` (on the io_context's thread).
  void deliver(std::uint64_t sequence, Response response);

  boost::asio::any_io_executor executor() { return socket_.get_executor(); }
  bool closed() const { return closed_; }

 private:
  struct Pending {
    std::uint64_t sequence = 0;
    bool ready = false;
    bool head_request = false;
    bool close_after = false;
    bool send_continue = false;
    Response response;
  };
  enum class Deadline : std::uint8_t { None, Header, Body, Idle, Write, Linger };

  void do_read();
  void on_read(boost::system::error_code ec, std::size_t n);
  void on_eof();
  void process_input();
  bool on_head();
  void on_complete();
  void reject(RejectReason reason);
  void maybe_write();
  void write_continue();
  void on_write(boost::system::error_code ec, bool interim);
  void linger_close();
  void on_linger_read(boost::system::error_code ec);
  bool can_read() const;
  void prepare_buffer();
  void update_deadline();
  void arm_timer(Clock::time_point at);
  void on_timer(std::uint64_t generation, boost::system::error_code ec);
  void on_deadline();

  std::shared_ptr<ServerState> server_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer timer_;
  SocketAddress peer_;
  RequestParser parser_;

  std::vector<char> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t lingered_ = 0;
  std::string body_;
  std::deque<Pending> pending_;
  std::uint64_t next_sequence_ = 0;
  std::string out_;

  bool reading_ = false;
  bool writing_ = false;
  bool read_eof_ = false;
  bool stop_reading_ = false;  // terminal: error, Connection: close, drain, EOF
  bool lingering_ = false;
  bool closed_ = false;
  bool in_request_ = false;  // between the first byte of a head and its Complete
  std::uint64_t requests_ = 0;

  Deadline deadline_kind_ = Deadline::None;
  Clock::time_point deadline_{};
  Clock::time_point head_started_{};
  Clock::time_point last_progress_{};
  Clock::time_point idle_since_{};
  Clock::time_point timer_expiry_{};
  bool timer_armed_ = false;
  std::uint64_t timer_generation_ = 0;
};

}  // namespace ferry::core::http1
