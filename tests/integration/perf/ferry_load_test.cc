// ferry-load, the real binary, against real peers on loopback.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <string>
#include <thread>

#include <boost/json.hpp>

#include "test_peers.h"

namespace ferry::perf::testing {
namespace {

namespace json = boost::json;

std::uint64_t count(const json::value& v) {
  return json::value_to<std::uint64_t>(v);
}
double number(const json::value& v) {
  return v.to_number<double>();
}

std::string url(std::uint16_t port, const std::string& path = "/") {
  return "http://127.0.0.1:" + std::to_string(port) + path;
}

// The invariants every report must satisfy, whatever the target did.
void expect_coherent(const json::value& report) {
  ASSERT_TRUE(report.is_object()) << "no JSON report";
  const json::object& r = report.as_object();
  const std::uint64_t requests = count(r.at("requests"));
  const json::object& status = r.at("status").as_object();
  std::uint64_t by_status = count(status.at("other"));
  for (const char* cls : {"1xx", "2xx", "3xx", "4xx", "5xx"}) {
    by_status += count(status.at(cls));
  }
  EXPECT_EQ(by_status, requests) << "status classes do not add up to requests";
  const json::object& errors = r.at("errors").as_object();
  EXPECT_EQ(count(errors.at("status_4xx")), count(status.at("4xx")));
  EXPECT_EQ(count(errors.at("status_5xx")), count(status.at("5xx")));
  for (const char* kind : {"connect", "reset", "timeout", "protocol"}) {
    EXPECT_TRUE(errors.at(kind).is_number()) << kind;
  }
  const double duration = number(r.at("duration_seconds"));
  EXPECT_GT(duration, 0);
  EXPECT_NEAR(number(r.at("rps")), static_cast<double>(requests) / duration, 1e-6);
  const json::object& latency = r.at("latency_seconds").as_object();
  double previous = number(latency.at("min"));
  for (const char* p : {"p50", "p90", "p99", "p999", "p9999", "max"}) {
    const double value = number(latency.at(p));
    EXPECT_LE(previous, value) << p << " is below the percentile before it";
    previous = value;
  }
  if (requests > 0) {
    EXPECT_GT(number(latency.at("min")), 0);
  }
  EXPECT_GE(number(r.at("cpu_seconds").at("user")), 0);
  EXPECT_GE(number(r.at("cpu_seconds").at("system")), 0);
}

TEST(FerryLoad, Http2SmokeRunGivesACoherentReport) {
  NginxPeer nginx;
  const LoadOutcome out = run_ferry_load({"--url", url(nginx.h2c_port()), "--http2", "--streams",
                                          "8", "-c", "4", "--duration", "1s", "--warmup", "200ms"});
  ASSERT_EQ(out.exit_code, 0) << out.output;
  expect_coherent(out.report);
  const json::object& r = out.report.as_object();
  EXPECT_GT(count(r.at("requests")), 100u) << out.output;
  EXPECT_EQ(count(r.at("status").at("2xx")), count(r.at("requests")));
  for (const char* kind : {"connect", "reset", "timeout", "protocol"}) {
    EXPECT_EQ(count(r.at("errors").at(kind)), 0u) << kind;
  }
  EXPECT_EQ(r.at("settings").at("protocol").as_string(), "h2c");
  EXPECT_EQ(count(r.at("connections_opened")), 4u);
}

TEST(FerryLoad, Http1SmokeRunGivesACoherentReport) {
  NginxPeer nginx;
  const LoadOutcome out = run_ferry_load(
      {"--url", url(nginx.http1_port()), "-c", "8", "--duration", "1s", "--warmup", "200ms"});
  ASSERT_EQ(out.exit_code, 0) << out.output;
  expect_coherent(out.report);
  const json::object& r = out.report.as_object();
  EXPECT_GT(count(r.at("requests")), 100u) << out.output;
  EXPECT_EQ(count(r.at("status").at("2xx")), count(r.at("requests")));
  for (const char* kind : {"connect", "reset", "timeout", "protocol"}) {
    EXPECT_EQ(count(r.at("errors").at(kind)), 0u) << kind;
  }
  EXPECT_EQ(r.at("settings").at("protocol").as_string(), "http/1.1");
  EXPECT_EQ(count(r.at("connections_opened")), 8u);
  // 12-byte body plus nginx's head: more than a body's worth per response.
  EXPECT_GT(count(r.at("bytes_received")), count(r.at("requests")) * 12);
}

TEST(FerryLoad, CountsStatusErrorsByClass) {
  NginxPeer nginx;
  const LoadOutcome out = run_ferry_load({"--url", url(nginx.h2c_port(), "/missing"), "--http2",
                                          "-c", "2", "--duration", "500ms", "--warmup", "0s"});
  ASSERT_EQ(out.exit_code, 0) << out.output;
  expect_coherent(out.report);
  const json::object& r = out.report.as_object();
  EXPECT_GT(count(r.at("status").at("4xx")), 0u);
  EXPECT_EQ(count(r.at("status").at("4xx")), count(r.at("requests")));
  EXPECT_EQ(count(r.at("errors").at("status_4xx")), count(r.at("requests")));
}

void expect_rate_held(bool http2) {
  NginxPeer nginx;
  std::vector<std::string> args = {"--url",      url(http2 ? nginx.h2c_port() : nginx.http1_port()),
                                   "-c",         "8",
                                   "--rate",     "2000",
                                   "--duration", "2s",
                                   "--warmup",   "300ms"};
  if (http2) {
    args.push_back("--http2");
  }
  const LoadOutcome out = run_ferry_load(args);
  ASSERT_EQ(out.exit_code, 0) << out.output;
  expect_coherent(out.report);
  // Every request intended in the window is counted (answered or an
  // error), so the figure does not depend on how fast this machine is.
  EXPECT_NEAR(number(out.report.at("rps")), 2000.0, 40.0) << out.output;
  EXPECT_EQ(count(out.report.at("errors").at("timeout")), 0u);
}

TEST(FerryLoad, OpenLoopHoldsItsRateWithinTwoPercentHttp1) {
  expect_rate_held(false);
}
TEST(FerryLoad, OpenLoopHoldsItsRateWithinTwoPercentHttp2) {
  expect_rate_held(true);
}

void expect_stall_in_tail(bool http2) {
  NginxPeer nginx;
  std::atomic<bool> stalled{false};
  // Stop the (single-process) server for 200 ms in the middle of the
  // window. The sleeps are the fault itself, not a wait for a condition.
  std::thread staller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    ::kill(nginx.pid(), SIGSTOP);
    stalled = true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ::kill(nginx.pid(), SIGCONT);
  });
  std::vector<std::string> args = {"--url",      url(http2 ? nginx.h2c_port() : nginx.http1_port()),
                                   "-c",         "4",
                                   "--rate",     "1000",
                                   "--duration", "2s",
                                   "--warmup",   "200ms"};
  if (http2) {
    args.push_back("--http2");
  }
  const LoadOutcome out = run_ferry_load(args);
  staller.join();
  ASSERT_TRUE(stalled);
  ASSERT_EQ(out.exit_code, 0) << out.output;
  expect_coherent(out.report);
  const json::object& latency = out.report.at("latency_seconds").as_object();
  // ~200 of ~2000 requests were intended during the stall and waited up to
  // 200 ms: the p99 sits in the stall. A closed-loop or send-time
  // measurement would show it in one request per connection only.
  EXPECT_GT(number(latency.at("p99")), 0.150) << out.output;
  EXPECT_GT(number(latency.at("max")), 0.190) << out.output;
  EXPECT_LT(number(latency.at("p50")), 0.100) << out.output;
}

TEST(FerryLoad, OpenLoopReportsAServerStallInTheTailHttp1) {
  expect_stall_in_tail(false);
}
TEST(FerryLoad, OpenLoopReportsAServerStallInTheTailHttp2) {
  expect_stall_in_tail(true);
}

TEST(FerryLoad, ConnectFailuresAreCountedAndTheRunStillSucceeds) {
  const std::uint16_t closed = free_port();  // nothing listens there
  const LoadOutcome out = run_ferry_load(
      {"--url", url(closed), "--http2", "-c", "2", "--duration", "300ms", "--warmup", "0s"});
  ASSERT_EQ(out.exit_code, 0) << out.output;
  expect_coherent(out.report);
  EXPECT_GT(count(out.report.at("errors").at("connect")), 0u);
  EXPECT_EQ(count(out.report.at("requests")), 0u);
}

// A listening socket nobody accepts on: the kernel completes handshakes
// into the backlog, and no byte ever comes back.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(address);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    ::listen(fd_, 64);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &len);
    port_ = ntohs(address.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  std::uint16_t port() const { return port_; }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

TEST(FerryLoad, RequestsWithoutAnswerTimeOut) {
  SilentListener silent;
  for (bool http2 : {false, true}) {
    std::vector<std::string> args = {"--url", url(silent.port()), "-c",    "2",        "--timeout",
                                     "100ms", "--duration",       "600ms", "--warmup", "0s"};
    if (http2) {
      args.push_back("--http2");
    }
    const LoadOutcome out = run_ferry_load(args);
    ASSERT_EQ(out.exit_code, 0) << out.output;
    expect_coherent(out.report);
    EXPECT_GT(count(out.report.at("errors").at("timeout")), 0u) << out.output;
    EXPECT_EQ(count(out.report.at("requests")), 0u);
  }
}

TEST(FerryLoad, ConnectionsClosedMidRequestCountAsResets) {
  SilentListener listener;
  std::atomic<bool> stop{false};
  // Accept and close at once, after the request was sent.
  std::thread closer([&] {
    while (!stop) {
      const int client = ::accept4(listener.fd(), nullptr, nullptr, SOCK_NONBLOCK);
      if (client >= 0) {
        char buffer[256];
        eventually([&] { return ::recv(client, buffer, sizeof(buffer), 0) > 0 || stop; },
                   std::chrono::seconds(2));
        ::close(client);
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
    }
  });
  ::fcntl(listener.fd(), F_SETFL, O_NONBLOCK);
  const LoadOutcome out = run_ferry_load({"--url", url(listener.port()), "--http2", "-c", "1",
                                          "--duration", "500ms", "--warmup", "0s"});
  stop = true;
  closer.join();
  ASSERT_EQ(out.exit_code, 0) << out.output;
  expect_coherent(out.report);
  EXPECT_GT(count(out.report.at("errors").at("reset")), 0u) << out.output;
}

TEST(FerryLoad, ProtocolMismatchIsCountedWithBackOff) {
  NginxPeer nginx;
  // HTTP/2 to the HTTP/1.1 port, HTTP/1.1 to the h2c port.
  const LoadOutcome h2 = run_ferry_load({"--url", url(nginx.http1_port()), "--http2", "-c", "2",
                                         "--duration", "1s", "--warmup", "0s"});
  const LoadOutcome h1 = run_ferry_load(
      {"--url", url(nginx.h2c_port()), "-c", "2", "--duration", "1s", "--warmup", "0s"});
  for (const LoadOutcome* out : {&h2, &h1}) {
    ASSERT_EQ(out->exit_code, 0) << out->output;
    expect_coherent(out->report);
    const json::object& errors = out->report.at("errors").as_object();
    EXPECT_GT(count(errors.at("protocol")) + count(errors.at("reset")), 0u) << out->output;
    EXPECT_EQ(count(out->report.at("requests")), 0u);
    // Connections that never get an answer back off (1 ms doubling to
    // 100 ms): a handful per second, not a tight reconnect loop.
    EXPECT_LT(count(out->report.at("connections_opened")), 100u) << out->output;
  }
}

TEST(FerryLoad, UsageErrorsAndUnsupportedUrls) {
  EXPECT_EQ(run_ferry_load({"--duration", "1s"}).exit_code, 2);  // --url missing
  EXPECT_EQ(run_ferry_load({"--url", "http://127.0.0.1:1/", "--duration", "5"}).exit_code, 2);
  EXPECT_EQ(run_ferry_load({"--url", "http://127.0.0.1:1/", "--header", "nocolon"}).exit_code, 2);
  const LoadOutcome https = run_ferry_load({"--url", "https://127.0.0.1:1/", "--http2"});
  EXPECT_EQ(https.exit_code, 1);
  EXPECT_NE(https.output.find("only http://"), std::string::npos) << https.output;
  EXPECT_TRUE(https.report.is_null());
  EXPECT_EQ(run_ferry_load({"--help"}).exit_code, 0);
  EXPECT_EQ(run_ferry_load({"--version"}).exit_code, 0);
}

}  // namespace
}  // namespace ferry::perf::testing
