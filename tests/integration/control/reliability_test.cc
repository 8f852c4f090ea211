// RELIABILITY RG-01 (malformed requests) and RG-05 (watchers that vanish,
// 1000 idle watchers, slowloris) against the running binary.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tests/integration/control/control_support.h"

namespace ferry::test::control {
namespace {

std::string type_of(const HttpResponse& r) {
  const auto v = boost::json::parse(r.body);
  return std::string(v.at("__type").as_string());
}

TEST(Reliability, MalformedRequestsAre400AndCounted) {
  ControlProcess server({});
  const std::string a = server.address();
  struct Case {
    std::string name;
    std::string body;
  };
  const std::vector<Case> cases = {
      {"malformed", "{\"Name\":"},
      {"wrong type", R"({"Name":7})"},
      {"not an object", "[1,2]"},
      {"deep", std::string(100000, '[')},
      {"invalid utf-8", "{\"Name\":\"\xc3\x28\"}"},
      {"duplicate keys", R"({"Name":"a.local","Name":"b.local"})"},
  };
  for (const Case& c : cases) {
    const HttpResponse r = cloudmap_request(a, "CreateHttpNamespace", c.body);
    EXPECT_EQ(r.status, 400) << c.name << ": " << r.body;
    EXPECT_EQ(type_of(r), "InvalidInput") << c.name;
  }
  const HttpResponse unknown = cloudmap_request(a, "DropEverything", "{}");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(type_of(unknown), "UnknownOperationException");
  const HttpResponse no_target = http_request(a, "POST", "/", "{}");
  EXPECT_EQ(no_target.status, 400);
  EXPECT_EQ(type_of(no_target), "UnknownOperationException");
  // Over 1 MiB: 413 from the HTTP layer, before the API.
  const HttpResponse big = cloudmap_request(a, "CreateHttpNamespace",
                                            R"({"Name":")" + std::string(2 << 20, 'a') + "\"}");
  EXPECT_EQ(big.status, 413);
  EXPECT_EQ(http_get(a, "/nope").status, 404);
  EXPECT_EQ(http_request(a, "DELETE", "/ready").status, 405);
  // Still serving; nothing was created; every refusal was counted.
  EXPECT_TRUE(server.ready());
  const HttpResponse list = cloudmap_request(a, "ListNamespaces", "{}");
  EXPECT_EQ(list.body, R"({"Namespaces":[]})");
  EXPECT_EQ(
      server.metric(
          R"(ferry_control_api_requests_total{action="CreateHttpNamespace",outcome="InvalidInput"})"),
      6);
  EXPECT_EQ(
      server.metric(
          R"(ferry_control_api_requests_total{action="unknown",outcome="UnknownOperationException"})"),
      2);
  EXPECT_EQ(server.metric(R"(ferry_control_http_rejected_total{reason="body_too_large"})"), 1);
}

class Watchers : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(aws(server_.endpoint(), {"create-http-namespace", "--name", "w.local"}).exit_code, 0);
    const HttpResponse snapshot = http_get(server_.address(), "/v1/watch?namespace=w.local");
    ASSERT_EQ(snapshot.status, 200);
    const auto v = parse_json(snapshot.body);
    epoch_ = std::string(v.at("epoch").as_string());
    version_ = v.at("version").as_int64();
  }
  std::string watch_request(const std::string& timeout) const {
    return "GET /v1/watch?namespace=w.local&epoch=" + epoch_ +
           "&version=" + std::to_string(version_) + "&timeout=" + timeout +
           " HTTP/1.1\r\nHost: x\r\n\r\n";
  }

  ControlProcess server_{{}};
  std::string epoch_;
  std::int64_t version_ = 0;
};

TEST_F(Watchers, AThousandIdleWatchersAreCheapAndLeaveNoTrace) {
  const int baseline = server_.fd_count();
  std::vector<Socket> watchers;
  for (int i = 0; i < 1000; ++i) {
    watchers.push_back(Socket::connect(server_.address()));
    ASSERT_TRUE(watchers.back().valid()) << i;
    ASSERT_TRUE(watchers.back().send_all(watch_request("3s")));
  }
  ASSERT_TRUE(eventually([&] { return server_.metric("ferry_control_watchers") == 1000; }))
      << server_.metric("ferry_control_watchers");
  EXPECT_GE(server_.fd_count(), baseline + 990);  // a kept-alive client may come and go
  // The API stays fast for everyone else meanwhile.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(cloudmap_request(server_.address(), "ListNamespaces", "{}").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  // Each gets its 304 at the timeout; closing them returns every fd.
  int not_modified = 0;
  for (Socket& s : watchers) {
    not_modified += s.read_some(std::chrono::seconds(10)).rfind("HTTP/1.1 304", 0) == 0;
  }
  EXPECT_EQ(not_modified, 1000);
  watchers.clear();
  EXPECT_TRUE(eventually([&] { return server_.fd_count() <= baseline; }, std::chrono::seconds(15)))
      << server_.fd_count() << " vs " << baseline;
  EXPECT_EQ(server_.metric("ferry_control_watchers"), 0);
}

TEST_F(Watchers, AWatcherThatVanishesMidResponseLeavesNoTrace) {
  // A large snapshot: 200 instances with 800-byte attributes (~200 KB).
  const HttpResponse ns = http_get(server_.address(), "/v1/watch?namespace=w.local");
  const std::string ns_id = [&] {
    const HttpResponse list = cloudmap_request(server_.address(), "ListNamespaces", "{}");
    return std::string(parse_json(list.body).at("Namespaces").at(0).at("Id").as_string());
  }();
  const HttpResponse svc = cloudmap_request(server_.address(), "CreateService",
                                            R"({"Name":"big","NamespaceId":")" + ns_id + "\"}");
  const std::string service(parse_json(svc.body).at("Service").at("Id").as_string());
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(cloudmap_request(server_.address(), "RegisterInstance",
                               R"({"ServiceId":")" + service + R"(","InstanceId":"i)" +
                                   std::to_string(i) + R"(","Attributes":{"pad":")" +
                                   std::string(800, 'x') + "\"}}")
                  .status,
              200);
  }
  const int baseline = server_.fd_count();
  for (int round = 0; round < 20; ++round) {
    Socket s = Socket::connect(server_.address());
    s.send_all("GET /v1/watch?namespace=w.local HTTP/1.1\r\nHost: x\r\n\r\n");
    s.read_exactly(100, std::chrono::seconds(2));  // the response has started
    s.close();                                     // and the client is gone
  }
  EXPECT_TRUE(eventually([&] { return server_.fd_count() <= baseline; }, std::chrono::seconds(15)));
  EXPECT_TRUE(server_.ready());
  (void)ns;
}

TEST(Reliability, DrippedHeadersAreCutAtTheDeadline) {
  ControlProcess::Options options;
  options.extra = {"--header-timeout", "1s"};
  ControlProcess server(options);
  const int baseline = server.fd_count();
  std::vector<Socket> slow;
  for (int i = 0; i < 50; ++i) {
    slow.push_back(Socket::connect(server.address()));
    slow.back().send_all("GET /ready HTTP/1.1\r\nHo");
  }
  // (The baseline may still hold the readiness probe's connection.)
  ASSERT_TRUE(eventually([&] { return server.fd_count() >= baseline + 45; }));
  // Dripping bytes does not extend the absolute header deadline.
  for (int tick = 0; tick < 3; ++tick) {
    for (Socket& s : slow) {
      s.send_all("s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the drip itself, not a wait
  }
  // A legitimate request meanwhile is served.
  EXPECT_EQ(http_get(server.address(), "/ready").status, 200);
  int closed = 0;
  for (Socket& s : slow) {
    closed += s.wait_closed(std::chrono::seconds(5));
  }
  EXPECT_EQ(closed, 50);
  slow.clear();
  EXPECT_TRUE(eventually([&] { return server.fd_count() <= baseline; }))
      << server.fd_count() << " vs " << baseline << "\n"
      << run_command({"ls", "-l", "/proc/" + std::to_string(server.server_pid()) + "/fd"}).out;
}

}  // namespace
}  // namespace ferry::test::control
