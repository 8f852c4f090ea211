#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "proxy/buffer_pool.h"
#include "proxy/connection_set.h"
#include "proxy/core/http1/request_parser.h"
#include "proxy/http/http_stream.h"
#include "proxy/http/output_buffer.h"
#include "proxy/http/request_path.h"

namespace ferry::proxy {

class HttpListenerRuntime;
class Listener;
class RuntimeSnapshot;
class Worker;

// One downstream HTTP/1.1 connection (`protocol: http` listeners): the codec
// side of the request path. Parses requests strictly (proxy/core/http1),
// feeds them one at a time to its HttpStream, and writes responses back.
// Pipelined requests are answered in order: the next request is parsed only
// once the previous response is complete. Owns itself; worker thread only.
//
// Generic over the socket: `Socket` is boost::asio::ip::tcp::socket today; a
// TLS stream with the same members (non-blocking read_some / write_some,
// async_wait, async_write_some) instantiates the same code.
//
// Timeouts (one timer, re-armed lazily): `request_headers_timeout` from the
// first byte of a request to its complete head (408, close);
// `stream_idle_timeout` without a byte either way while a request is in
// flight (408 before the response, close after); `idle_timeout` between
// requests (close).
template <typename Socket>
class Http1ServerConnection final
    : public Connection,
      public DownstreamStream,
      public std::enable_shared_from_this<Http1ServerConnection<Socket>> {
 public:
  Http1ServerConnection(Worker& worker, std::shared_ptr<Listener> listener, Socket socket);
  ~Http1ServerConnection() override;

  void start();

  // Connection
  void drain() override;
  void close() override;

  // DownstreamStream
  void send_response_headers(core::http::ResponseHead& head, bool end_stream) override;
  void send_response_data(std::string_view data) override;
  void send_response_end(const core::http::HeaderMap* trailers) override;
  void reset_stream(StreamResetReason reason) override;
  void send_continue() override;
  void flush() override;
  void pause_request_body() override;
  void resume_request_body() override;
  bool response_buffer_full() const override;
  void start_tunnel(UpstreamStream& upstream) override;

 private:
  void read();
  void wait_readable();
  void process_input();
  bool handle_step(const core::http1::ParseStep& step);
  void on_head();
  void reject(const core::http1::ParseError& error);
  void refuse_h2c();
  void on_peer_closed();
  void on_write_done(const boost::system::error_code& ec, std::size_t n);
  void after_response();
  void next_request();
  void close_gracefully();
  void linger_read();
  void terminate();
  void abort();  // terminate() with a reset: the client stopped reading
  void arm_timer(std::chrono::steady_clock::time_point deadline);
  void on_timer(const boost::system::error_code& ec);
  void touch();
  char* in_data();
  std::size_t in_capacity() const;
  void release_input_if_empty();

  Worker& worker_;
  std::shared_ptr<Listener> listener_;
  std::shared_ptr<const RuntimeSnapshot> snapshot_;
  const HttpListenerRuntime* runtime_ = nullptr;
  Socket socket_;
  core::SocketAddress peer_;
  std::string peer_ip_;
  std::optional<core::http1::RequestParser> parser_;
  std::optional<HttpStream> stream_;
  BufferPool::Buffer in_;
  std::unique_ptr<char[]> big_in_;  // when the header limit exceeds a pool buffer
  std::size_t big_in_size_ = 0;
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;
  OutputBuffer out_;
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point timer_at_{};
  std::chrono::steady_clock::time_point last_activity_{};
  std::chrono::steady_clock::time_point head_deadline_{};
  bool timer_armed_ = false;
  bool reading_ = false;
  bool body_paused_ = false;
  bool in_process_ = false;
  bool in_request_ = false;        // a head was delivered; the response is not complete
  bool request_complete_ = false;  // the request's body was fully read
  bool response_chunked_ = false;
  bool response_done_ = false;
  bool keep_alive_ = true;
  bool close_after_response_ = false;
  bool closing_ = false;  // no more requests: flush, then close
  bool closed_ = false;
  bool peer_closed_ = false;
  bool draining_ = false;
  bool lingering_ = false;  // our FIN is out; reading until the client's
  bool tunneled_ = false;   // the socket and the listener admission moved to a tunnel
};

extern template class Http1ServerConnection<boost::asio::ip::tcp::socket>;

}  // namespace ferry::proxy
