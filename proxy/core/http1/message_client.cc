#include "proxy/core/http1/message_client.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "proxy/core/http1/response_parser.h"
#include "proxy/core/http1/serializer.h"
#include "proxy/core/log.h"

namespace ferry::core::http1 {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

// boost::system::error_category has a protected non-virtual destructor by
// design (categories are never deleted through the base).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class ClientErrorCategory final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "ferry.http1.client"; }
  std::string message(int value) const override {
    switch (static_cast<ClientError>(value)) {
      case ClientError::ProtocolError:
        return "the server broke HTTP/1.1";
      case ClientError::ResponseTooLarge:
        return "response body too large";
      case ClientError::ConnectionClosed:
        return "connection closed before a complete response";
      case ClientError::InvalidRequest:
        return "request cannot be serialized";
      case ClientError::UnsupportedUpgrade:
        return "unexpected 101 Switching Protocols";
    }
    return "unknown client error";
  }
};
#pragma GCC diagnostic pop

constexpr std::size_t kReadSize = 16 * 1024;

bool method_sends_length(http::Method m) {
  return m == http::Method::Post || m == http::Method::Put || m == http::Method::Patch;
}

}  // namespace

const boost::system::error_category& client_error_category() {
  static const ClientErrorCategory category;
  return category;
}

boost::system::error_code make_error_code(ClientError e) {
  return {static_cast<int>(e), client_error_category()};
}

// The state behind a MessageClient; outstanding handlers hold it alive and
// carry the connection generation they belong to, so a handler of a closed
// connection never touches the next one.
class ClientImpl : public std::enable_shared_from_this<ClientImpl> {
 public:
  ClientImpl(asio::io_context& io, SocketAddress address, MessageClientOptions options)
      : io_(io),
        address_(address),
        options_(std::move(options)),
        socket_(io),
        timer_(io),
        parser_(options_.parser) {
    if (options_.host.empty()) {
      options_.host = address_.to_string();
    }
    std::memcpy(endpoint_.data(), address_.data(), address_.size());
    endpoint_.resize(address_.size());
  }

  void request(ClientRequest request, MessageClient::Callback callback);
  void close();

  const SocketAddress& address() const { return address_; }
  std::size_t pending() const { return queue_.size(); }
  const MessageClientStats& stats() const { return stats_; }

 private:
  struct Job {
    ClientRequest request;
    MessageClient::Callback callback;
  };

  void start_next();
  void connect();
  void on_connect(std::uint64_t generation, error_code ec);
  void send_request();
  void start_read();
  void on_read(std::uint64_t generation, error_code ec, std::size_t n);
  void process_input();
  void connection_failed(error_code ec);
  void finish(error_code ec);
  void drop_connection();
  void update_timer();
  void on_timer(error_code ec);

  asio::io_context& io_;
  SocketAddress address_;
  MessageClientOptions options_;
  tcp::endpoint endpoint_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  ResponseParser parser_;
  std::deque<Job> queue_;
  MessageClientStats stats_;

  std::vector<char> buffer_ = std::vector<char>(kReadSize);
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::string out_;
  Response response_;
  bool interim_ = false;
  bool keep_alive_ = true;

  std::uint64_t generation_ = 0;  // bumped whenever the connection is dropped
  bool connected_ = false;
  bool connecting_ = false;
  bool reading_ = false;
  bool writing_ = false;
  bool busy_ = false;    // queue_.front() is in flight
  bool reused_ = false;  // this connection already carried a response
  bool response_started_ = false;
  bool retried_ = false;
  bool closed_ = false;
  Clock::time_point request_deadline_ = Clock::time_point::max();
  Clock::time_point connect_deadline_ = Clock::time_point::max();
  Clock::time_point idle_deadline_ = Clock::time_point::max();
};

void ClientImpl::request(ClientRequest request, MessageClient::Callback callback) {
  if (closed_) {
    asio::post(io_, [cb = std::move(callback)] { cb(asio::error::operation_aborted, {}); });
    return;
  }
  queue_.push_back(Job{std::move(request), std::move(callback)});
  start_next();
}

void ClientImpl::start_next() {
  if (busy_ || closed_ || queue_.empty()) {
    return;
  }
  busy_ = true;
  retried_ = false;
  ++stats_.requests;
  request_deadline_ = options_.request_timeout.count() > 0 ? Clock::now() + options_.request_timeout
                                                           : Clock::time_point::max();
  idle_deadline_ = Clock::time_point::max();
  if (connected_) {
    send_request();
  } else if (!connecting_) {
    connect();
  }
  update_timer();
}

void ClientImpl::connect() {
  drop_connection();
  connecting_ = true;
  reused_ = false;
  ++stats_.connects;
  connect_deadline_ = Clock::now() + options_.connect_timeout;
  const std::uint64_t generation = generation_;
  socket_.async_connect(endpoint_, [self = shared_from_this(), generation](error_code ec) {
    self->on_connect(generation, ec);
  });
  update_timer();
}

void ClientImpl::on_connect(std::uint64_t generation, error_code ec) {
  if (generation != generation_ || closed_) {
    return;
  }
  connecting_ = false;
  connect_deadline_ = Clock::time_point::max();
  if (ec) {
    finish(ec);
    return;
  }
  connected_ = true;
  error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  begin_ = end_ = 0;
  parser_.reset();
  start_read();
  if (busy_) {
    send_request();
  }
  update_timer();
}

void ClientImpl::send_request() {
  const ClientRequest& request = queue_.front().request;
  const std::string_view method = request.method == http::Method::Other
                                      ? std::string_view(request.method_text)
                                      : http::method_name(request.method);
  const http::BodyFraming framing = !request.body.empty() || method_sends_length(request.method)
                                        ? http::BodyFraming::content_length(request.body.size())
                                        : http::BodyFraming::none();
  out_.clear();
  bool ok;
  if (request.headers.contains("host")) {
    ok = append_request_head(out_, method, request.target, request.headers, framing);
  } else {
    http::HeaderMap headers = request.headers;
    headers.add("host", options_.host);
    ok = append_request_head(out_, method, request.target, headers, framing);
  }
  if (!ok) {
    finish(ClientError::InvalidRequest);
    return;
  }
  parser_.set_request_method(request.method);
  response_ = Response();
  response_started_ = false;
  interim_ = false;
  const std::array<asio::const_buffer, 2> buffers = {asio::buffer(out_),
                                                     asio::buffer(request.body)};
  const std::uint64_t generation = generation_;
  writing_ = true;
  asio::async_write(socket_, buffers,
                    [self = shared_from_this(), generation](error_code ec, std::size_t) {
                      if (generation != self->generation_ || self->closed_) {
                        return;
                      }
                      self->writing_ = false;
                      if (ec && self->busy_) {
                        self->connection_failed(ec);
                      }
                    });
}

// One read is always outstanding on an open connection, in flight or idle,
// so a server that closes an idle connection is noticed before it is reused.
void ClientImpl::start_read() {
  if (reading_ || !connected_) {
    return;
  }
  if (begin_ == end_) {
    begin_ = end_ = 0;
  } else if (buffer_.size() - end_ < kReadSize / 4) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
    if (buffer_.size() - end_ < kReadSize / 4) {
      buffer_.resize(buffer_.size() * 2);  // a head larger than the buffer (bounded by the parser)
    }
  }
  reading_ = true;
  const std::uint64_t generation = generation_;
  socket_.async_read_some(asio::buffer(buffer_.data() + end_, buffer_.size() - end_),
                          [self = shared_from_this(), generation](error_code ec, std::size_t n) {
                            self->on_read(generation, ec, n);
                          });
}

void ClientImpl::on_read(std::uint64_t generation, error_code ec, std::size_t n) {
  if (generation != generation_ || closed_) {
    return;
  }
  reading_ = false;
  if (!busy_) {
    // Idle: a close is the server ending keep-alive; bytes are a protocol error.
    drop_connection();
    return;
  }
  if (ec) {
    if (ec == asio::error::eof && !interim_ && parser_.in_body() &&
        parser_.finish().event == ParseEvent::Complete) {
      keep_alive_ = false;
      finish({});  // a close-delimited body ended
      return;
    }
    connection_failed(ec == asio::error::eof ? error_code(ClientError::ConnectionClosed) : ec);
    return;
  }
  end_ += n;
  response_started_ = true;
  process_input();
  start_read();
}

void ClientImpl::process_input() {
  while (busy_ && connected_) {
    const ParseStep step = parser_.parse(std::string_view(buffer_.data() + begin_, end_ - begin_));
    begin_ += step.consumed;
    switch (step.event) {
      case ParseEvent::NeedMore:
        return;
      case ParseEvent::Head: {
        http::ResponseHead& head = parser_.head();
        if (head.status == 101) {
          finish(ClientError::UnsupportedUpgrade);
          return;
        }
        interim_ = head.is_informational();
        if (!interim_) {
          response_.status = head.status;
          response_.reason = head.reason;
          response_.headers.swap(head.headers);
          keep_alive_ = head.keep_alive;
        }
        break;
      }
      case ParseEvent::Data:
        if (response_.body.size() + step.data.size() > options_.max_response_body) {
          finish(ClientError::ResponseTooLarge);
          return;
        }
        response_.body.append(step.data);
        break;
      case ParseEvent::Trailers:
        break;
      case ParseEvent::Complete:
        if (!interim_) {
          finish({});
          return;
        }
        break;
      case ParseEvent::Error:
        FERRY_LOG_LIMITED(spdlog::level::warn, "{}: bad response: {}", address_.to_string(),
                          parser_.error().reason_name());
        finish(ClientError::ProtocolError);
        return;
    }
  }
}

// The connection failed while a request was in flight. A request that
// provably never reached the server is retried once.
void ClientImpl::connection_failed(error_code ec) {
  const ClientRequest& request = queue_.front().request;
  const bool unprocessed = reused_ && !response_started_;
  const bool closed_by_peer = ec == ClientError::ConnectionClosed ||
                              ec == asio::error::connection_reset ||
                              ec == asio::error::broken_pipe || ec == asio::error::eof;
  if (unprocessed && closed_by_peer && !retried_ && http::is_idempotent(request.method)) {
    retried_ = true;
    ++stats_.retries;
    connect();
    return;
  }
  finish(ec);
}

// Ends the request in flight (success or error) and moves on.
void ClientImpl::finish(error_code ec) {
  Job job = std::move(queue_.front());
  queue_.pop_front();
  busy_ = false;
  request_deadline_ = Clock::time_point::max();
  Response response = std::move(response_);
  response_ = Response();
  if (ec) {
    ++stats_.errors;
    drop_connection();
  } else if (!keep_alive_ || begin_ != end_ || writing_) {
    // Bytes after a complete response, or a response before the request was
    // all written: the connection's state is not known, so it is not reused.
    // (Closing the socket also cancels the write that uses out_ and the body.)
    drop_connection();
  } else {
    reused_ = true;
    if (options_.idle_timeout.count() > 0) {
      idle_deadline_ = Clock::now() + options_.idle_timeout;
    }
  }
  keep_alive_ = true;
  auto self = shared_from_this();  // the callback may destroy the MessageClient
  job.callback(ec, std::move(response));
  start_next();
  update_timer();
}

void ClientImpl::drop_connection() {
  ++generation_;
  error_code ignored;
  socket_.close(ignored);
  connected_ = false;
  connecting_ = false;
  reading_ = false;
  writing_ = false;
  begin_ = end_ = 0;
  idle_deadline_ = Clock::time_point::max();
  connect_deadline_ = Clock::time_point::max();
}

void ClientImpl::update_timer() {
  const Clock::time_point next = std::min({request_deadline_, connect_deadline_, idle_deadline_});
  timer_.expires_at(next);  // the previous wait completes with operation_aborted
  if (next == Clock::time_point::max()) {
    return;
  }
  timer_.async_wait([self = shared_from_this()](error_code ec) { self->on_timer(ec); });
}

void ClientImpl::on_timer(error_code ec) {
  if (ec == asio::error::operation_aborted || closed_) {
    return;
  }
  const auto now = Clock::now();
  if (busy_ && (now >= request_deadline_ || now >= connect_deadline_)) {
    finish(asio::error::timed_out);
    return;
  }
  if (!busy_ && now >= idle_deadline_) {
    drop_connection();
  }
  update_timer();
}

void ClientImpl::close() {
  if (closed_) {
    return;
  }
  closed_ = true;
  drop_connection();
  timer_.cancel();
  for (Job& job : queue_) {
    asio::post(io_, [cb = std::move(job.callback)] { cb(asio::error::operation_aborted, {}); });
  }
  queue_.clear();
  busy_ = false;
}

// --- MessageClient ---

MessageClient::MessageClient(asio::io_context& io, SocketAddress address,
                             MessageClientOptions options)
    : impl_(std::make_shared<ClientImpl>(io, address, std::move(options))) {}

MessageClient::~MessageClient() {
  impl_->close();
}

void MessageClient::request(ClientRequest request, Callback callback) {
  impl_->request(std::move(request), std::move(callback));
}

void MessageClient::close() {
  impl_->close();
}

const SocketAddress& MessageClient::address() const {
  return impl_->address();
}

std::size_t MessageClient::pending() const {
  return impl_->pending();
}

const MessageClientStats& MessageClient::stats() const {
  return impl_->stats();
}

}  // namespace ferry::core::http1
