#include "proxy/core/http1/message_server.h"

#include <cstring>
#include <utility>

#include <boost/asio/post.hpp>

#include "proxy/core/asio_address.h"
#include "proxy/core/http1/server_connection.h"
#include "proxy/core/log.h"

namespace ferry::core::http1 {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

namespace {

// After a failed accept (EMFILE, ENFILE, ENOBUFS) wait before the next one:
// the pending connection stays queued, and retrying at once would spin.
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);

using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

}  // namespace

// --- Responder ---

Responder::Responder(std::shared_ptr<ServerConnection> connection, std::uint64_t sequence)
    : connection_(std::move(connection)), sequence_(sequence) {}

Responder::Responder(Responder&& other) noexcept
    : connection_(std::move(other.connection_)), sequence_(other.sequence_) {}

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    if (connection_) {
      send(Response{500, {}, {}, "request abandoned by its handler\n", false});
    }
    connection_ = std::move(other.connection_);
    sequence_ = other.sequence_;
  }
  return *this;
}

Responder::~Responder() {
  if (connection_) {
    send(Response{500, {}, {}, "request abandoned by its handler\n", false});
  }
}

void Responder::send(Response response) {
  if (!connection_) {
    return;
  }
  std::shared_ptr<ServerConnection> connection = std::move(connection_);
  connection_.reset();
  auto executor = connection->executor();
  asio::post(executor, [connection = std::move(connection), sequence = sequence_,
                        response = std::move(response)]() mutable {
    connection->deliver(sequence, std::move(response));
  });
}

// --- ServerState ---

ServerState::ServerState(asio::io_context& io_context, MessageServer::Handler h,
                         MessageServerOptions o)
    : io(io_context),
      handler(std::move(h)),
      options(std::move(o)),
      acceptor(io_context),
      accept_backoff(io_context) {}

void ServerState::start_accept() {
  if (closed || draining) {
    return;
  }
  acceptor.async_accept([self = shared_from_this()](error_code ec, tcp::socket socket) {
    self->on_accept(ec, std::move(socket));
  });
}

void ServerState::on_accept(error_code ec, tcp::socket socket) {
  if (closed || draining || ec == asio::error::operation_aborted) {
    return;
  }
  if (ec) {
    ++stats.accept_errors;
    FERRY_LOG_LIMITED(spdlog::level::warn, "accept failed: {}", ec.message());
    accept_backoff.expires_after(kAcceptBackoff);
    accept_backoff.async_wait([self = shared_from_this()](error_code e) {
      if (!e) {
        self->start_accept();
      }
    });
    return;
  }
  ++stats.connections_total;
  if (connections.size() >= options.max_connections) {
    ++stats.connections_overflow;
    error_code ignored;
    socket.close(ignored);
    start_accept();
    return;
  }
  error_code peer_ec;
  const tcp::endpoint peer = socket.remote_endpoint(peer_ec);
  auto connection = std::make_shared<ServerConnection>(
      shared_from_this(), std::move(socket), peer_ec ? SocketAddress() : from_endpoint(peer));
  connections.insert(connection.get());
  connection->start();
  start_accept();
}

void ServerState::close() {
  if (closed) {
    return;
  }
  closed = true;
  error_code ignored;
  acceptor.close(ignored);
  accept_backoff.cancel();
  const auto open = connections;
  for (ServerConnection* connection : open) {
    connection->close_now();
  }
}

void ServerState::drain(std::function<void()> on_drained) {
  draining = true;
  on_drained_ = std::move(on_drained);
  error_code ignored;
  acceptor.close(ignored);
  accept_backoff.cancel();
  const auto open = connections;
  for (ServerConnection* connection : open) {
    connection->begin_drain();
  }
  maybe_drained();
}

void ServerState::connection_closed(ServerConnection* connection) {
  connections.erase(connection);
  maybe_drained();
}

void ServerState::maybe_drained() {
  if (draining && connections.empty() && on_drained_) {
    asio::post(io, std::exchange(on_drained_, nullptr));
  }
}

// --- MessageServer ---

MessageServer::MessageServer(asio::io_context& io, Handler handler, MessageServerOptions options)
    : state_(std::make_shared<ServerState>(io, std::move(handler), std::move(options))) {}

MessageServer::~MessageServer() {
  state_->close();
}

error_code MessageServer::listen(const SocketAddress& address) {
  const tcp::endpoint endpoint = to_endpoint(address);
  tcp::acceptor& acceptor = state_->acceptor;
  error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec && state_->options.reuse_port) {
    acceptor.set_option(ReusePort(true), ec);
  }
  if (!ec) {
    acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    error_code ignored;
    acceptor.close(ignored);
    return ec;
  }
  state_->start_accept();
  return {};
}

SocketAddress MessageServer::local_address() const {
  error_code ec;
  const tcp::endpoint endpoint = state_->acceptor.local_endpoint(ec);
  return ec ? SocketAddress() : from_endpoint(endpoint);
}

void MessageServer::close() {
  state_->close();
}

void MessageServer::drain(std::function<void()> on_drained) {
  state_->drain(std::move(on_drained));
}

std::size_t MessageServer::connection_count() const {
  return state_->connections.size();
}

const MessageServerStats& MessageServer::stats() const {
  return state_->stats;
}

}  // namespace ferry::core::http1
