#include "proxy/http/http1_upstream_connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <cstring>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

#include "proxy/cluster.h"
#include "proxy/core/asio_address.h"
#include "proxy/core/http1/serializer.h"
#include "proxy/core/log.h"
#include "proxy/http/upstream_pool.h"
#include "proxy/upstream_socket.h"
#include "proxy/worker.h"

namespace ferry::proxy {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using core::http1::ParseEvent;

}  // namespace

Http1UpstreamConnection::Http1UpstreamConnection(UpstreamPool& pool,
                                                 filters::ResourceSlot connection_slot)
    : pool_(pool),
      cluster_(pool.cluster_ptr()),
      connection_slot_(std::move(connection_slot)),
      socket_(pool.worker().context()),
      connect_timer_(pool.worker().context()) {}

Http1UpstreamConnection::~Http1UpstreamConnection() = default;

void Http1UpstreamConnection::connect(std::chrono::steady_clock::duration timeout) {
  socket_.async_connect(
      core::to_endpoint(pool_.host().address()),
      [self = shared_from_this()](const error_code& ec) { self->on_connect(ec); });
  if (timeout.count() > 0) {
    connect_timer_.expires_after(timeout);
    connect_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
      if (!ec && self->state_ == State::Connecting) {
        // Completes the connect with operation_aborted.
        error_code ignored;
        self->socket_.close(ignored);
      }
    });
  }
}

void Http1UpstreamConnection::on_connect(const error_code& ec) {
  connect_timer_.cancel();
  if (state_ != State::Connecting) {
    return;
  }
  if (ec) {
    state_ = State::Closed;
    error_code ignored;
    socket_.close(ignored);
    pool_.on_connect_failed(this, ec == asio::error::operation_aborted);
    return;
  }
  configure_socket();
  state_ = State::Idle;
  pool_.on_connected(this);
}

void Http1UpstreamConnection::configure_socket() {
  configure_upstream_socket(socket_, cluster_->config());
}

void Http1UpstreamConnection::attach(UpstreamCallbacks& callbacks) {
  callbacks_ = &callbacks;
  state_ = State::Active;
  request_done_ = false;
  response_done_ = false;
  response_started_ = false;
  paused_ = false;
  reusable_ = true;
  out_.clear();
}

void Http1UpstreamConnection::set_idle() {
  state_ = State::Idle;
  idle_since_ = std::chrono::steady_clock::now();
  if (in_begin_ == in_end_) {
    in_.reset();
    in_begin_ = in_end_ = 0;
  }
  if (!reading_) {
    wait_readable();
  }
}

void Http1UpstreamConnection::close(bool silent) {
  if (state_ == State::Closed) {
    return;
  }
  auto self = shared_from_this();  // the pool may drop its reference below
  state_ = State::Closed;
  callbacks_ = nullptr;
  connect_timer_.cancel();
  error_code ignored;
  socket_.close(ignored);
  if (!silent) {
    pool_.on_closed(this);
  }
}

tcp::socket Http1UpstreamConnection::detach_socket(std::string& leftover) {
  auto self = shared_from_this();
  if (in_) {
    leftover.assign(in_.data() + in_begin_, in_end_ - in_begin_);
  }
  in_begin_ = in_end_ = 0;
  tcp::socket socket = std::move(socket_);
  socket_ = tcp::socket(pool_.worker().context());
  callbacks_ = nullptr;
  state_ = State::Closed;
  pool_.on_closed(this);
  return socket;
}

void Http1UpstreamConnection::send_request_headers(const core::http::RequestHead& head,
                                                   core::http::BodyFraming framing,
                                                   bool end_stream) {
  parser_.set_request_method(head.method);
  chunked_request_ = framing.kind == core::http::BodyFraming::Kind::Chunked;
  if (!core::http1::append_request_head(out_.sink(), head, framing)) {
    // Only a head from another protocol can hold bytes HTTP/1 cannot carry.
    fail(UpstreamFailure::Kind::ProtocolError);
    return;
  }
  if (end_stream) {
    send_request_end();
  }
  if (!reading_) {
    wait_readable();
  }
}

void Http1UpstreamConnection::send_request_data(std::string_view data) {
  if (chunked_request_) {
    core::http1::append_chunk(out_.sink(), data);
  } else {
    out_.sink().append(data);
  }
}

void Http1UpstreamConnection::send_request_end() {
  if (chunked_request_) {
    core::http1::append_last_chunk(out_.sink());
  }
  request_done_ = true;
}

void Http1UpstreamConnection::flush() {
  if (out_.writing() || state_ != State::Active || out_.empty()) {
    return;
  }
  const std::string_view front = out_.front();
  error_code ec;
  const std::size_t n = socket_.write_some(asio::buffer(front.data(), front.size()), ec);
  if (ec && ec != asio::error::would_block) {
    on_peer_closed(/*reset=*/true);
    return;
  }
  out_.consume(n);
  if (out_.empty()) {
    if (callbacks_ != nullptr) {
      callbacks_->on_upstream_drained();  // a client body paused on our watermark may go on
    }
    maybe_release();
    return;
  }
  const std::string_view rest = out_.front();
  out_.begin_async();
  asio::async_write(socket_, asio::buffer(rest.data(), rest.size()),
                    [self = shared_from_this()](const error_code& wec, std::size_t written) {
                      self->on_write_done(wec, written);
                    });
}

void Http1UpstreamConnection::on_write_done(const error_code& ec, std::size_t n) {
  if (state_ != State::Active) {
    return;
  }
  if (ec) {
    on_peer_closed(/*reset=*/true);
    return;
  }
  out_.consume(n);
  out_.end_async();
  if (!out_.empty()) {
    flush();  // bytes appended while the write was in flight
    return;
  }
  if (callbacks_ != nullptr) {
    callbacks_->on_upstream_drained();
  }
  maybe_release();
}

bool Http1UpstreamConnection::request_buffer_full() const {
  return out_.pending() >= cluster_->config().per_connection_buffer_limit;
}

void Http1UpstreamConnection::abandon() {
  reusable_ = false;
  close();
}

void Http1UpstreamConnection::pause_response() {
  paused_ = true;
}

void Http1UpstreamConnection::resume_response() {
  if (!paused_) {
    return;
  }
  paused_ = false;
  asio::post(pool_.worker().context(), [self = shared_from_this()] {
    if (self->state_ != State::Active || self->paused_) {
      return;
    }
    self->process_input();
    if (self->state_ == State::Active && !self->paused_ && !self->reading_) {
      self->read();
    }
  });
}

void Http1UpstreamConnection::wait_readable() {
  reading_ = true;
  socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](const error_code& ec) {
    self->reading_ = false;
    if (ec || self->state_ == State::Closed) {
      return;
    }
    if (self->state_ == State::Idle) {
      self->on_idle_readable(ec);
      return;
    }
    self->read();
  });
}

void Http1UpstreamConnection::on_idle_readable(const error_code&) {
  // Nothing may arrive between requests: it is a FIN, a reset, or garbage.
  // Either way the connection must not serve another request.
  close();
}

void Http1UpstreamConnection::read() {
  for (int turn = 0; turn < kReadsPerTurn; ++turn) {
    if (state_ != State::Active || paused_) {
      return;
    }
    if (!in_) {
      in_ = pool_.worker().buffers().acquire();
      in_begin_ = in_end_ = 0;
    } else if (in_begin_ == in_end_) {
      in_begin_ = in_end_ = 0;
    } else if (in_end_ == in_.size()) {
      std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
      in_end_ -= in_begin_;
      in_begin_ = 0;
    }
    error_code ec;
    const std::size_t space = in_.size() - in_end_;
    const std::size_t n = socket_.read_some(asio::buffer(in_.data() + in_end_, space), ec);
    if (ec == asio::error::would_block) {
      if (in_begin_ == in_end_) {
        in_.reset();
      }
      wait_readable();
      return;
    }
    if (ec) {
      on_peer_closed(/*reset=*/ec != asio::error::eof);
      return;
    }
    response_started_ = true;
    in_end_ += n;
    process_input();
    if (n < space) {
      // Drained: wait without an EAGAIN read (async_wait re-arms the
      // descriptor, so nothing that arrives meanwhile is missed).
      if (state_ == State::Active && !paused_ && !reading_) {
        if (in_begin_ == in_end_) {
          in_.reset();
        }
        wait_readable();
      }
      return;
    }
  }
  asio::post(pool_.worker().context(), [self = shared_from_this()] {
    if (!self->reading_) {
      self->read();
    }
  });
}

void Http1UpstreamConnection::process_input() {
  if (in_process_) {
    return;
  }
  auto self = shared_from_this();
  in_process_ = true;
  while (state_ == State::Active && !paused_ && !response_done_) {
    const std::string_view view(in_ ? in_.data() + in_begin_ : nullptr, in_end_ - in_begin_);
    const core::http1::ParseStep step = parser_.parse(view);
    in_begin_ += step.consumed;
    if (!handle_step(step)) {
      break;
    }
  }
  in_process_ = false;
  if (callbacks_ != nullptr && state_ == State::Active) {
    callbacks_->on_upstream_batch_end();
  }
}

bool Http1UpstreamConnection::handle_step(const core::http1::ParseStep& step) {
  switch (step.event) {
    case ParseEvent::NeedMore:
      return false;
    case ParseEvent::Head: {
      core::http::ResponseHead& head = parser_.head();
      if (head.is_informational() && !head.is_upgrade()) {
        return true;  // 100 Continue and friends: ferry answered Expect itself
      }
      if (head.is_upgrade() || head.tunnel) {
        reusable_ = false;
        callbacks_->on_upstream_headers(head, /*end_stream=*/false);
        if (callbacks_ != nullptr) {
          callbacks_->on_upstream_upgraded();
        }
        return false;
      }
      if (!head.keep_alive) {
        reusable_ = false;
      }
      callbacks_->on_upstream_headers(head,
                                      head.framing.kind == core::http::BodyFraming::Kind::None);
      return true;
    }
    case ParseEvent::Data:
      callbacks_->on_upstream_data(step.data);
      return true;
    case ParseEvent::Trailers:
      return true;
    case ParseEvent::Complete:
      finish_response();
      return false;
    case ParseEvent::Error:
      cluster_->stats().protocol_errors.inc();
      fail(UpstreamFailure::Kind::ProtocolError);
      return false;
  }
  return false;
}

void Http1UpstreamConnection::finish_response() {
  response_done_ = true;
  if (in_begin_ != in_end_) {
    reusable_ = false;  // bytes after a complete response: the server is confused
  }
  if (!request_done_) {
    reusable_ = false;  // it answered before the body was sent: don't reuse mid-body
  }
  const core::http::HeaderMap* trailers =
      parser_.trailers().empty() ? nullptr : &parser_.trailers();
  UpstreamCallbacks* cb = callbacks_;
  if (cb != nullptr) {
    cb->on_upstream_end(trailers);
  }
  maybe_release();
}

void Http1UpstreamConnection::maybe_release() {
  if (state_ != State::Active || !response_done_ || out_.writing() ||
      (!request_done_ && reusable_)) {
    return;
  }
  callbacks_ = nullptr;
  ++requests_;
  if (!reusable_ || !out_.empty()) {
    close();
    return;
  }
  set_idle();
  pool_.on_released(this, /*reusable=*/true);
}

void Http1UpstreamConnection::on_peer_closed(bool reset) {
  FERRY_LOG_LIMITED(spdlog::level::debug, "upstream {}: peer closed (reset {}, state {})",
                    pool_.host().address_text(), reset, static_cast<int>(state_));
  if (state_ == State::Idle) {
    close();
    return;
  }
  if (state_ != State::Active) {
    return;
  }
  if (!reset && parser_.in_body()) {
    // A close-delimited body ends here; any other body is truncated.
    const core::http1::ParseStep step = parser_.finish();
    if (step.event == ParseEvent::Complete) {
      reusable_ = false;
      finish_response();
      return;
    }
    // A body cut short of its Content-Length or last chunk by a clean close:
    // the framing was broken (RELIABILITY H1-13), unlike a reset.
    cluster_->stats().protocol_errors.inc();
  }
  fail(response_started_ ? UpstreamFailure::Kind::ResetDuringResponse
                         : UpstreamFailure::Kind::ClosedBeforeResponse);
}

void Http1UpstreamConnection::fail(UpstreamFailure::Kind kind) {
  auto self = shared_from_this();
  UpstreamFailure failure;
  failure.kind = kind;
  failure.reused_connection = requests_ > 0;
  // A reused connection that closed before sending one byte of the response
  // is the keep-alive race: the server gave up on it as the request left.
  failure.provably_unprocessed = false;
  UpstreamCallbacks* cb = callbacks_;
  reusable_ = false;
  close();
  if (cb != nullptr) {
    cb->on_upstream_failure(failure);
  }
}

}  // namespace ferry::proxy
