#include "proxy/listen_sockets.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace ferry::proxy {
namespace {

core::SocketAddress local_of(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  return *core::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&ss), len);
}

TEST(ListenSockets, PortZeroIsResolvedOnceForEveryWorker) {
  auto bound = bind_listen_sockets(*core::SocketAddress::parse("127.0.0.1:0"), 3, 16);
  ASSERT_TRUE(bound) << bound.error().message();
  EXPECT_NE(bound->address().port(), 0);
  ASSERT_EQ(bound->size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    const int fd = bound->release(i);
    EXPECT_EQ(local_of(fd).port(), bound->address().port());
    close(fd);
  }
}

TEST(ListenSockets, PortHeldWithReusePortByAnotherSocketIsRefused) {
  // Another process's listener with SO_REUSEPORT would let a plain
  // SO_REUSEPORT bind share the port silently; the probe must refuse it.
  const int other = socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  setsockopt(other, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  auto any = *core::SocketAddress::parse("127.0.0.1:0");
  ASSERT_EQ(bind(other, any.data(), any.size()), 0);
  ASSERT_EQ(listen(other, 16), 0);
  const auto taken = local_of(other);
  auto bound = bind_listen_sockets(taken, 2, 16);
  ASSERT_FALSE(bound);
  EXPECT_EQ(bound.error().value(), EADDRINUSE);
  close(other);
}

TEST(ListenSockets, Ipv6Loopback) {
  auto bound = bind_listen_sockets(*core::SocketAddress::parse("[::1]:0"), 1, 16);
  ASSERT_TRUE(bound) << bound.error().message();
  EXPECT_TRUE(bound->address().is_v6());
}

}  // namespace
}  // namespace ferry::proxy
