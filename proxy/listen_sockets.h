#pragma once

#include <string>
#include <vector>

#include <boost/system/result.hpp>

#include "proxy/core/address.h"

namespace ferry::proxy {

// A listener's kernel sockets: one per worker, all bound to the same address
// with SO_REUSEPORT so the kernel spreads connections over the workers.
class ListenSockets {
 public:
  ListenSockets() = default;
  ListenSockets(core::SocketAddress address, std::vector<int> fds)
      : address_(address), fds_(std::move(fds)) {}
  ~ListenSockets();
  ListenSockets(ListenSockets&& other) noexcept;
  ListenSockets& operator=(ListenSockets&& other) noexcept;

  // The bound address, with the port the kernel picked when the config said 0.
  const core::SocketAddress& address() const { return address_; }
  std::size_t size() const { return fds_.size(); }
  // Hands socket `i` to its worker; the caller owns the descriptor afterwards.
  int release(std::size_t i);

 private:
  void close_all();
  core::SocketAddress address_;
  std::vector<int> fds_;
};

// Binds and listens `count` non-blocking sockets on `address`. Port 0 picks one
// free port for all of them. A port already held by another socket — even one
// with SO_REUSEPORT in another process — is an error (EADDRINUSE), never
// silently shared: a probe bind without SO_REUSEPORT comes first. Called on
// the main thread at start-up or reload, before any worker uses the sockets.
boost::system::result<ListenSockets> bind_listen_sockets(const core::SocketAddress& address,
                                                         unsigned count, int backlog);

}  // namespace ferry::proxy
