// DESIGN.md's drain sequence, on the real binary.
#include <signal.h>
#include <atomic>

#include <thread>

#include <gtest/gtest.h>

#include "tcp_support.h"
#include "tests/integration/support/proxy_process.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;

std::string drain_config(const std::string& upstream, const std::string& drain) {
  return "admin: {address: 127.0.0.1:0}\n"
         "workers: 2\n"
         "drain: " +
         drain +
         "\n"
         "listeners:\n"
         "  - {name: in, address: 127.0.0.1:0, protocol: tcp, cluster: echo}\n"
         "  - {name: out, address: 127.0.0.1:0, protocol: tcp, direction: egress, cluster: echo}\n"
         "clusters:\n"
         "  - {name: echo, endpoints: [" +
         upstream + "]}\n";
}

TEST(Drain, SigtermFinishesTheTransferInFlightServesThePropagationWindowAndExitsZero) {
  EchoServer echo;
  ProxyProcess proxy(
      {.config_yaml = drain_config(echo.address(), "{propagation_delay: 1s, timeout: 15s}")});
  const std::string ingress = proxy.listener("in");
  const std::string egress = proxy.listener("out");

  // A long transfer: data trickles both ways for ~2.5 s.
  Socket long_one = Socket::connect(ingress);
  ASSERT_TRUE(long_one.valid());
  std::string echoed;
  std::atomic<bool> flowing{false};
  std::thread slow([&] {
    for (int i = 0; i < 25; ++i) {
      long_one.send_all("chunk" + std::to_string(i) + ";");
      echoed += long_one.read_some(5s);
      flowing = true;
      std::this_thread::sleep_for(100ms);  // pacing the client, not waiting for a condition
    }
    long_one.shutdown_write();
    echoed += long_one.read_all(10s);
  });
  // The transfer is under way (a first echo came back) before the signal.
  EXPECT_TRUE(eventually([&] { return flowing.load(); }, 5s));
  proxy.process().signal(SIGTERM);

  // Step 1: /ready fails at once.
  EXPECT_TRUE(eventually([&] { return proxy.admin_get("/ready").status == 503; }, 2s));
  // Step 2: during propagation_delay new ingress connections are still served.
  {
    Socket during = Socket::connect(ingress);
    ASSERT_TRUE(during.valid());
    EXPECT_EQ(exchange(during, "during propagation"), "during propagation");
  }
  // Step 3: afterwards ingress refuses new connections, egress still accepts.
  EXPECT_TRUE(eventually([&] { return !Socket::connect(ingress, 200ms).valid(); }, 5s));
  {
    Socket late = Socket::connect(egress);
    ASSERT_TRUE(late.valid());
    EXPECT_EQ(exchange(late, "egress while draining"), "egress while draining");
  }
  slow.join();
  std::string expected;
  for (int i = 0; i < 25; ++i) {
    expected += "chunk" + std::to_string(i) + ";";
  }
  EXPECT_EQ(echoed, expected);
  // Step 4: nothing in flight any more → exit 0, well before drain.timeout.
  EXPECT_EQ(proxy.process().wait(10s), 0) << proxy.logs();
}

TEST(Drain, SigintSkipsThePropagationDelay) {
  EchoServer echo;
  ProxyProcess proxy(
      {.config_yaml = drain_config(echo.address(), "{propagation_delay: 30s, timeout: 60s}")});
  const auto start = std::chrono::steady_clock::now();
  proxy.process().signal(SIGINT);
  EXPECT_EQ(proxy.process().wait(10s), 0);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(Drain, TimeoutCutsOffWorkThatNeverEnds) {
  EchoServer echo;
  ProxyProcess proxy(
      {.config_yaml = drain_config(echo.address(), "{propagation_delay: 0s, timeout: 1s}")});
  // A connection that stays open forever keeps the drain from completing.
  Socket open_one = Socket::connect(proxy.listener("in"));
  ASSERT_TRUE(open_one.send_all("y"));
  ASSERT_EQ(open_one.read_exactly(1, 5s), "y");
  const auto start = std::chrono::steady_clock::now();
  proxy.process().signal(SIGTERM);
  EXPECT_EQ(proxy.process().wait(10s), 0);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 5s);
}

TEST(Drain, AdminDrainStopsIngressAndWaitsForASignalToExit) {
  EchoServer echo;
  ProxyProcess proxy(
      {.config_yaml = drain_config(echo.address(), "{propagation_delay: 0s, timeout: 10s}")});
  const std::string ingress = proxy.listener("in");
  EXPECT_EQ(proxy.admin_post("/drain").status, 200);
  EXPECT_EQ(proxy.admin_get("/ready").status, 503);
  EXPECT_TRUE(eventually([&] { return !Socket::connect(ingress, 200ms).valid(); }, 5s));
  EXPECT_FALSE(proxy.process().wait(500ms).has_value());  // still running
  proxy.process().signal(SIGTERM);
  EXPECT_EQ(proxy.process().wait(10s), 0);
}

}  // namespace
}  // namespace ferry::test
