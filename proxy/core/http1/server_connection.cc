#include "proxy/core/http1/server_connection.h"

#include <array>
#include <cstring>
#include <exception>
#include <utility>

#include <boost/asio/write.hpp>

#include "proxy/core/http1/serializer.h"
#include "proxy/core/log.h"

namespace ferry::core::http1 {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kInitialBuffer = 8 * 1024;
constexpr std::size_t kMinRead = 4 * 1024;
// After the last response of a closing connection, unread request bytes are
// drained for a while so the close does not turn into an RST that destroys
// the response before the client read it.
constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr std::size_t kLingerBytes = 256 * 1024;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

Response error_response(RejectReason reason) {
  Response r;
  r.status = reason_status(reason);
  r.headers.add("content-type", "text/plain");
  r.body.append(std::to_string(r.status))
      .append(" ")
      .append(status_reason(r.status))
      .append(" (")
      .append(reason_name(reason))
      .append(")\n");
  r.close = true;
  return r;
}

}  // namespace

ServerConnection::ServerConnection(std::shared_ptr<ServerState> server, tcp::socket socket,
                                   SocketAddress peer)
    : server_(std::move(server)),
      socket_(std::move(socket)),
      timer_(socket_.get_executor()),
      peer_(peer),
      parser_(server_->options.parser) {
  buffer_.resize(kInitialBuffer);
}

void ServerConnection::start() {
  const auto now = Clock::now();
  head_started_ = now;  // the first request's header deadline runs from the accept
  last_progress_ = now;
  idle_since_ = now;
  error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  update_deadline();
  do_read();
}

bool ServerConnection::can_read() const {
  const std::size_t waiting = pending_.size() - (parser_.in_body() ? 1 : 0);
  return !closed_ && !stop_reading_ && !lingering_ &&
         waiting < server_->options.max_pipelined_requests;
}

void ServerConnection::prepare_buffer() {
  if (begin_ == end_) {
    begin_ = end_ = 0;
  }
  if (buffer_.size() - end_ >= kMinRead) {
    return;
  }
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buffer_.size() - end_ < kMinRead) {
    // Only an incomplete head (bounded by max_header_bytes) or pipelined
    // requests waiting for the queue stay buffered, so this stays bounded.
    buffer_.resize(buffer_.size() * 2);
  }
}

void ServerConnection::do_read() {
  if (reading_ || !can_read()) {
    return;
  }
  prepare_buffer();
  reading_ = true;
  socket_.async_read_some(
      asio::buffer(buffer_.data() + end_, buffer_.size() - end_),
      [self = shared_from_this()](error_code ec, std::size_t n) { self->on_read(ec, n); });
}

void ServerConnection::on_read(error_code ec, std::size_t n) {
  reading_ = false;
  if (closed_) {
    return;
  }
  if (lingering_) {
    on_linger_read(ec);
    return;
  }
  if (ec) {
    if (ec == asio::error::eof) {
      on_eof();
    } else {
      close_now();
    }
    return;
  }
  end_ += n;
  last_progress_ = Clock::now();
  process_input();
  if (closed_) {
    return;
  }
  do_read();
  update_deadline();
}

// The client closed its sending side. Requests already received are still
// answered (a client may half-close after its last request); a request cut
// in the middle is dropped.
void ServerConnection::on_eof() {
  read_eof_ = true;
  stop_reading_ = true;
  if (in_request_) {
    if (parser_.in_body() && !pending_.empty() && !pending_.back().ready) {
      pending_.pop_back();
    }
    in_request_ = false;
  }
  if (pending_.empty()) {
    close_now();
    return;
  }
  maybe_write();
  update_deadline();
}

void ServerConnection::process_input() {
  while (!closed_ && !stop_reading_) {
    const std::size_t waiting = pending_.size() - (parser_.in_body() ? 1 : 0);
    if (waiting >= server_->options.max_pipelined_requests) {
      return;  // resumed by on_write once a response went out
    }
    const ParseStep step = parser_.parse(std::string_view(buffer_.data() + begin_, end_ - begin_));
    begin_ += step.consumed;
    if (!in_request_ && !parser_.idle()) {
      in_request_ = true;
      if (requests_ > 0) {
        head_started_ = Clock::now();
      }
    }
    switch (step.event) {
      case ParseEvent::NeedMore:
        return;
      case ParseEvent::Head:
        if (!on_head()) {
          return;
        }
        break;
      case ParseEvent::Data:
        if (body_.size() + step.data.size() > server_->options.max_body_bytes) {
          reject(RejectReason::BodyTooLarge);
          return;
        }
        body_.append(step.data);
        break;
      case ParseEvent::Trailers:
        break;  // whole-message API: trailers are not passed on
      case ParseEvent::Complete:
        on_complete();
        break;
      case ParseEvent::Error:
        reject(parser_.error().reason);
        return;
    }
  }
}

bool ServerConnection::on_head() {
  const http::RequestHead& head = parser_.head();
  Pending pending;
  pending.sequence = next_sequence_++;
  pending.head_request = head.method == http::Method::Head;
  // CONNECT is answered but never tunnelled: nothing after it is HTTP.
  pending.close_after = !head.keep_alive || head.method == http::Method::Connect;
  const http::BodyFraming framing = head.framing;
  const bool has_body =
      framing.kind == http::BodyFraming::Kind::Chunked ||
      (framing.kind == http::BodyFraming::Kind::ContentLength && framing.length > 0);
  pending.send_continue = head.expect_continue && has_body;
  pending_.push_back(std::move(pending));
  body_.clear();
  last_progress_ = Clock::now();
  if (framing.kind == http::BodyFraming::Kind::ContentLength &&
      framing.length > server_->options.max_body_bytes) {
    reject(RejectReason::BodyTooLarge);  // refused before a byte of it is read
    return false;
  }
  if (pending_.back().send_continue) {
    maybe_write();
  }
  return true;
}

void ServerConnection::on_complete() {
  in_request_ = false;
  ++requests_;
  ++server_->stats.requests_total;
  Pending& pending = pending_.back();
  pending.send_continue = false;  // the body is here: no need to ask for it
  if (server_->draining) {
    pending.close_after = true;
  }
  if (pending.close_after) {
    stop_reading_ = true;
  }
  Request request;
  request.head = std::move(parser_.head());
  request.body = std::move(body_);
  body_ = std::string();
  request.peer = peer_;
  Responder responder(shared_from_this(), pending.sequence);
  try {
    server_->handler(std::move(request), std::move(responder));
  } catch (const std::exception& e) {
    // The Responder, destroyed while unwinding, has already answered 500.
    FERRY_LOG_LIMITED(spdlog::level::err, "http handler threw: {}", e.what());
  }
}

void ServerConnection::reject(RejectReason reason) {
  ++server_->stats.rejected_total[static_cast<std::size_t>(reason)];
  stop_reading_ = true;
  in_request_ = false;
  Response response = error_response(reason);
  if (parser_.in_body() && !pending_.empty() && !pending_.back().ready) {
    // The request being read never reached the handler: answer it here.
    Pending& pending = pending_.back();
    pending.response = std::move(response);
    pending.ready = true;
    pending.close_after = true;
    pending.send_continue = false;
  } else {
    Pending pending;
    pending.sequence = next_sequence_++;
    pending.ready = true;
    pending.close_after = true;
    pending.response = std::move(response);
    pending_.push_back(std::move(pending));
  }
  maybe_write();
  update_deadline();
}

void ServerConnection::deliver(std::uint64_t sequence, Response response) {
  if (closed_) {
    return;
  }
  for (Pending& pending : pending_) {
    if (pending.sequence != sequence) {
      continue;
    }
    if (pending.ready) {
      return;
    }
    pending.response = std::move(response);
    pending.ready = true;
    if (pending.response.close) {
      pending.close_after = true;
      stop_reading_ = true;
    }
    maybe_write();
    update_deadline();
    return;
  }
}

void ServerConnection::maybe_write() {
  if (writing_ || closed_ || lingering_ || pending_.empty()) {
    return;
  }
  Pending& front = pending_.front();
  if (!front.ready) {
    if (front.send_continue) {
      write_continue();
    }
    return;
  }
  Response& r = front.response;
  if (r.status < 200 || r.status > 599) {
    r = Response{500, {}, {}, "handler answered with an invalid status\n", false};
  }
  // Only the last response before a close says so; responses queued behind
  // a closing one would be lost.
  const bool last = pending_.size() == 1 && !in_request_;
  front.close_after = front.close_after || ((server_->draining || stop_reading_) && last);
  if (front.close_after) {
    r.headers.set("connection", "close");
  }
  const bool bodyless = r.status == 204 || r.status == 304;
  const http::BodyFraming framing =
      bodyless ? http::BodyFraming::none() : http::BodyFraming::content_length(r.body.size());
  out_.clear();
  if (!append_response_head(out_, r.status, r.reason, r.headers, framing)) {
    FERRY_LOG_LIMITED(spdlog::level::err, "http handler produced an invalid response head");
    r = Response{500, {}, {}, "invalid response head\n", front.close_after};
    out_.clear();
    http::HeaderMap headers;
    if (front.close_after) {
      headers.add("connection", "close");
    }
    append_response_head(out_, 500, {}, headers, http::BodyFraming::content_length(r.body.size()));
  }
  const bool send_body = !front.head_request && !bodyless;
  const std::array<asio::const_buffer, 2> buffers = {
      asio::buffer(out_), send_body ? asio::buffer(r.body) : asio::const_buffer()};
  writing_ = true;
  last_progress_ = Clock::now();
  asio::async_write(socket_, buffers, [self = shared_from_this()](error_code ec, std::size_t) {
    self->on_write(ec, false);
  });
  update_deadline();
}

void ServerConnection::write_continue() {
  pending_.front().send_continue = false;
  writing_ = true;
  last_progress_ = Clock::now();
  asio::async_write(
      socket_, asio::buffer(kContinue.data(), kContinue.size()),
      [self = shared_from_this()](error_code ec, std::size_t) { self->on_write(ec, true); });
  update_deadline();
}

void ServerConnection::on_write(error_code ec, bool interim) {
  writing_ = false;
  if (closed_) {
    return;
  }
  if (ec) {
    close_now();
    return;
  }
  last_progress_ = Clock::now();
  if (!interim) {
    const bool closing = pending_.front().close_after;
    pending_.pop_front();
    if (closing) {
      linger_close();
      return;
    }
  }
  process_input();  // pipelined requests that waited for room in the queue
  if (closed_) {
    return;
  }
  if (pending_.empty() && !in_request_ && (read_eof_ || server_->draining)) {
    close_now();
    return;
  }
  maybe_write();
  do_read();
  update_deadline();
}

void ServerConnection::linger_close() {
  lingering_ = true;
  error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  deadline_kind_ = Deadline::Linger;
  deadline_ = Clock::now() + kLingerTime;
  arm_timer(deadline_);
  if (!reading_) {
    on_linger_read({});
  }
}

// Reads and discards until the client closes, kLingerBytes were thrown
// away, or the linger deadline passes.
void ServerConnection::on_linger_read(error_code ec) {
  if (ec || lingered_ > kLingerBytes) {
    close_now();
    return;
  }
  reading_ = true;
  socket_.async_read_some(asio::buffer(buffer_),
                          [self = shared_from_this()](error_code e, std::size_t n) {
                            self->reading_ = false;
                            self->lingered_ += n;
                            if (!self->closed_) {
                              self->on_linger_read(e);
                            }
                          });
}

void ServerConnection::begin_drain() {
  if (closed_) {
    return;
  }
  if (pending_.empty() && !in_request_) {
    close_now();
    return;
  }
  if (!in_request_) {
    stop_reading_ = true;  // a request being received is still read to its end
  }
  maybe_write();
  update_deadline();
}

void ServerConnection::close_now() {
  if (closed_) {
    return;
  }
  closed_ = true;
  error_code ignored;
  socket_.close(ignored);
  timer_.cancel();
  ++timer_generation_;
  pending_.clear();
  server_->connection_closed(this);
}

// One timer per connection, re-armed only when a deadline moves earlier: the
// common case (progress pushes a deadline later) is an assignment, and the
// timer re-arms itself when it fires early.
void ServerConnection::update_deadline() {
  if (closed_ || lingering_) {
    return;
  }
  const MessageServerOptions& o = server_->options;
  const auto now = Clock::now();
  Deadline kind = Deadline::None;
  Clock::time_point at{};
  auto use = [&](Deadline k, std::chrono::milliseconds limit, Clock::time_point from) {
    if (limit.count() > 0) {
      kind = k;
      at = from + limit;
    }
  };
  if (writing_) {
    use(Deadline::Write, o.stream_idle_timeout, last_progress_);
  } else if (!stop_reading_ && parser_.in_body()) {
    use(Deadline::Body, o.stream_idle_timeout, last_progress_);
  } else if (!stop_reading_ && (in_request_ || (requests_ == 0 && pending_.empty()))) {
    use(Deadline::Header, o.header_timeout, head_started_);
  } else if (pending_.empty() && !stop_reading_) {
    if (deadline_kind_ != Deadline::Idle) {
      idle_since_ = now;
    }
    use(Deadline::Idle, o.idle_timeout, idle_since_);
  }
  deadline_kind_ = kind;
  deadline_ = at;
  if (kind != Deadline::None) {
    arm_timer(at);
  }
}

void ServerConnection::arm_timer(Clock::time_point at) {
  if (timer_armed_ && timer_expiry_ <= at) {
    return;
  }
  timer_.expires_at(at);  // a wait already outstanding completes with a stale generation
  timer_expiry_ = at;
  timer_armed_ = true;
  const std::uint64_t generation = ++timer_generation_;
  timer_.async_wait(
      [self = shared_from_this(), generation](error_code ec) { self->on_timer(generation, ec); });
}

void ServerConnection::on_timer(std::uint64_t generation, error_code ec) {
  if (generation != timer_generation_ || closed_ || ec == asio::error::operation_aborted) {
    return;
  }
  timer_armed_ = false;
  if (deadline_kind_ == Deadline::None) {
    return;
  }
  if (Clock::now() < deadline_) {
    arm_timer(deadline_);
    return;
  }
  on_deadline();
}

void ServerConnection::on_deadline() {
  switch (deadline_kind_) {
    case Deadline::Header:
      if (in_request_) {
        reject(RejectReason::HeaderTimeout);
      } else {
        close_now();  // nothing was sent: no one to answer
      }
      return;
    case Deadline::Body:
      reject(RejectReason::BodyTimeout);
      return;
    default:
      close_now();
      return;
  }
}

}  // namespace ferry::core::http1
