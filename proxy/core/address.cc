#include "proxy/core/address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace ferry::core {

std::optional<HostPort> split_host_port(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || text.find(':') != colon) {
      return std::nullopt;
    }
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  if (host.empty() || port.empty() || port.size() > 5) {
    return std::nullopt;
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc() || end != port.data() + port.size() || value > 65535) {
    return std::nullopt;
  }
  return HostPort{std::string(host), static_cast<std::uint16_t>(value)};
}

static_assert(sizeof(SocketAddress) <= 32, "a SocketAddress is held per host and per instance");

std::optional<SocketAddress> SocketAddress::parse(std::string_view text) {
  auto hp = split_host_port(text);
  if (!hp) {
    return std::nullopt;
  }
  SocketAddress addr;
  const bool bracketed = !text.empty() && text.front() == '[';
  if (!bracketed) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&addr.storage_);
    if (inet_pton(AF_INET, hp->host.c_str(), &sin->sin_addr) != 1) {
      return std::nullopt;
    }
    sin->sin_family = AF_INET;
    sin->sin_port = htons(hp->port);
    addr.size_ = sizeof(sockaddr_in);
    return addr;
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&addr.storage_);
  if (inet_pton(AF_INET6, hp->host.c_str(), &sin6->sin6_addr) != 1) {
    return std::nullopt;
  }
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(hp->port);
  addr.size_ = sizeof(sockaddr_in6);
  return addr;
}

std::optional<SocketAddress> SocketAddress::from_sockaddr(const sockaddr* sa, socklen_t len) {
  SocketAddress addr;
  if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    std::memcpy(&addr.storage_, sa, sizeof(sockaddr_in));
    addr.size_ = sizeof(sockaddr_in);
    return addr;
  }
  if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    std::memcpy(&addr.storage_, sa, sizeof(sockaddr_in6));
    addr.size_ = sizeof(sockaddr_in6);
    return addr;
  }
  return std::nullopt;
}

std::uint16_t SocketAddress::port() const {
  if (is_v6()) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_port);
  }
  return ntohs(reinterpret_cast<const sockaddr_in*>(&storage_)->sin_port);
}

void SocketAddress::set_port(std::uint16_t port) {
  if (is_v6()) {
    reinterpret_cast<sockaddr_in6*>(&storage_)->sin6_port = htons(port);
  } else {
    reinterpret_cast<sockaddr_in*>(&storage_)->sin_port = htons(port);
  }
}

std::string SocketAddress::ip_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (is_v6()) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage_)->sin6_addr, buf,
              sizeof buf);
  } else if (size_ != 0) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage_)->sin_addr, buf, sizeof buf);
  }
  return buf;
}

std::string SocketAddress::to_string() const {
  if (size_ == 0) {
    return {};
  }
  if (is_v6()) {
    return "[" + ip_string() + "]:" + std::to_string(port());
  }
  return ip_string() + ":" + std::to_string(port());
}

}  // namespace ferry::core
