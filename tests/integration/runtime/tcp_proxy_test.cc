// ferry-proxy as a TCP proxy (`protocol: tcp` listeners), the real binary on
// loopback against in-test upstreams.
#include <poll.h>
#include <sys/socket.h>

#include <filesystem>
#include <sstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tcp_support.h"
#include "tests/integration/support/proxy_process.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;

std::string tcp_config(const std::string& endpoints, const std::string& extra_listener = "",
                       const std::string& extra_cluster = "") {
  return "admin: {address: 127.0.0.1:0}\n"
         "workers: 2\n"
         "listeners:\n"
         "  - {name: tcp, address: 127.0.0.1:0, protocol: tcp, cluster: echo" +
         extra_listener +
         "}\n"
         "clusters:\n"
         "  - {name: echo, endpoints: [" +
         endpoints + "]" + extra_cluster + "}\n";
}

void check_echo_connections(ProxyProcess& proxy, int connections, std::size_t max_size) {
  std::vector<std::thread> threads;
  std::vector<int> ok(connections, 0);
  for (int i = 0; i < connections; ++i) {
    threads.emplace_back([&, i] {
      const std::size_t size = 1 + (static_cast<std::size_t>(i) * 7919u * 104729u) % max_size;
      const std::string payload = random_bytes(size, static_cast<std::uint64_t>(i) + 1);
      Socket s = Socket::connect(proxy.listener("tcp"));
      if (!s.valid()) {
        return;
      }
      ok[i] = exchange(s, payload) == payload ? 1 : 0;
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  int good = 0;
  for (int v : ok) {
    good += v;
  }
  EXPECT_EQ(good, connections);
}

TEST(TcpProxy, ConcurrentConnectionsCarryEveryByte) {
  EchoServer echo;
  ProxyProcess proxy({.config_yaml = tcp_config(echo.address())});
  check_echo_connections(proxy, 50, 256 * 1024);
  EXPECT_TRUE(eventually([&] {
    return proxy.metric("ferry_downstream_connections_total{listener=\"tcp\"}") == 50 &&
           proxy.metric("ferry_downstream_connections_active{listener=\"tcp\"}") == 0;
  }));
  // Every byte counted both ways (the payloads are echoed in full).
  const double in = proxy.metric("ferry_bytes_received_total{listener=\"tcp\"}");
  EXPECT_GT(in, 0);
  EXPECT_EQ(in, proxy.metric("ferry_bytes_sent_total{listener=\"tcp\"}"));
}

TEST(TcpProxy, SlowTwoHundredConnectionsWithPayloadsUpTo4MiB) {
  EchoServer echo;
  ProxyProcess proxy({.config_yaml = tcp_config(echo.address())});
  check_echo_connections(proxy, 200, 4 * 1024 * 1024);
}

// The client half-closes; the upstream answers after seeing that FIN.
TEST(TcpProxy, ClientHalfCloseReachesTheUpstreamAndTheReplyStillFlows) {
  std::string upstream;
  const int lfd = listen_ephemeral(&upstream);
  std::thread server([lfd] {
    pollfd p{lfd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) {
      return;
    }
    Socket c(::accept(lfd, nullptr, nullptr));
    const std::string got = c.read_all(10s);  // until the client's FIN arrives
    c.send_all("after-fin:" + got);
    c.shutdown_write();
    c.read_all(2s);
  });
  ProxyProcess proxy({.config_yaml = tcp_config(upstream)});
  Socket s = Socket::connect(proxy.listener("tcp"));
  ASSERT_TRUE(s.send_all("question"));
  s.shutdown_write();
  EXPECT_EQ(s.read_all(10s), "after-fin:question");
  server.join();
  ::close(lfd);
}

// The upstream half-closes first; the client can still send.
TEST(TcpProxy, UpstreamHalfCloseReachesTheClientAndTheClientCanStillSend) {
  std::string upstream;
  const int lfd = listen_ephemeral(&upstream);
  std::string upstream_got;
  std::thread server([lfd, &upstream_got] {
    pollfd p{lfd, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) {
      return;
    }
    Socket c(::accept(lfd, nullptr, nullptr));
    c.send_all("banner");
    c.shutdown_write();
    upstream_got = c.read_all(10s);
  });
  ProxyProcess proxy({.config_yaml = tcp_config(upstream)});
  Socket s = Socket::connect(proxy.listener("tcp"));
  EXPECT_EQ(s.read_all(10s), "banner");  // ends with the upstream's FIN
  ASSERT_TRUE(s.send_all("still talking"));
  s.shutdown_write();
  server.join();
  EXPECT_EQ(upstream_got, "still talking");
  ::close(lfd);
}

TEST(TcpProxy, UnreachableUpstreamClosesWithinTwiceTheConnectTimeout) {
  Blackhole first;
  Blackhole second;
  ProxyProcess proxy({.config_yaml = tcp_config(first.address() + ", " + second.address(), "",
                                                ", connect_timeout: 300ms")});
  Socket s = Socket::connect(proxy.listener("tcp"));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(s.wait_closed(5s));
  const auto took = std::chrono::steady_clock::now() - start;
  // One failover: two connect timeouts, then the client is closed.
  EXPECT_GE(took, 550ms);
  EXPECT_LT(took, 3s);
  EXPECT_EQ(proxy.metric("ferry_upstream_connect_failures_total{cluster=\"echo\"}"), 2);
}

TEST(TcpProxy, RefusedUpstreamFailsOverToTheLiveOne) {
  EchoServer echo;
  ProxyProcess proxy({.config_yaml = tcp_config(refused_address() + ", " + echo.address())});
  for (int i = 0; i < 4; ++i) {
    Socket s = Socket::connect(proxy.listener("tcp"));
    EXPECT_EQ(exchange(s, "ping"), "ping");
  }
  EXPECT_GE(proxy.metric("ferry_upstream_connect_failures_total{cluster=\"echo\"}"), 1);
}

TEST(TcpProxy, Ipv6Endpoint) {
  EchoServer echo(/*ipv6=*/true);
  // "[::1]:port" must be quoted in YAML (unquoted brackets start a list).
  ProxyProcess proxy({.config_yaml = tcp_config("\"" + echo.address() + "\"")});
  Socket s = Socket::connect(proxy.listener("tcp"));
  EXPECT_EQ(exchange(s, "over v6"), "over v6");
}

TEST(TcpProxy, DnsNamedEndpointIsResolvedAndShownInClusters) {
  EchoServer echo;
  const std::string port = echo.address().substr(echo.address().rfind(':') + 1);
  ProxyProcess proxy({.config_yaml = tcp_config("\"localhost:" + port + "\"")});
  Socket s = Socket::connect(proxy.listener("tcp"));
  EXPECT_EQ(exchange(s, "by name"), "by name");
  const std::string clusters = proxy.admin_get("/clusters").body;
  EXPECT_NE(clusters.find("\"hostname\":\"localhost\""), std::string::npos) << clusters;
}

TEST(TcpProxy, ListenerConnectionCapClosesTheExcessAtOnce) {
  EchoServer echo;
  ProxyProcess proxy({.config_yaml = tcp_config(echo.address(), ", max_connections: 3")});
  std::vector<Socket> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(Socket::connect(proxy.listener("tcp")));
    ASSERT_TRUE(held.back().send_all("x"));
    ASSERT_EQ(held.back().read_exactly(1, 5s), "x");
  }
  Socket extra = Socket::connect(proxy.listener("tcp"));
  EXPECT_TRUE(extra.wait_closed(5s));
  EXPECT_TRUE(eventually([&] {
    return proxy.metric("ferry_downstream_connections_overflow_total{listener=\"tcp\"}") == 1;
  }));
  held.clear();
  EXPECT_TRUE(eventually(
      [&] { return proxy.metric("ferry_downstream_connections_active{listener=\"tcp\"}") == 0; }));
  Socket again = Socket::connect(proxy.listener("tcp"));
  EXPECT_EQ(exchange(again, "room again"), "room again");
}

int open_descriptors(int pid) {
  int n = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    ++n;
  }
  return n;
}

TEST(TcpProxy, OutOfDescriptorsNeverSpinsAndRecovers) {
  EchoServer echo;
  // UBSan's vptr check validates memory through a pipe: without a free
  // descriptor it reports every virtual call as an invalid vptr (and cannot
  // symbolize, so a suppression cannot match). In sanitizer builds this
  // process reports without halting, and the end of the test checks that
  // nothing but those reports appeared. No effect on release builds.
  ProxyProcess proxy({.config_yaml = tcp_config(echo.address()),
                      .env = {{"UBSAN_OPTIONS", "print_stacktrace=0:halt_on_error=0"}}});
  // The limit is set relative to what the running proxy already holds, so the
  // test does not depend on how many descriptors its start-up needed: room
  // for about a dozen proxied connections (two descriptors each).
  const int pid = proxy.process().pid();
  const int baseline = open_descriptors(pid);
  const std::string limit = std::to_string(baseline + 24);
  const CommandResult lowered = run_command(
      {require_tool("prlimit"), "--pid", std::to_string(pid), "--nofile=" + limit + ":" + limit});
  ASSERT_EQ(lowered.exit_code, 0) << lowered.err;
  const auto diagnose = [&] {
    if (!proxy.process().running()) {
      return "proxy exited with " + std::to_string(proxy.process().wait(1s).value_or(-1)) +
             "; log:\n" + proxy.logs();
    }
    return "proxy holds " + std::to_string(open_descriptors(pid)) + " descriptors (baseline " +
           std::to_string(baseline) + ", limit " + limit + "); log:\n" + proxy.logs();
  };
  std::vector<Socket> held;
  for (int i = 0; i < 40; ++i) {
    held.push_back(Socket::connect(proxy.listener("tcp")));
    held.back().send_all("x");
  }
  // Past the descriptor limit connections are closed at once. Seen from the
  // client side: the admin server cannot accept a /metrics request either
  // while the process is out of descriptors.
  const auto refused = [&] {
    for (Socket& s : held) {
      pollfd p{s.fd(), POLLIN, 0};
      if (::poll(&p, 1, 0) == 1) {
        char c;
        if (::recv(s.fd(), &c, 1, MSG_PEEK | MSG_DONTWAIT) <= 0) {
          return true;  // EOF or reset without an echo
        }
      }
    }
    return false;
  };
  EXPECT_TRUE(eventually(refused)) << diagnose();
  // With connections still knocking, the acceptor must not busy-loop.
  const double before = cpu_seconds(pid);
  std::this_thread::sleep_for(1s);  // measuring an interval, not waiting for a condition
  EXPECT_LT(cpu_seconds(pid) - before, 0.3);
  held.clear();
  EXPECT_TRUE(eventually([&] {
    return proxy.metric("ferry_downstream_connections_overflow_total{listener=\"tcp\"}") > 0;
  })) << diagnose();
  // Connections the client gave up on may still sit in the kernel's accept
  // queue and briefly take descriptors when accepted; new ones succeed once
  // those are gone.
  EXPECT_TRUE(eventually([&] {
    Socket again = Socket::connect(proxy.listener("tcp"));
    return exchange(again, "recovered", 2s) == "recovered";
  })) << diagnose();
  std::istringstream log(proxy.logs());
  for (std::string line; std::getline(log, line);) {
    if (line.find("runtime error:") != std::string::npos) {
      EXPECT_NE(line.find("which does not point to an object of type"), std::string::npos) << line;
    }
  }
}

TEST(TcpProxy, IdleTimeoutClosesBothSides) {
  EchoServer echo;
  ProxyProcess proxy({.config_yaml = tcp_config(echo.address(), ", idle_timeout: 500ms")});
  Socket s = Socket::connect(proxy.listener("tcp"));
  ASSERT_TRUE(s.send_all("x"));
  ASSERT_EQ(s.read_exactly(1, 5s), "x");
  EXPECT_TRUE(s.wait_closed(5s));
}

TEST(TcpProxy, APortHeldByAnotherProcessIsAStartupError) {
  EchoServer echo;
  ProxyProcess first({.config_yaml = tcp_config(echo.address())});
  const std::string taken = first.listener("tcp");
  TempDir dir;
  const std::string config =
      dir.write("second.yaml",
                "admin: {address: 127.0.0.1:0}\nlisteners:\n  - {name: tcp, address: " + taken +
                    ", protocol: tcp, cluster: echo}\nclusters:\n  - {name: echo, "
                    "endpoints: [" +
                    echo.address() + "]}\n");
  const CommandResult second = run_command({bin_dir() + "/ferry-proxy", "--config", config}, 10s);
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("cannot listen on " + taken), std::string::npos) << second.err;
  // The first one still serves.
  Socket s = Socket::connect(taken);
  EXPECT_EQ(exchange(s, "still mine"), "still mine");
}

}  // namespace
}  // namespace ferry::test
