#include "proxy/listen_sockets.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace ferry::proxy {
namespace {

using boost::system::error_code;
using boost::system::system_category;

error_code last_error() {
  return error_code(errno, system_category());
}

// A non-blocking, close-on-exec TCP socket for `address`'s family.
int new_socket(const core::SocketAddress& address, error_code& ec) {
  const int fd = ::socket(address.data()->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    ec = last_error();
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (address.is_v6()) {
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  }
  return fd;
}

// Binds without SO_REUSEPORT: fails with EADDRINUSE if any socket holds the
// port. Returns the port actually bound (the kernel's pick for port 0).
boost::system::result<std::uint16_t> probe_port(const core::SocketAddress& address) {
  error_code ec;
  const int fd = new_socket(address, ec);
  if (fd < 0) {
    return ec;
  }
  if (::bind(fd, address.data(), address.size()) != 0) {
    ec = last_error();
    ::close(fd);
    return ec;
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  ::close(fd);
  auto actual = core::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&bound), len);
  if (!actual) {
    return error_code(EAFNOSUPPORT, system_category());
  }
  return actual->port();
}

boost::system::result<ListenSockets> bind_group(const core::SocketAddress& address, unsigned count,
                                                int backlog) {
  std::vector<int> fds;
  for (unsigned i = 0; i < count; ++i) {
    error_code ec;
    const int fd = new_socket(address, ec);
    if (fd < 0) {
      for (int f : fds) {
        ::close(f);
      }
      return ec;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    if (::bind(fd, address.data(), address.size()) != 0 || ::listen(fd, backlog) != 0) {
      ec = last_error();
      ::close(fd);
      for (int f : fds) {
        ::close(f);
      }
      return ec;
    }
    fds.push_back(fd);
  }
  return ListenSockets(address, std::move(fds));
}

}  // namespace

ListenSockets::~ListenSockets() {
  close_all();
}

ListenSockets::ListenSockets(ListenSockets&& other) noexcept
    : address_(other.address_), fds_(std::move(other.fds_)) {
  other.fds_.clear();
}

ListenSockets& ListenSockets::operator=(ListenSockets&& other) noexcept {
  if (this != &other) {
    close_all();
    address_ = other.address_;
    fds_ = std::move(other.fds_);
    other.fds_.clear();
  }
  return *this;
}

int ListenSockets::release(std::size_t i) {
  const int fd = fds_.at(i);
  fds_[i] = -1;
  return fd;
}

void ListenSockets::close_all() {
  for (int fd : fds_) {
    if (fd >= 0) {
      ::close(fd);
    }
  }
  fds_.clear();
}

boost::system::result<ListenSockets> bind_listen_sockets(const core::SocketAddress& address,
                                                         unsigned count, int backlog) {
  // With port 0 another process may take the probed port before the group
  // binds it; pick again a few times rather than fail.
  constexpr int kAttempts = 8;
  error_code last;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto port = probe_port(address);
    if (!port) {
      return port.error();
    }
    core::SocketAddress bound = address;
    bound.set_port(*port);
    auto group = bind_group(bound, count, backlog);
    if (group || address.port() != 0 || group.error().value() != EADDRINUSE) {
      return group;
    }
    last = group.error();
  }
  return last;
}

}  // namespace ferry::proxy
