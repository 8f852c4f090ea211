#include "proxy/core/address.h"

#include <gtest/gtest.h>

namespace ferry::core {
namespace {

TEST(SocketAddress, ParsesIpv4AndIpv6) {
  auto v4 = SocketAddress::parse("127.0.0.1:8080");
  ASSERT_TRUE(v4);
  EXPECT_FALSE(v4->is_v6());
  EXPECT_EQ(v4->port(), 8080);
  EXPECT_EQ(v4->to_string(), "127.0.0.1:8080");
  auto v6 = SocketAddress::parse("[::1]:0");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->is_v6());
  EXPECT_EQ(v6->to_string(), "[::1]:0");
  EXPECT_EQ(v6->ip_string(), "::1");
}

TEST(SocketAddress, RejectsNamesAndBadPorts) {
  for (const char* bad : {"localhost:80", "1.2.3.4", "1.2.3.4:", "1.2.3.4:70000", "::1:80", "[::1]",
                          "[::1]80", "1.2.3.4:-1", "1.2.3.4:8a", "999.1.1.1:80", ""}) {
    EXPECT_FALSE(SocketAddress::parse(bad)) << bad;
  }
}

TEST(SplitHostPort, KeepsNames) {
  auto hp = split_host_port("backend.internal:8080");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "backend.internal");
  EXPECT_EQ(hp->port, 8080);
  auto v6 = split_host_port("[fe80::1]:443");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "fe80::1");
  EXPECT_FALSE(split_host_port("noport"));
  EXPECT_FALSE(split_host_port(":80"));
}

}  // namespace
}  // namespace ferry::core
