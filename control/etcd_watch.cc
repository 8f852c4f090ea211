#include "control/etcd_watch.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

#include "proxy/core/http1/response_parser.h"

namespace ferry::control {
namespace asio = boost::asio;
namespace json = boost::json;
using tcp = asio::ip::tcp;

struct EtcdWatch::Impl {
  Impl(asio::io_context& io, const core::SocketAddress& endpoint_ref, std::string request_text,
       std::chrono::milliseconds timeout, OnMessage message, OnClosed closed)
      : socket(io),
        timer(io),
        endpoint(endpoint_ref),
        request(std::move(request_text)),
        connect_timeout(timeout),
        on_message(std::move(message)),
        on_closed(std::move(closed)) {}

  tcp::socket socket;
  asio::steady_timer timer;
  core::SocketAddress endpoint;
  std::string request;
  std::chrono::milliseconds connect_timeout;
  OnMessage on_message;
  OnClosed on_closed;
  core::http1::ResponseParser parser;
  std::string buffer = std::string(64 * 1024, '\0');
  std::string pending;  // bytes of a message not yet ended by '\n'
  bool head_seen = false;
  bool done = false;
};

std::shared_ptr<EtcdWatch> EtcdWatch::start(asio::io_context& io,
                                            const core::SocketAddress& endpoint,
                                            const json::object& create_request,
                                            std::chrono::milliseconds connect_timeout,
                                            OnMessage on_message, OnClosed on_closed) {
  const std::string body = json::serialize(json::object{{"create_request", create_request}});
  std::string request =
      "POST /v3/watch HTTP/1.1\r\nhost: " + endpoint.to_string() +
      "\r\ncontent-type: application/json\r\ncontent-length: " + std::to_string(body.size()) +
      "\r\n\r\n" + body;
  auto watch = std::shared_ptr<EtcdWatch>(
      new EtcdWatch(std::make_unique<Impl>(io, endpoint, std::move(request), connect_timeout,
                                           std::move(on_message), std::move(on_closed))));
  watch->connect();
  return watch;
}

EtcdWatch::EtcdWatch(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

EtcdWatch::~EtcdWatch() = default;

void EtcdWatch::cancel() {
  impl_->on_message = nullptr;
  impl_->on_closed = nullptr;
  close("cancelled");
}

void EtcdWatch::close(const std::string& reason) {
  if (impl_->done) {
    return;
  }
  impl_->done = true;
  boost::system::error_code ignored;
  impl_->socket.close(ignored);
  impl_->timer.cancel();
  if (impl_->on_closed) {
    auto on_closed = std::move(impl_->on_closed);
    impl_->on_message = nullptr;
    on_closed(reason);
  }
}

void EtcdWatch::connect() {
  tcp::endpoint endpoint;
  std::memcpy(endpoint.data(), impl_->endpoint.data(), impl_->endpoint.size());
  endpoint.resize(impl_->endpoint.size());
  impl_->timer.expires_after(impl_->connect_timeout);
  impl_->timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
    if (!ec && !self->impl_->head_seen) {
      self->close("connect or response timeout");
    }
  });
  impl_->socket.async_connect(
      endpoint, [self = shared_from_this()](const boost::system::error_code& ec) {
        if (self->impl_->done) {
          return;
        }
        if (ec) {
          return self->close("connect: " + ec.message());
        }
        asio::async_write(self->impl_->socket, asio::buffer(self->impl_->request),
                          [self](const boost::system::error_code& e, std::size_t) {
                            if (self->impl_->done) {
                              return;
                            }
                            if (e) {
                              return self->close("write: " + e.message());
                            }
                            self->read();
                          });
      });
}

void EtcdWatch::read() {
  impl_->socket.async_read_some(
      asio::buffer(impl_->buffer),
      [self = shared_from_this()](const boost::system::error_code& ec, std::size_t n) {
        if (self->impl_->done) {
          return;
        }
        if (ec) {
          return self->close(ec == asio::error::eof ? "etcd closed the watch" : ec.message());
        }
        self->on_bytes(n);
        if (!self->impl_->done) {
          self->read();
        }
      });
}

void EtcdWatch::on_bytes(std::size_t n) {
  std::string_view in(impl_->buffer.data(), n);
  while (!impl_->done) {
    const core::http1::ParseStep step = impl_->parser.parse(in);
    in.remove_prefix(step.consumed);
    switch (step.event) {
      case core::http1::ParseEvent::NeedMore:
        return;
      case core::http1::ParseEvent::Head:
        if (impl_->parser.head().status != 200) {
          return close("etcd answered the watch with HTTP " +
                       std::to_string(impl_->parser.head().status));
        }
        impl_->head_seen = true;
        impl_->timer.cancel();
        break;
      case core::http1::ParseEvent::Data: {
        impl_->pending.append(step.data);
        std::size_t newline;
        while (!impl_->done && (newline = impl_->pending.find('\n')) != std::string::npos) {
          const std::string line = impl_->pending.substr(0, newline);
          impl_->pending.erase(0, newline + 1);
          std::error_code error;
          json::value message = json::parse(line, error);
          if (error || !message.is_object()) {
            return close("malformed watch message");
          }
          if (const json::value* result = message.get_object().if_contains("result");
              result != nullptr && result->is_object()) {
            if (impl_->on_message) {
              impl_->on_message(result->get_object());
            }
          } else {
            return close("watch error: " + line.substr(0, 256));
          }
        }
        if (impl_->pending.size() > 64 * 1024 * 1024) {
          return close("watch message too large");
        }
        break;
      }
      case core::http1::ParseEvent::Trailers:
        break;
      case core::http1::ParseEvent::Complete:
        return close("etcd ended the watch stream");
      case core::http1::ParseEvent::Error:
        return close("malformed HTTP from etcd");
    }
  }
}

}  // namespace ferry::control
