#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ferry::core {

// An IPv4 or IPv6 socket address, free of Asio so that policy code (filters/)
// can hold one. Text form: "1.2.3.4:80", "[::1]:80".
class SocketAddress {
 public:
  SocketAddress() = default;

  // Parses a numeric "IPv4:port" or "[IPv6]:port". Port 0 is accepted (it
  // means "pick one" for a listen address). nullopt for anything else,
  // including host names.
  static std::optional<SocketAddress> parse(std::string_view text);

  // From a raw sockaddr (AF_INET or AF_INET6); nullopt for other families.
  static std::optional<SocketAddress> from_sockaddr(const sockaddr* sa, socklen_t len);

  const sockaddr* data() const { return reinterpret_cast<const sockaddr*>(&storage_); }
  socklen_t size() const { return size_; }
  bool is_v6() const { return storage_.family == AF_INET6; }
  std::uint16_t port() const;
  void set_port(std::uint16_t port);

  // Canonical text form; equal addresses give equal strings.
  std::string to_string() const;
  // The IP without the port ("1.2.3.4", "::1").
  std::string ip_string() const;

  friend bool operator==(const SocketAddress& a, const SocketAddress& b) {
    return a.to_string() == b.to_string();
  }

 private:
  // Room for either family and no more: sockaddr_storage would take 128
  // bytes, and every Host and every discovered instance holds one of these.
  union Storage {
    sa_family_t family;  // the first member of both
    sockaddr_in v4;
    sockaddr_in6 v6;
  };
  Storage storage_{};
  socklen_t size_ = 0;
};

// Splits "host:port" or "[v6]:port" into its parts; nullopt when the port is
// missing, not a number, or above 65535. The host may be a name.
struct HostPort {
  std::string host;
  std::uint16_t port = 0;
  friend bool operator==(const HostPort&, const HostPort&) = default;
};
std::optional<HostPort> split_host_port(std::string_view text);

}  // namespace ferry::core
