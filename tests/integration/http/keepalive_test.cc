// Connection reuse toward the upstream, the keep-alive race, pipelining
// (H1-11), and the circuit breakers (LD-06 basics), with several workers.
#include <unistd.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/http/http_test_support.h"

namespace ferry::test {
namespace {

// Answers with the request target as the body, so responses can be matched.
UpstreamReply echo_target(const RecordedRequest& r) {
  UpstreamReply reply;
  reply.body = r.target;
  return reply;
}

class KeepAliveTest : public ProxyTest {};

TEST_F(KeepAliveTest, OneClientConnectionReusesOneUpstreamConnection) {
  RecordingUpstream upstream;
  upstream.set_handler(echo_target);
  start_proxy(upstream, {}, {}, /*workers=*/2);
  HttpClient client(web());
  for (int i = 0; i < 50; ++i) {
    const std::string target = "/r" + std::to_string(i);
    ASSERT_TRUE(client.send(get_request(host(), target)));
    const ClientResponse response = client.read_response();
    ASSERT_EQ(response.status, 200) << i;
    ASSERT_EQ(response.body, target);
  }
  EXPECT_EQ(upstream.request_count(), 50u);
  EXPECT_EQ(upstream.connections(), 1);
  EXPECT_EQ(cluster_metric("ferry_upstream_connections_total"), 1);
}

TEST_F(KeepAliveTest, SeparateClientConnectionsShareThePool) {
  RecordingUpstream upstream;
  start_proxy(upstream, {}, {}, /*workers=*/2);
  for (int c = 0; c < 10; ++c) {
    HttpClient client(web());
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(client.send(get_request(host(), "/")));
      ASSERT_EQ(client.read_response().status, 200);
    }
  }
  EXPECT_EQ(upstream.request_count(), 50u);
  // At most one kept-alive connection per worker (sequential clients).
  EXPECT_LE(upstream.connections(), 2);
}

TEST_F(KeepAliveTest, UpstreamConnectionCloseIsNotReused) {
  RecordingUpstream upstream;
  upstream.set_handler([](const RecordedRequest&) {
    UpstreamReply reply;
    reply.close = true;
    return reply;
  });
  start_proxy(upstream);
  HttpClient client(web());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.send(get_request(host(), "/")));
    const ClientResponse response = client.read_response();
    ASSERT_EQ(response.status, 200);
    // The upstream's close is its own business: the client connection stays.
    EXPECT_FALSE(response.header("connection").has_value());
  }
  EXPECT_EQ(upstream.connections(), 3);
  EXPECT_EQ(cluster_metric("ferry_upstream_safe_retries_total"), 0);
}

// The upstream closes idle keep-alive connections at random moments, often
// just as the proxy sends the next request on one. Idempotent requests that
// provably never reached the application are retried: no client sees it.
TEST_F(KeepAliveTest, KeepAliveRaceLosesNoIdempotentRequest) {
  RecordingUpstream::Options options;
  options.handler = echo_target;
  options.idle_close_probability = 0.5;
  options.idle_close_max = std::chrono::microseconds(1500);
  options.seed = 7;
  RecordingUpstream upstream(options);
  start_proxy(upstream, {}, {}, /*workers=*/2);
  constexpr int kClients = 3;
  constexpr int kPerClient = 100;
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c] {
      std::mt19937 rng(static_cast<unsigned>(c + 1));
      HttpClient client(web());
      for (int i = 0; i < kPerClient; ++i) {
        const std::string target = "/c" + std::to_string(c) + "/" + std::to_string(i);
        const std::string method = i % 3 == 0 ? "HEAD" : "GET";
        client.send(make_request(method, target, "ferry.test"));
        const ClientResponse response = client.read_response(method == "HEAD");
        if (response.status != 200 || (method == "GET" && response.body != target)) {
          ++failures;
          ADD_FAILURE() << target << " got " << response.status << " " << response.body;
          return;
        }
        ::usleep(rng() % 1500);
      }
    });
  }
  for (auto& t : clients) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
  EXPECT_GT(upstream.idle_closes(), 0);
  EXPECT_GT(cluster_metric("ferry_upstream_safe_retries_total"), 0)
      << "the race never hit: upstream idle closes " << upstream.idle_closes() << ", connections "
      << upstream.connections();
  std::cerr << "keep-alive race: " << upstream.connections() << " upstream connections, "
            << upstream.idle_closes() << " idle closes, "
            << cluster_metric("ferry_upstream_safe_retries_total") << " safe retries\n";
}

// A POST on a reused connection that closes before any response byte may
// have reached the application: it is not retried without a policy.
TEST_F(KeepAliveTest, NonIdempotentRequestIsNotRetriedAfterAReset) {
  RecordingUpstream upstream;
  upstream.set_handler([](const RecordedRequest& r) {
    UpstreamReply reply;
    reply.reset = r.method == "POST";
    return reply;
  });
  start_proxy(upstream);
  HttpClient client(web());
  client.send(get_request(host(), "/warm"));
  ASSERT_EQ(client.read_response().status, 200);
  client.send(make_request("POST", "/once", "ferry.test", {}, "payload"));
  EXPECT_EQ(client.read_response().status, 503);
  ASSERT_TRUE(upstream.wait_requests(2));
  std::size_t posts = 0;
  for (const auto& r : upstream.requests()) {
    posts += r.method == "POST";
  }
  EXPECT_EQ(posts, 1u);
  EXPECT_EQ(cluster_metric("ferry_upstream_safe_retries_total"), 0);
}

class PipeliningTest : public ProxyTest {};

TEST_F(PipeliningTest, H1_11_ThreeRequestsInOneWriteAreAnsweredInOrder) {
  RecordingUpstream upstream;
  upstream.set_handler([](const RecordedRequest& r) {
    UpstreamReply reply = echo_target(r);
    // The first answer is the slowest: order must still hold.
    reply.delay = r.target == "/1" ? 200ms : 0ms;
    return reply;
  });
  start_proxy(upstream);
  HttpClient client(web());
  client.send(get_request(host(), "/1") + get_request(host(), "/2") +
              make_request("POST", "/3", host(), {}, "body"));
  for (const char* want : {"/1", "/2", "/3"}) {
    const ClientResponse r = client.read_response();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, want);
  }
  const auto requests = upstream.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[2].body, "body");
}

TEST_F(PipeliningTest, H1_11_InvalidRequestInThePipelineStopsIt) {
  RecordingUpstream upstream;
  upstream.set_handler(echo_target);
  start_proxy(upstream);
  HttpClient client(web());
  client.send(get_request(host(), "/first") + "GET /bad HTTP/1.1\r\nHost : x\r\n\r\n" +
              get_request(host(), "/third"));
  const ClientResponse first = client.read_response();
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "/first");
  const ClientResponse bad = client.read_response();
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(client.wait_closed());
  EXPECT_EQ(client.leftover(), "");
  EXPECT_EQ(upstream.request_count(), 1u);
  EXPECT_EQ(upstream.raw_received().find("/third"), std::string::npos);
  EXPECT_EQ(upstream.raw_received().find("/bad"), std::string::npos);
}

class BreakerTest : public ProxyTest {};

// LD-06 basics, scaled down: two requests in flight allowed process-wide
// (across 2 workers); the rest are refused at once with 503.
TEST_F(BreakerTest, RequestsBeyondTheBreakersGetAnImmediate503) {
  RecordingUpstream upstream;
  upstream.set_handler([](const RecordedRequest&) {
    UpstreamReply reply;
    reply.delay = 700ms;
    return reply;
  });
  start_proxy(upstream, {},
              {"circuit_breakers: {max_connections: 1, max_pending_requests: 2, max_requests: 2}"},
              /*workers=*/2);
  constexpr int kClients = 6;
  std::atomic<int> ok{0};
  std::atomic<int> overloaded{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&] {
      const ClientResponse r = exchange(get_request(host(), "/slow"));
      if (r.status == 200) {
        ++ok;
      } else if (r.status == 503 &&
                 r.header("x-ferry-overloaded") == std::optional<std::string>("true")) {
        ++overloaded;
      } else {
        ADD_FAILURE() << "unexpected status " << r.status;
      }
    });
  }
  for (auto& t : clients) {
    t.join();
  }
  EXPECT_EQ(ok + overloaded, kClients);
  EXPECT_EQ(ok.load(), 2);
  EXPECT_EQ(overloaded.load(), kClients - 2);
  EXPECT_EQ(cluster_metric("ferry_upstream_pending_overflow_total"), overloaded.load());
  // One connection, or one per worker when both workers got a request.
  EXPECT_LE(upstream.connections(), 2);
  // Recovery: once the slow requests are done, new ones pass.
  upstream.set_handler([](const RecordedRequest&) { return UpstreamReply{}; });
  EXPECT_EQ(exchange(get_request(host(), "/fast")).status, 200);
}

// max_connections is process-wide; the one slot is held by an idle
// kept-alive connection of one worker. A request on the other worker must
// still be served, not wait for a slot it can never get.
TEST_F(BreakerTest, ConnectionSlotsHeldIdleByAnotherWorkerDoNotStarveRequests) {
  RecordingUpstream upstream;
  start_proxy(upstream, {"request_timeout: 3s"}, {"circuit_breakers: {max_connections: 1}"},
              /*workers=*/2);
  // Separate client connections land on both workers (2^-11 that they don't).
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(exchange(get_request(host(), "/")).status, 200) << i;
  }
  EXPECT_LE(upstream.connections(), 2);
}

TEST_F(BreakerTest, ListenerMaxConnectionsClosesTheExcess) {
  RecordingUpstream upstream;
  start_proxy(upstream, {"max_connections: 2"}, {}, /*workers=*/2);
  HttpClient a(web());
  HttpClient b(web());
  a.send(get_request(host(), "/a"));
  b.send(get_request(host(), "/b"));
  EXPECT_EQ(a.read_response().status, 200);
  EXPECT_EQ(b.read_response().status, 200);
  HttpClient c(web());
  EXPECT_TRUE(c.wait_closed(5s));
  EXPECT_TRUE(eventually(
      [&] { return listener_metric("ferry_downstream_connections_overflow_total") == 1; }, 5s));
}

}  // namespace
}  // namespace ferry::test
