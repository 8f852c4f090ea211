#include "proxy/http/http1_server_connection.h"

#include <cstring>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "proxy/core/http1/serializer.h"
#include "proxy/core/log.h"
#include "proxy/http/http_listener_runtime.h"
#include "proxy/listener.h"
#include "proxy/snapshot.h"
#include "proxy/tcp_proxy_session.h"
#include "proxy/worker.h"

namespace ferry::proxy {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using core::http1::ParseEvent;
using core::http1::RejectReason;
using Clock = std::chrono::steady_clock;

constexpr auto kLingerAfterClose = std::chrono::seconds(2);
constexpr Clock::time_point kNoDeadline{};

// An HTTP/2 client that opened with the prior-knowledge preface gets an
// answer it understands: SETTINGS, then GOAWAY(HTTP_1_1_REQUIRED).
std::string h2c_refusal() {
  static constexpr std::string_view kDebug = "ferry: HTTP/2 is not enabled on this listener";
  std::string out;
  const char settings[9] = {0, 0, 0, 4, 0, 0, 0, 0, 0};
  out.append(settings, sizeof settings);
  const std::size_t length = 8 + kDebug.size();
  const char goaway[9] = {
      0, static_cast<char>((length >> 8) & 0xff), static_cast<char>(length & 0xff), 7, 0, 0, 0, 0,
      0};
  out.append(goaway, sizeof goaway);
  const char payload[8] = {0, 0, 0, 0, 0, 0, 0, 0x0d};  // last stream 0, HTTP_1_1_REQUIRED
  out.append(payload, sizeof payload);
  out.append(kDebug);
  return out;
}

}  // namespace

template <typename Socket>
Http1ServerConnection<Socket>::Http1ServerConnection(Worker& worker,
                                                     std::shared_ptr<Listener> listener,
                                                     Socket socket)
    : worker_(worker),
      listener_(std::move(listener)),
      socket_(std::move(socket)),
      timer_(worker.context()) {}

template <typename Socket>
Http1ServerConnection<Socket>::~Http1ServerConnection() {
  stream_.reset();
  if (!tunneled_) {
    listener_->stats().connections_active.dec();
    listener_->release();
  }
}

template <typename Socket>
void Http1ServerConnection<Socket>::start() {
  auto self = this->shared_from_this();
  worker_.connections().add(self, listener_.get(), listener_->config().direction);
  snapshot_ = worker_.snapshot();
  runtime_ = snapshot_ ? snapshot_->http_listener(listener_->name()) : nullptr;
  error_code ec;
  const auto remote = socket_.remote_endpoint(ec);
  if (runtime_ == nullptr || ec) {
    terminate();
    return;
  }
  peer_ = core::SocketAddress::from_sockaddr(remote.data(), static_cast<socklen_t>(remote.size()))
              .value_or(core::SocketAddress());
  peer_ip_ = peer_.ip_string();
  socket_.non_blocking(true, ec);
  parser_.emplace(runtime_->parser_options());
  stream_.emplace(worker_, *this, std::weak_ptr<void>(self));
  const std::size_t wanted = runtime_->parser_options().max_header_bytes + 1024;
  if (wanted > worker_.buffers().buffer_size()) {
    big_in_size_ = wanted;
    big_in_ = std::make_unique<char[]>(big_in_size_);
  }
  touch();
  arm_timer(Clock::now() + runtime_->config().idle_timeout);
  read();
}

template <typename Socket>
char* Http1ServerConnection<Socket>::in_data() {
  if (big_in_) {
    return big_in_.get();
  }
  if (!in_) {
    in_ = worker_.buffers().acquire();
  }
  return in_.data();
}

template <typename Socket>
std::size_t Http1ServerConnection<Socket>::in_capacity() const {
  return big_in_ ? big_in_size_ : worker_.buffers().buffer_size();
}

template <typename Socket>
void Http1ServerConnection<Socket>::release_input_if_empty() {
  if (in_begin_ == in_end_) {
    in_begin_ = in_end_ = 0;
    in_.reset();
  }
}

template <typename Socket>
void Http1ServerConnection<Socket>::read() {
  for (int turn = 0; turn < kReadsPerTurn; ++turn) {
    if (closed_ || peer_closed_ || body_paused_ || reading_) {
      return;
    }
    char* data = in_data();
    if (in_begin_ == in_end_) {
      in_begin_ = in_end_ = 0;
    } else if (in_end_ == in_capacity() && in_begin_ > 0) {
      std::memmove(data, data + in_begin_, in_end_ - in_begin_);
      in_end_ -= in_begin_;
      in_begin_ = 0;
    }
    if (in_end_ == in_capacity()) {
      return;  // full of unprocessed (pipelined) bytes: wait for the response
    }
    error_code ec;
    const std::size_t space = in_capacity() - in_end_;
    const std::size_t n = socket_.read_some(asio::buffer(data + in_end_, space), ec);
    if (ec == asio::error::would_block) {
      release_input_if_empty();
      wait_readable();
      return;
    }
    if (ec == asio::error::eof) {
      on_peer_closed();
      return;
    }
    if (ec) {
      terminate();
      return;
    }
    in_end_ += n;
    listener_->stats().bytes_received.inc(n);
    touch();
    process_input();
    if (n < space) {
      // A short read drained the socket: wait now rather than spend a
      // system call on the EAGAIN read. async_wait re-arms the descriptor
      // (EPOLL_CTL_MOD), so bytes that arrive meanwhile still wake us.
      if (!closed_ && !peer_closed_ && !body_paused_ && !reading_) {
        release_input_if_empty();
        wait_readable();
      }
      return;
    }
  }
  asio::post(worker_.context(), [self = this->shared_from_this()] { self->read(); });
}

template <typename Socket>
void Http1ServerConnection<Socket>::wait_readable() {
  reading_ = true;
  socket_.async_wait(Socket::wait_read, [self = this->shared_from_this()](const error_code& ec) {
    self->reading_ = false;
    if (ec || self->closed_) {
      return;
    }
    if (self->lingering_) {
      self->linger_read();
      return;
    }
    self->read();
  });
}

template <typename Socket>
void Http1ServerConnection<Socket>::process_input() {
  if (in_process_ || closed_) {
    return;
  }
  auto self = this->shared_from_this();
  in_process_ = true;
  while (!closed_ && !closing_ && !body_paused_ && !(in_request_ && request_complete_)) {
    const std::string_view view(in_begin_ == in_end_ ? nullptr : in_data() + in_begin_,
                                in_end_ - in_begin_);
    const core::http1::ParseStep step = parser_->parse(view);
    in_begin_ += step.consumed;
    if (!handle_step(step)) {
      break;
    }
  }
  in_process_ = false;
  if (closed_) {
    return;
  }
  if (stream_->active()) {
    stream_->on_batch_end();
  }
  // The header deadline runs from the first byte of a request.
  if (!in_request_ && head_deadline_ == kNoDeadline && !parser_->idle()) {
    const auto timeout = runtime_->config().request_headers_timeout;
    if (timeout.count() > 0) {
      head_deadline_ = Clock::now() + timeout;
      arm_timer(head_deadline_);
    }
  }
  if (!in_request_) {
    release_input_if_empty();
  }
}

template <typename Socket>
bool Http1ServerConnection<Socket>::handle_step(const core::http1::ParseStep& step) {
  switch (step.event) {
    case ParseEvent::NeedMore:
      return false;
    case ParseEvent::Head:
      on_head();
      return !closed_;
    case ParseEvent::Data:
      stream_->on_request_data(step.data);
      return true;
    case ParseEvent::Trailers:
      return true;  // request trailers are not forwarded over HTTP/1
    case ParseEvent::Complete:
      request_complete_ = true;
      stream_->on_request_end();
      return true;
    case ParseEvent::Error:
      reject(parser_->error());
      return false;
  }
  return false;
}

template <typename Socket>
void Http1ServerConnection<Socket>::on_head() {
  head_deadline_ = kNoDeadline;
  in_request_ = true;
  request_complete_ = false;
  response_done_ = false;
  keep_alive_ = true;
  core::http::RequestHead& head = parser_->head();
  if (head.dropped_underscore_headers > 0) {
    listener_->stats().headers_dropped.inc(head.dropped_underscore_headers);
  }
  std::swap(stream_->head(), head);
  // From here the stream idle timeout watches the request (the idle and
  // header deadlines may be later or disabled).
  const auto stream_idle = runtime_->config().stream_idle_timeout;
  if (stream_idle.count() > 0) {
    touch();
    arm_timer(last_activity_ + stream_idle);
  }
  stream_->start({runtime_, snapshot_.get(), listener_.get(), peer_, peer_ip_});
}

template <typename Socket>
void Http1ServerConnection<Socket>::reject(const core::http1::ParseError& error) {
  ListenerStats& stats = listener_->stats();
  stats.rejected[static_cast<std::size_t>(error.reason)].inc();
  if (error.reason == RejectReason::H2cPreface) {
    refuse_h2c();
    return;
  }
  closing_ = true;
  keep_alive_ = false;
  if (stream_->active()) {
    // A bad body after the head went upstream: the router abandons the
    // attempt (its connection closes, so the upstream never gets a
    // re-interpreted body), and the client gets the error or a close.
    stream_->local_reply(error.status, error.reason_name());
    return;
  }
  stats.requests[code_class_index(error.status)].inc();
  core::http::HeaderMap headers;
  headers.add("content-type", "text/plain; charset=utf-8");
  headers.add("connection", "close");
  const std::string body = std::string(error.reason_name()) + "\n";
  core::http1::append_response_head(out_.sink(), error.status, {}, headers,
                                    core::http::BodyFraming::content_length(body.size()));
  out_.sink() += body;
  flush();
}

template <typename Socket>
void Http1ServerConnection<Socket>::refuse_h2c() {
  listener_->stats().h2c_refused.inc();
  closing_ = true;
  out_.sink() += h2c_refusal();
  flush();
}

template <typename Socket>
void Http1ServerConnection<Socket>::send_response_headers(core::http::ResponseHead& head,
                                                          bool /*end_stream*/) {
  using Kind = core::http::BodyFraming::Kind;
  const core::http::RequestHead& request = stream_->head();
  const bool http11 = request.version == core::http::Version::Http11;
  // The upstream's own `Connection: close` is about its connection, not this
  // one (hop-by-hop): only the client's request and our state decide.
  keep_alive_ =
      request.keep_alive && !close_after_response_ && !closing_ && !draining_ && request_complete_;
  core::http::BodyFraming framing = head.framing;
  response_chunked_ = false;
  if (request.method == core::http::Method::Head || head.status == 304) {
    framing = head.has_content_length ? core::http::BodyFraming::content_length(head.content_length)
                                      : core::http::BodyFraming::none();
  } else if (framing.kind == Kind::Chunked || framing.kind == Kind::UntilClose) {
    if (http11) {
      framing = core::http::BodyFraming::chunked();
      response_chunked_ = true;
    } else {
      framing = core::http::BodyFraming::until_close();
      keep_alive_ = false;
    }
  }
  if (head.is_upgrade()) {
    keep_alive_ = false;
  } else if (!keep_alive_) {
    if (http11) {
      head.headers.set("connection", "close");
    }
  } else if (!http11) {
    head.headers.set("connection", "keep-alive");
  }
  if (!core::http1::append_response_head(out_.sink(), head, framing)) {
    reset_stream(StreamResetReason::ProtocolError);
    return;
  }
  touch();
}

template <typename Socket>
void Http1ServerConnection<Socket>::send_response_data(std::string_view data) {
  if (response_chunked_) {
    core::http1::append_chunk(out_.sink(), data);
  } else {
    out_.sink().append(data);
  }
}

template <typename Socket>
void Http1ServerConnection<Socket>::send_response_end(const core::http::HeaderMap* trailers) {
  if (response_chunked_ && !core::http1::append_last_chunk(out_.sink(), trailers)) {
    core::http1::append_last_chunk(out_.sink());
  }
  response_done_ = true;
  if (!keep_alive_) {
    closing_ = true;
  }
  flush();
}

template <typename Socket>
void Http1ServerConnection<Socket>::reset_stream(StreamResetReason) {
  // After response bytes went out a failure closes the connection: the
  // client must never see a complete-looking response.
  keep_alive_ = false;
  closing_ = true;
  response_done_ = false;
  in_request_ = false;
  flush();
  if (!out_.writing()) {
    terminate();
  }
}

template <typename Socket>
void Http1ServerConnection<Socket>::send_continue() {
  const core::http::RequestHead& request = stream_->head();
  if (request_complete_ || request.version != core::http::Version::Http11 ||
      request.framing.kind == core::http::BodyFraming::Kind::None) {
    return;
  }
  out_.sink() += "HTTP/1.1 100 Continue\r\n\r\n";
  flush();
}

template <typename Socket>
void Http1ServerConnection<Socket>::flush() {
  if (out_.writing() || closed_) {
    return;
  }
  if (!out_.empty()) {
    const std::string_view front = out_.front();
    error_code ec;
    const std::size_t n = socket_.write_some(asio::buffer(front.data(), front.size()), ec);
    if (ec && ec != asio::error::would_block) {
      terminate();
      return;
    }
    listener_->stats().bytes_sent.inc(n);
    out_.consume(n);
    if (!out_.empty()) {
      // The client reads slower than we write: the rest goes asynchronously,
      // and new bytes collect in the other buffer meanwhile.
      const std::string_view rest = out_.front();
      out_.begin_async();
      asio::async_write(socket_, asio::buffer(rest.data(), rest.size()),
                        [self = this->shared_from_this()](const error_code& wec, std::size_t w) {
                          self->on_write_done(wec, w);
                        });
      return;
    }
    touch();
  }
  if (response_done_) {
    after_response();
  } else if (closing_ && !stream_->active()) {
    close_gracefully();
  } else if (stream_->active()) {
    // Everything written: an upstream paused on our watermark may go on.
    stream_->on_downstream_drained();
  }
}

template <typename Socket>
void Http1ServerConnection<Socket>::on_write_done(const error_code& ec, std::size_t n) {
  if (closed_) {
    return;
  }
  if (ec) {
    terminate();
    return;
  }
  listener_->stats().bytes_sent.inc(n);
  out_.consume(n);
  out_.end_async();
  touch();
  flush();  // writes what came meanwhile, then after_response / close / drained
}

template <typename Socket>
void Http1ServerConnection<Socket>::after_response() {
  response_done_ = false;
  in_request_ = false;
  out_.trim(256 * 1024);
  if (closing_ || !keep_alive_ || !request_complete_) {
    close_gracefully();
    return;
  }
  // Not on this stack: the stream that just ended is still unwinding.
  asio::post(worker_.context(), [self = this->shared_from_this()] { self->next_request(); });
}

template <typename Socket>
void Http1ServerConnection<Socket>::next_request() {
  if (closed_ || in_request_) {
    return;
  }
  if (draining_) {
    close_gracefully();
    return;
  }
  // A new snapshot applies from the next request on.
  if (worker_.snapshot() != snapshot_) {
    snapshot_ = worker_.snapshot();
    runtime_ = snapshot_->http_listener(listener_->name());
    if (runtime_ == nullptr) {
      close_gracefully();
      return;
    }
  }
  touch();
  const auto idle = runtime_->config().idle_timeout;
  if (idle.count() > 0) {
    arm_timer(Clock::now() + idle);
  }
  process_input();
  if (peer_closed_ && !in_request_) {
    close_gracefully();
    return;
  }
  if (!in_request_ || !request_complete_) {
    read();
  }
}

template <typename Socket>
void Http1ServerConnection<Socket>::pause_request_body() {
  body_paused_ = true;
}

template <typename Socket>
void Http1ServerConnection<Socket>::resume_request_body() {
  if (!body_paused_) {
    return;
  }
  body_paused_ = false;
  asio::post(worker_.context(), [self = this->shared_from_this()] {
    if (self->closed_ || self->body_paused_) {
      return;
    }
    self->process_input();
    self->read();
  });
}

template <typename Socket>
bool Http1ServerConnection<Socket>::response_buffer_full() const {
  return out_.pending() >= runtime_->config().per_connection_buffer_limit;
}

template <typename Socket>
void Http1ServerConnection<Socket>::start_tunnel(UpstreamStream& upstream) {
  if constexpr (std::is_same_v<Socket, boost::asio::ip::tcp::socket>) {
    if (out_.writing()) {
      // A write still owns the socket (never seen: the 101 head is the first
      // byte of its response); handing the socket over now could interleave.
      upstream.abandon();
      reset_stream(StreamResetReason::ProtocolError);
      return;
    }
    auto self = this->shared_from_this();
    std::string to_downstream(out_.front());  // the 101 head, not yet written
    out_.clear();
    std::string upstream_leftover;
    boost::asio::ip::tcp::socket upstream_socket = upstream.detach_socket(upstream_leftover);
    to_downstream += upstream_leftover;
    std::string to_upstream;
    if (in_begin_ < in_end_) {
      to_upstream.assign(in_data() + in_begin_, in_end_ - in_begin_);
    }
    response_done_ = false;
    in_request_ = false;
    stream_->on_downstream_closed();  // the request ends as the 101
    // The tunnel takes the listener admission this connection held.
    tunneled_ = true;
    closed_ = true;
    timer_.cancel();
    worker_.connections().remove(this);
    auto tunnel = std::make_shared<TcpProxySession>(worker_, listener_, std::move(socket_));
    tunnel->start_connected(std::move(upstream_socket), std::move(to_upstream),
                            std::move(to_downstream));
  } else {
    (void)upstream;
    reset_stream(StreamResetReason::ProtocolError);
  }
}

template <typename Socket>
void Http1ServerConnection<Socket>::on_peer_closed() {
  peer_closed_ = true;
  close_after_response_ = true;
  if (in_request_ && !request_complete_) {
    // The client went away mid-request.
    terminate();
    return;
  }
  if (!in_request_) {
    // Requests it pipelined before closing are still answered.
    process_input();
    if (!in_request_) {
      terminate();
    }
  }
  // Otherwise: the request is complete (a client that half-closes after
  // sending, like `printf ... | nc`): answer it, then close.
}

template <typename Socket>
void Http1ServerConnection<Socket>::close_gracefully() {
  if (closed_ || lingering_) {
    return;
  }
  closing_ = true;
  if (!out_.empty()) {
    return;  // flush() comes back here once the bytes are out
  }
  // Send our FIN, then read until the client's: closing with unread input
  // would make the kernel reset the connection and discard the response.
  error_code ec;
  socket_.shutdown(Socket::shutdown_send, ec);
  if (peer_closed_ || ec) {
    terminate();
    return;
  }
  lingering_ = true;
  arm_timer(Clock::now() + kLingerAfterClose);
  linger_read();
}

template <typename Socket>
void Http1ServerConnection<Socket>::linger_read() {
  char discard[4096];
  while (true) {
    error_code ec;
    socket_.read_some(asio::buffer(discard), ec);
    if (ec == asio::error::would_block) {
      wait_readable();
      return;
    }
    if (ec) {
      terminate();
      return;
    }
  }
}

template <typename Socket>
void Http1ServerConnection<Socket>::terminate() {
  if (closed_) {
    return;
  }
  FERRY_LOG_LIMITED(spdlog::level::debug,
                    "listener {}: connection closed (in request {}, peer closed {}, closing {})",
                    listener_->name(), in_request_, peer_closed_, closing_);
  auto self = this->shared_from_this();
  closed_ = true;
  timer_.cancel();
  if (stream_ && stream_->active()) {
    stream_->on_downstream_closed();
  }
  error_code ignored;
  socket_.close(ignored);
  in_.reset();
  worker_.connections().remove(this);
}

template <typename Socket>
void Http1ServerConnection<Socket>::abort() {
  // A reset rather than a FIN: the kernel would otherwise keep the unsent
  // bytes of a client that stopped reading (and the socket) until TCP gives
  // up on it.
  if constexpr (std::is_same_v<Socket, boost::asio::ip::tcp::socket>) {
    error_code ignored;
    socket_.set_option(boost::asio::socket_base::linger(true, 0), ignored);
  }
  terminate();
}

template <typename Socket>
void Http1ServerConnection<Socket>::drain() {
  draining_ = true;
  close_after_response_ = true;
  if (!in_request_ && out_.empty() && parser_ && parser_->idle() && in_begin_ == in_end_) {
    close_gracefully();
  }
}

template <typename Socket>
void Http1ServerConnection<Socket>::close() {
  terminate();
}

template <typename Socket>
void Http1ServerConnection<Socket>::touch() {
  last_activity_ = Clock::now();
}

template <typename Socket>
void Http1ServerConnection<Socket>::arm_timer(Clock::time_point deadline) {
  if (timer_armed_ && timer_at_ <= deadline) {
    return;
  }
  timer_armed_ = true;
  timer_at_ = deadline;
  timer_.expires_at(deadline);
  timer_.async_wait(
      [self = this->shared_from_this()](const error_code& ec) { self->on_timer(ec); });
}

template <typename Socket>
void Http1ServerConnection<Socket>::on_timer(const error_code& ec) {
  if (ec == asio::error::operation_aborted || closed_) {
    return;
  }
  timer_armed_ = false;
  const auto now = Clock::now();
  const core::ListenerConfig& config = runtime_->config();
  if (lingering_) {
    terminate();
    return;
  }
  if (in_request_) {
    const auto idle = config.stream_idle_timeout;
    if (idle.count() > 0 && stream_->active()) {
      if (now - last_activity_ >= idle) {
        listener_->stats().rejected[static_cast<std::size_t>(RejectReason::BodyTimeout)].inc();
        closing_ = true;
        if (stream_->response_started()) {
          // Nothing moved either way: the response cannot complete, and a
          // client that stopped reading would hold the pending write (and
          // this connection) forever. Abort now (LD-05).
          abort();
        } else {
          stream_->local_reply(408, "request timeout");
        }
        return;
      }
      arm_timer(last_activity_ + idle);
    }
    return;
  }
  if (head_deadline_ != kNoDeadline) {
    if (now >= head_deadline_) {
      core::http1::ParseError timeout;
      timeout.reason = RejectReason::HeaderTimeout;
      timeout.status = 408;
      reject(timeout);
      return;
    }
    arm_timer(head_deadline_);
    return;
  }
  const auto idle = config.idle_timeout;
  if (idle.count() > 0) {
    if (now - last_activity_ >= idle) {
      if (!out_.empty()) {
        abort();  // a write stalled for the whole idle timeout
      } else {
        close_gracefully();
      }
      return;
    }
    arm_timer(last_activity_ + idle);
  }
}

template class Http1ServerConnection<boost::asio::ip::tcp::socket>;

}  // namespace ferry::proxy
