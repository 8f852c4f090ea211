// The admin server's endpoints and protections (DESIGN.md "Admin", RELIABILITY SC-04).
#include <thread>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "tcp_support.h"
#include "tests/integration/support/proxy_process.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;

std::string config(const std::string& upstream) {
  return "admin: {address: 127.0.0.1:0}\n"
         "workers: 0\n"
         "listeners:\n"
         "  - {name: web, address: 127.0.0.1:0, cluster: echo}\n"
         "  - {name: raw, address: 127.0.0.1:0, protocol: tcp, cluster: echo}\n"
         "clusters:\n"
         "  - {name: echo, endpoints: [" +
         upstream + "]}\n";
}

class Admin : public ::testing::Test {
 protected:
  EchoServer echo_;
  ProxyProcess proxy_{{.config_yaml = config(echo_.address())}};
};

TEST_F(Admin, ReadyLiveAndServerInfo) {
  EXPECT_EQ(proxy_.admin_get("/ready").body, "LIVE\n");
  EXPECT_EQ(proxy_.admin_get("/live").status, 200);
  const auto info = boost::json::parse(proxy_.admin_get("/server_info").body).as_object();
  EXPECT_EQ(info.at("version").as_string(), FERRY_TEST_VERSION);
  EXPECT_EQ(info.at("state").as_string(), "live");
  // workers: 0 → the CPUs this process may use (never 0).
  cpu_set_t set;
  CPU_ZERO(&set);
  sched_getaffinity(0, sizeof set, &set);
  EXPECT_GE(info.at("workers").as_int64(), 1);
  EXPECT_LE(info.at("workers").as_int64(), CPU_COUNT(&set));
  EXPECT_GE(info.at("uptime_seconds").as_double(), 0.0);
}

TEST_F(Admin, ListenersClustersAndConfigAreJson) {
  const auto listeners = boost::json::parse(proxy_.admin_get("/listeners").body).as_array();
  ASSERT_EQ(listeners.size(), 2u);
  EXPECT_EQ(listeners[0].at("name").as_string(), "web");
  EXPECT_EQ(listeners[0].at("protocol").as_string(), "http");
  EXPECT_EQ(listeners[1].at("protocol").as_string(), "tcp");
  EXPECT_NE(listeners[0].at("address").as_string(), "127.0.0.1:0");  // the real port

  const auto clusters = boost::json::parse(proxy_.admin_get("/clusters").body).as_array();
  ASSERT_EQ(clusters.size(), 1u);
  const auto& endpoint = clusters[0].at("endpoints").as_array()[0].as_object();
  EXPECT_EQ(endpoint.at("address").as_string(), echo_.address());
  EXPECT_EQ(endpoint.at("health").as_string(), "unknown");
  EXPECT_EQ(endpoint.at("ejected").as_bool(), false);
  EXPECT_EQ(endpoint.at("active_requests").as_int64(), 0);

  const auto effective = boost::json::parse(proxy_.admin_get("/config").body).as_object();
  EXPECT_EQ(effective.at("listeners").as_array()[0].at("idle_timeout").as_string(), "5m");
  EXPECT_EQ(effective.at("listeners").as_array()[1].at("idle_timeout").as_string(), "1h");
}

TEST_F(Admin, MutationsOnlyByPost) {
  EXPECT_EQ(proxy_.admin_get("/drain").status, 405);
  EXPECT_EQ(proxy_.admin_get("/healthcheck/fail").status, 405);
  EXPECT_EQ(proxy_.admin_get("/ready").status, 200);  // nothing happened
  EXPECT_EQ(proxy_.admin_post("/healthcheck/fail").status, 200);
  EXPECT_EQ(proxy_.admin_get("/ready").status, 503);
  EXPECT_EQ(proxy_.admin_post("/healthcheck/ok").status, 200);
  EXPECT_EQ(proxy_.admin_get("/ready").status, 200);
  EXPECT_EQ(proxy_.admin_post("/logging?level=debug").status, 200);
  EXPECT_EQ(proxy_.admin_post("/logging?level=loud").status, 400);
  EXPECT_EQ(proxy_.admin_get("/nope").status, 404);
}

TEST_F(Admin, ForeignOriginAndRebindableHostAreRefused) {
  EXPECT_EQ(http_request(proxy_.admin(), "GET", "/config", {}, {{"Origin", "http://evil.example"}})
                .status,
            403);
  EXPECT_EQ(http_request(proxy_.admin(), "POST", "/healthcheck/fail", {},
                         {{"Origin", "http://evil.example"}})
                .status,
            403);
  EXPECT_EQ(proxy_.admin_get("/ready").status, 200);  // the forged POST did nothing
  EXPECT_EQ(
      http_request(proxy_.admin(), "GET", "/config", {}, {{"Host", "rebind.example:9901"}}).status,
      403);
  EXPECT_EQ(http_request(proxy_.admin(), "GET", "/ready", {},
                         {{"Origin", "http://127.0.0.1:9901"}, {"Host", "localhost:9901"}})
                .status,
            200);
}

TEST_F(Admin, MetricsPassPromtoolAfterTraffic) {
  Socket s = Socket::connect(proxy_.listener("raw"));
  EXPECT_EQ(exchange(s, "traffic"), "traffic");
  http_get(proxy_.listener("web"), "/");  // the echo upstream does not speak HTTP: 502 or 503
  const std::string text = proxy_.admin_get("/metrics").body;
  EXPECT_NE(text.find("ferry_build_info{version=\"" FERRY_TEST_VERSION "\"} 1"), std::string::npos);
  EXPECT_NE(text.find("ferry_endpoints{cluster=\"echo\",state=\"unknown\"} 1"), std::string::npos);
  const CommandResult check =
      run_command({require_tool("promtool"), "check", "metrics"}, 30s, {}, text);
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
}

TEST(AdminAddress, IdleFootprintIsSmall) {
  EchoServer echo;
  ProxyProcess proxy({.config_yaml = config(echo.address())});
  // A regression guard, not a benchmark (the benchmark measures the real
  // figure): an idle sidecar stays far below this. ASan's shadow memory and
  // quarantine multiply the footprint, hence its own bound.
#if defined(__SANITIZE_ADDRESS__)
  constexpr std::uint64_t kBound = 512u * 1024 * 1024;
#else
  constexpr std::uint64_t kBound = 32u * 1024 * 1024;
#endif
  EXPECT_LT(rss_bytes(proxy.process().pid()), kBound);
}

}  // namespace
}  // namespace ferry::test
