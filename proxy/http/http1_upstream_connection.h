#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "filters/resource_slot.h"
#include "proxy/buffer_pool.h"
#include "proxy/core/http1/response_parser.h"
#include "proxy/http/output_buffer.h"
#include "proxy/http/request_path.h"

namespace ferry::proxy {

class ClusterShared;
class UpstreamPool;

// One HTTP/1.1 connection from a worker to an endpoint, owned by its
// UpstreamPool, serving one request at a time (the UpstreamStream of that
// request's attempt). Worker thread only.
//
// States: Connecting → Idle ⇄ Active → Closed. While Idle it watches the
// socket: a byte or a FIN from the server closes it at once, so the pool
// rarely hands out a connection the server already gave up (the keep-alive
// race); when it does anyway, the failure says so (reused, no response byte)
// and the router retries an idempotent request on a fresh connection.
//
// A connection that saw a protocol error, an incomplete response, a request
// whose body was not fully sent, or `Connection: close` is never reused.
class Http1UpstreamConnection final : public UpstreamStream,
                                      public std::enable_shared_from_this<Http1UpstreamConnection> {
 public:
  Http1UpstreamConnection(UpstreamPool& pool, filters::ResourceSlot connection_slot);
  ~Http1UpstreamConnection();

  // Starts connecting; the pool hears on_connected / on_connect_failed.
  void connect(std::chrono::steady_clock::duration timeout);
  // Binds the connection to one request; the callbacks get
  // on_upstream_ready() from the pool right after.
  void attach(UpstreamCallbacks& callbacks);
  // Idle → watching for a server close; Active → only the pool calls it.
  void set_idle();
  std::chrono::steady_clock::time_point idle_since() const { return idle_since_; }
  bool reused() const { return requests_ > 0; }
  // Closes the socket now; the pool hears on_closed (unless `silent`).
  void close(bool silent = false);

  // Takes the socket and any bytes read past the 101 / CONNECT response for a
  // tunnel; the connection is closed (no pool callback) afterwards.
  boost::asio::ip::tcp::socket detach_socket(std::string& leftover) override;

  // UpstreamStream
  void send_request_headers(const core::http::RequestHead& head, core::http::BodyFraming framing,
                            bool end_stream) override;
  void send_request_data(std::string_view data) override;
  void send_request_end() override;
  void flush() override;
  void abandon() override;
  void pause_response() override;
  void resume_response() override;
  bool request_buffer_full() const override;

 private:
  enum class State : std::uint8_t { Connecting, Idle, Active, Closed };

  void on_connect(const boost::system::error_code& ec);
  void configure_socket();
  void read();
  void wait_readable();
  void on_idle_readable(const boost::system::error_code& ec);
  void process_input();
  bool handle_step(const core::http1::ParseStep& step);
  void on_peer_closed(bool reset);
  void fail(UpstreamFailure::Kind kind);
  void finish_response();
  void maybe_release();
  void on_write_done(const boost::system::error_code& ec, std::size_t n);

  UpstreamPool& pool_;
  // Keeps the breakers the slot points into alive, even past the pool (a
  // connection can outlive its pool while the worker shuts down).
  std::shared_ptr<ClusterShared> cluster_;
  filters::ResourceSlot connection_slot_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer connect_timer_;
  State state_ = State::Connecting;
  UpstreamCallbacks* callbacks_ = nullptr;
  core::http1::ResponseParser parser_;
  BufferPool::Buffer in_;
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;
  OutputBuffer out_;
  bool reading_ = false;     // a readiness wait is pending
  bool paused_ = false;      // the router asked to stop delivering the response
  bool in_process_ = false;  // inside process_input (no re-entry)
  bool chunked_request_ = false;
  bool request_done_ = false;
  bool response_done_ = false;
  bool response_started_ = false;  // any byte of this response arrived
  bool reusable_ = true;
  std::uint64_t requests_ = 0;
  std::chrono::steady_clock::time_point idle_since_;
};

}  // namespace ferry::proxy
