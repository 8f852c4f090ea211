// Hot reload (SIGHUP / POST /reload), RELIABILITY CF-04.
#include <signal.h>

#include <fstream>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "tcp_support.h"
#include "tests/integration/support/proxy_process.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;

std::string two_listeners(const std::string& second_name, const std::string& upstream_a,
                          const std::string& upstream_b) {
  return "admin: {address: 127.0.0.1:0}\n"
         "workers: 2\n"
         "listeners:\n"
         "  - {name: a, address: 127.0.0.1:0, protocol: tcp, cluster: one}\n"
         "  - {name: " +
         second_name +
         ", address: 127.0.0.1:0, protocol: tcp, cluster: two}\n"
         "clusters:\n"
         "  - {name: one, endpoints: [" +
         upstream_a +
         "]}\n"
         "  - {name: two, endpoints: [" +
         upstream_b + "]}\n";
}

void rewrite(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

std::vector<std::string> listener_names(ProxyProcess& proxy) {
  std::vector<std::string> names;
  const auto parsed = boost::json::parse(proxy.admin_get("/listeners").body);
  for (const auto& l : parsed.as_array()) {
    names.emplace_back(l.at("name").as_string());
  }
  return names;
}

TEST(Reload, InvalidFileChangesNothingAndIsCounted) {
  EchoServer echo;
  ProxyProcess proxy({.config_yaml = two_listeners("b", echo.address(), echo.address())});
  Socket held = Socket::connect(proxy.listener("a"));
  ASSERT_TRUE(held.send_all("1"));
  ASSERT_EQ(held.read_exactly(1, 5s), "1");
  const std::string before = proxy.admin_get("/config").body;

  rewrite(proxy.config_path(), "listeners:\n  - {name: a, idel_timeout: 5s}\n");
  proxy.process().signal(SIGHUP);
  EXPECT_TRUE(
      eventually([&] { return proxy.metric("ferry_config_updates_rejected_total") == 1; }, 5s));
  const HttpResponse by_post = proxy.admin_post("/reload");
  EXPECT_EQ(by_post.status, 400);
  EXPECT_NE(by_post.body.find("listeners[0].idel_timeout"), std::string::npos) << by_post.body;
  EXPECT_EQ(proxy.metric("ferry_config_updates_rejected_total"), 2);
  EXPECT_EQ(proxy.admin_get("/config").body, before);
  EXPECT_EQ(proxy.admin_get("/ready").status, 200);
  ASSERT_TRUE(held.send_all("2"));
  EXPECT_EQ(held.read_exactly(1, 5s), "2");
}

TEST(Reload, ListenersAreAddedAndRemovedWithoutTouchingTheOthers) {
  EchoServer echo;
  EchoServer other;
  ProxyProcess proxy({.config_yaml = two_listeners("b", echo.address(), echo.address())});
  const std::string a = proxy.listener("a");
  const std::string b = proxy.listener("b");
  Socket held = Socket::connect(a);
  ASSERT_TRUE(held.send_all("x"));
  ASSERT_EQ(held.read_exactly(1, 5s), "x");

  // b goes, c comes, and cluster `one` moves to another upstream.
  rewrite(proxy.config_path(), two_listeners("c", other.address(), echo.address()));
  const HttpResponse reply = proxy.admin_post("/reload");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(listener_names(proxy), (std::vector<std::string>{"a", "c"}));
  EXPECT_TRUE(eventually([&] { return !Socket::connect(b, 200ms).valid(); }, 5s));

  // The connection opened before the reload keeps its upstream...
  ASSERT_TRUE(held.send_all("y"));
  EXPECT_EQ(held.read_exactly(1, 5s), "y");
  // ...and a new one on `a` reaches the new upstream, on the same port.
  const int other_before = other.connections_accepted();
  Socket fresh = Socket::connect(a);
  EXPECT_EQ(exchange(fresh, "new"), "new");
  EXPECT_EQ(other.connections_accepted(), other_before + 1);

  const auto parsed = boost::json::parse(proxy.admin_get("/listeners").body);
  Socket via_c = Socket::connect(std::string(parsed.as_array()[1].at("address").as_string()));
  EXPECT_EQ(exchange(via_c, "through c"), "through c");
}

TEST(Reload, APortTakenElsewhereRejectsTheWholeReload) {
  EchoServer echo;
  ProxyProcess proxy({.config_yaml = two_listeners("b", echo.address(), echo.address())});
  std::string taken;
  const int fd = listen_ephemeral(&taken);
  const std::string config =
      "admin: {address: 127.0.0.1:0}\nworkers: 2\nlisteners:\n"
      "  - {name: a, address: 127.0.0.1:0, protocol: tcp, cluster: one}\n"
      "  - {name: b, address: 127.0.0.1:0, protocol: tcp, cluster: one}\n"
      "  - {name: d, address: " +
      taken +
      ", protocol: tcp, cluster: one}\n"
      "clusters:\n  - {name: one, endpoints: [" +
      echo.address() + "]}\n";
  rewrite(proxy.config_path(), config);
  const HttpResponse reply = proxy.admin_post("/reload");
  EXPECT_EQ(reply.status, 400);
  EXPECT_NE(reply.body.find("cannot listen on " + taken), std::string::npos) << reply.body;
  EXPECT_EQ(listener_names(proxy), (std::vector<std::string>{"a", "b"}));
  ::close(fd);
}

}  // namespace
}  // namespace ferry::test
