#include "tests/integration/resilience/scripted_upstream.h"

#include <cstring>
#include <deque>
#include <future>
#include <optional>
#include <stdexcept>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "proxy/core/address.h"
#include "proxy/core/http1/request_parser.h"

namespace ferry::test {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using core::http1::ParseEvent;

constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kMaxSeen = 10'000;

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

std::string response_text(const UpstreamAction& a) {
  std::string out = "HTTP/1.1 " + std::to_string(a.status) + " " + reason_phrase(a.status) + "\r\n";
  // 1xx, 204 and 304 have no body (RFC 9110 §6.4.1).
  const bool bodiless = a.status < 200 || a.status == 204 || a.status == 304;
  if (!bodiless) {
    out += "content-length: " + std::to_string(a.body.size()) + "\r\n";
  }
  for (const auto& [name, value] : a.headers) {
    out += name + ": " + value + "\r\n";
  }
  if (a.close) {
    out += "connection: close\r\n";
  }
  out += "\r\n";
  if (!bodiless) {
    out += a.body;
  }
  return out;
}

}  // namespace

struct ScriptedUpstream::State {
  asio::io_context io{1};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work{io.get_executor()};
  tcp::acceptor acceptor{io};
  tcp::endpoint endpoint;
  std::mutex mutex;  // guards script and seen
  Script script;
  std::deque<SeenRequest> seen;
  std::vector<std::weak_ptr<Connection>> open;  // io thread only
  int next_connection = 0;                      // io thread only
};

class ScriptedUpstream::Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(ScriptedUpstream& owner, tcp::socket socket, int id)
      : owner_(owner), socket_(std::move(socket)), timer_(socket_.get_executor()), id_(id) {}

  void start() { read(); }

  void close_now(bool reset) {
    if (closed_) {
      return;
    }
    closed_ = true;
    end_request();
    timer_.cancel();
    error_code ignored;
    if (reset) {
      socket_.set_option(asio::socket_base::linger(true, 0), ignored);
    }
    socket_.close(ignored);
  }

 private:
  void read() {
    if (closed_) {
      return;
    }
    chunk_.resize(kReadChunk);
    socket_.async_read_some(
        asio::buffer(chunk_),
        [self = shared_from_this()](const error_code& ec, std::size_t n) { self->on_read(ec, n); });
  }

  void on_read(const error_code& ec, std::size_t n) {
    if (closed_) {
      return;
    }
    if (ec) {
      close_now(/*reset=*/false);
      return;
    }
    in_.append(chunk_.data(), n);
    process();
    read();
  }

  void process() {
    while (!busy_ && !closed_) {
      const auto step = parser_.parse(std::string_view(in_).substr(begin_));
      begin_ += step.consumed;
      switch (step.event) {
        case ParseEvent::NeedMore:
          in_.erase(0, begin_);
          begin_ = 0;
          return;
        case ParseEvent::Head:
          on_head();
          break;
        case ParseEvent::Data:
          current_.body_size += step.data.size();
          break;
        case ParseEvent::Trailers:
          break;
        case ParseEvent::Complete:
          busy_ = true;
          act(decide());
          break;
        case ParseEvent::Error:
          close_now(/*reset=*/false);
          return;
      }
    }
  }

  void on_head() {
    const auto& head = parser_.head();
    current_ = SeenRequest{};
    current_.index = owner_.requests_.fetch_add(1);
    current_.connection = id_;
    current_.method = head.method_text;
    current_.path = head.path;
    current_.host = std::string(head.headers.get("host").value_or(""));
    current_.user_agent = std::string(head.headers.get("user-agent").value_or(""));
    current_.request_id = std::string(head.headers.get("x-request-id").value_or(""));
    for (const auto& field : head.headers) {
      current_.headers.emplace_back(std::string(field.name), std::string(field.value));
    }
    in_request_ = true;
    const int active = owner_.active_.fetch_add(1) + 1;
    int peak = owner_.peak_active_.load();
    while (active > peak && !owner_.peak_active_.compare_exchange_weak(peak, active)) {
    }
  }

  UpstreamAction decide() {
    State& s = *owner_.state_;
    std::lock_guard lock(s.mutex);
    s.seen.push_back(current_);
    if (s.seen.size() > kMaxSeen) {
      s.seen.pop_front();
    }
    return s.script ? s.script(current_) : UpstreamAction{};
  }

  void act(const UpstreamAction& action) {
    using Kind = UpstreamAction::Kind;
    switch (action.kind) {
      case Kind::Respond:
        if (action.delay.count() > 0) {
          timer_.expires_after(action.delay);
          timer_.async_wait([self = shared_from_this(), action](const error_code& ec) {
            if (!ec && !self->closed_) {
              self->write(response_text(action), action.close ? After::Close : After::Continue);
            }
          });
        } else {
          write(response_text(action), action.close ? After::Close : After::Continue);
        }
        return;
      case Kind::Reset:
        close_now(/*reset=*/true);
        return;
      case Kind::ResetAfterHead:
        write("HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\npartial...", After::Reset);
        return;
      case Kind::ResetMidChunked:
        write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n8\r\npartial.\r\n",
              After::Reset);
        return;
      case Kind::Close:
        close_now(/*reset=*/false);
        return;
      case Kind::Silent:
        return;  // busy_ stays set: nothing more is answered on this connection
    }
  }

  enum class After { Continue, Close, Reset };

  void write(std::string text, After after) {
    if (after != After::Reset) {
      // A complete response ends the request now, not when the write's
      // handler runs: the proxy may read it, free its connection slot and
      // send on a new connection before this thread gets to that handler,
      // and the peak would count one request twice.
      end_request();
    }
    out_ = std::move(text);
    asio::async_write(socket_, asio::buffer(out_),
                      [self = shared_from_this(), after](const error_code& ec, std::size_t) {
                        self->on_written(ec, after);
                      });
  }

  void on_written(const error_code& ec, After after) {
    if (closed_) {
      return;
    }
    if (ec || after != After::Continue) {
      close_now(/*reset=*/after == After::Reset);
      return;
    }
    end_request();
    busy_ = false;
    process();
  }

  void end_request() {
    if (in_request_) {
      in_request_ = false;
      owner_.active_.fetch_sub(1);
    }
  }

  ScriptedUpstream& owner_;
  tcp::socket socket_;
  asio::steady_timer timer_;
  const int id_;
  core::http1::RequestParser parser_;
  std::string chunk_;
  std::string in_;
  std::size_t begin_ = 0;
  std::string out_;
  SeenRequest current_;
  bool in_request_ = false;
  bool busy_ = false;
  bool closed_ = false;
};

ScriptedUpstream::ScriptedUpstream(Script script, const std::string& address)
    : state_(std::make_unique<State>()) {
  state_->script = std::move(script);
  const auto parsed = core::SocketAddress::parse(address);
  if (!parsed) {
    throw std::runtime_error("ScriptedUpstream: bad address " + address);
  }
  std::memcpy(state_->endpoint.data(), parsed->data(), parsed->size());
  state_->endpoint.resize(parsed->size());
  if (!start_listening()) {
    throw std::runtime_error("ScriptedUpstream: cannot listen on " + address);
  }
  thread_ = std::thread([this] { state_->io.run(); });
}

ScriptedUpstream::~ScriptedUpstream() {
  std::promise<void> done;
  asio::post(state_->io, [this, &done] {
    error_code ignored;
    state_->acceptor.close(ignored);
    for (auto& weak : state_->open) {
      if (auto c = weak.lock()) {
        c->close_now(/*reset=*/false);
      }
    }
    state_->work.reset();
    done.set_value();
  });
  done.get_future().wait();
  thread_.join();
}

void ScriptedUpstream::set_script(Script script) {
  std::lock_guard lock(state_->mutex);
  state_->script = std::move(script);
}

std::uint64_t ScriptedUpstream::requests_to(const std::string& prefix) const {
  std::lock_guard lock(state_->mutex);
  std::uint64_t n = 0;
  for (const SeenRequest& r : state_->seen) {
    n += r.path.rfind(prefix, 0) == 0 ? 1 : 0;
  }
  return n;
}

std::vector<SeenRequest> ScriptedUpstream::seen() const {
  std::lock_guard lock(state_->mutex);
  return {state_->seen.begin(), state_->seen.end()};
}

void ScriptedUpstream::stop_listening() {
  std::promise<void> done;
  asio::post(state_->io, [this, &done] {
    error_code ignored;
    state_->acceptor.close(ignored);
    done.set_value();
  });
  done.get_future().wait();
}

void ScriptedUpstream::drop_connections() {
  std::promise<void> done;
  asio::post(state_->io, [this, &done] {
    for (auto& weak : state_->open) {
      if (auto c = weak.lock()) {
        c->close_now(/*reset=*/true);
      }
    }
    state_->open.clear();
    done.set_value();
  });
  done.get_future().wait();
}

void ScriptedUpstream::accept_next() {
  state_->acceptor.async_accept([this](const error_code& ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !state_->acceptor.is_open()) {
      return;
    }
    if (!ec) {
      error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      connections_.fetch_add(1);
      auto c = std::make_shared<Connection>(*this, std::move(socket), ++state_->next_connection);
      std::erase_if(state_->open, [](const auto& w) { return w.expired(); });
      state_->open.push_back(c);
      c->start();
    }
    accept_next();
  });
}

bool ScriptedUpstream::start_listening() {
  // Before the thread runs (constructor) the acceptor is set up directly;
  // afterwards on the io thread.
  auto open = [this]() -> bool {
    State& s = *state_;
    error_code ec;
    s.acceptor.open(s.endpoint.protocol(), ec);
    s.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) {
      s.acceptor.bind(s.endpoint, ec);
    }
    if (!ec) {
      s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
      error_code ignored;
      s.acceptor.close(ignored);
      return false;
    }
    s.endpoint = s.acceptor.local_endpoint();  // the real port, kept for a re-listen
    if (address_.empty()) {
      address_ = "127.0.0.1:" + std::to_string(s.endpoint.port());
    }
    accept_next();
    return true;
  };
  if (!thread_.joinable()) {
    return open();
  }
  std::promise<bool> done;
  asio::post(state_->io, [&] { done.set_value(open()); });
  return done.get_future().get();
}

}  // namespace ferry::test
