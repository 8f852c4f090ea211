#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "proxy/core/address.h"

namespace ferry::discovery::test {

// An application port on 127.0.0.1 that a test opens and closes: bound at
// construction (connects are refused), accepting once listen() is called
// (the kernel completes connects from the backlog; nothing reads).
class TestApp {
 public:
  TestApp() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin) != 0) {
      throw std::runtime_error("TestApp: bind failed");
    }
    socklen_t len = sizeof sin;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&sin), &len);
    port_ = ntohs(sin.sin_port);
  }
  ~TestApp() { ::close(fd_); }
  TestApp(const TestApp&) = delete;
  TestApp& operator=(const TestApp&) = delete;

  void listen() { ::listen(fd_, 128); }
  // Stops accepting: a fresh socket bound to the same port, not listening.
  void stop() {
    ::close(fd_);
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sin.sin_port = htons(port_);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
  }
  std::uint16_t port() const { return port_; }
  core::SocketAddress address() const {
    return *core::SocketAddress::parse("127.0.0.1:" + std::to_string(port_));
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

}  // namespace ferry::discovery::test
