#pragma once

#include <cstring>

#include <boost/asio/ip/tcp.hpp>

#include "proxy/core/address.h"

// SocketAddress ⇄ Asio endpoint. Both wrap a sockaddr, so each is one copy.
namespace ferry::core {

inline boost::asio::ip::tcp::endpoint to_endpoint(const SocketAddress& address) {
  boost::asio::ip::tcp::endpoint endpoint;
  std::memcpy(endpoint.data(), address.data(), address.size());
  endpoint.resize(address.size());
  return endpoint;
}

// An empty SocketAddress for an endpoint of another family.
inline SocketAddress from_endpoint(const boost::asio::ip::tcp::endpoint& endpoint) {
  return SocketAddress::from_sockaddr(endpoint.data(), static_cast<socklen_t>(endpoint.size()))
      .value_or(SocketAddress());
}

}  // namespace ferry::core
