// Upstream failures as the client sees them: 503 on connect failure and on a
// reset before the response, 502 on a malformed response (H1-13), and after
// response bytes went out a close, never a complete-looking truncated
// response (FT-14). A broken upstream connection is never reused.
#include <string>
#include <vector>

#include "tests/integration/http/http_test_support.h"

namespace ferry::test {
namespace {

// An address where nothing listens: bound, then closed.
std::string dead_address() {
  RecordingUpstream probe;
  return probe.address();
}

class UpstreamFailureTest : public ProxyTest {};

TEST_F(UpstreamFailureTest, ConnectFailureAnswers503AndIsCounted) {
  ProxySetup setup;
  setup.endpoints = {dead_address()};
  setup.cluster_keys = {"connect_timeout: 1s"};
  start_proxy(setup);
  const ClientResponse r = exchange(get_request(host(), "/"));
  EXPECT_EQ(r.status, 503);
  EXPECT_TRUE(r.complete);
  EXPECT_GE(cluster_metric("ferry_upstream_connect_failures_total"), 1);
  // The always-on retry of a request that never reached anything.
  EXPECT_GE(cluster_metric("ferry_upstream_safe_retries_total"), 1);
  EXPECT_TRUE(eventually([&] {
    return proxy().metric(
               "ferry_upstream_requests_total{cluster=\"backend\",code_class=\"5xx\"}") == 1;
  }));
}

TEST_F(UpstreamFailureTest, ConnectFailureGoesToAnotherEndpoint) {
  RecordingUpstream live;
  ProxySetup setup;
  setup.endpoints = {dead_address(), live.address()};
  start_proxy(setup);
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(exchange(get_request(host(), "/")).status, 200) << i;
  }
  EXPECT_EQ(live.request_count(), 6u);
}

TEST_F(UpstreamFailureTest, ResetBeforeTheResponseAnswers503) {
  RecordingUpstream upstream;
  upstream.set_handler([](const RecordedRequest&) {
    UpstreamReply reply;
    reply.reset = true;
    return reply;
  });
  start_proxy(upstream);
  HttpClient client(web());
  client.send(make_request("POST", "/", "ferry.test", {}, "data"));
  const ClientResponse r = client.read_response();
  EXPECT_EQ(r.status, 503);
  EXPECT_TRUE(r.complete);
  // The client connection survives an upstream failure answered locally.
  client.send(make_request("POST", "/", "ferry.test", {}, "data"));
  EXPECT_EQ(client.read_response().status, 503);
}

TEST_F(UpstreamFailureTest, CloseBeforeTheResponseOnAFreshConnectionAnswers503) {
  RecordingUpstream upstream;
  upstream.set_handler([](const RecordedRequest&) {
    UpstreamReply reply;
    reply.raw = "";
    reply.close_after_bytes = 0;
    return reply;
  });
  start_proxy(upstream);
  EXPECT_EQ(exchange(get_request(host(), "/")).status, 503);
}

struct Malformed {
  std::string name;
  std::string method;
  std::string raw;
};

// H1-13: every malformed response becomes a 502 when nothing was forwarded
// yet, counts as a protocol error, and its connection is not reused.
TEST_F(UpstreamFailureTest, H1_13_MalformedResponsesAnswer502AndAreNotReused) {
  const std::vector<Malformed> cases = {
      {"CL+TE", "GET",
       "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
       "5\r\nhello\r\n0\r\n\r\n"},
      {"two CL", "GET", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"},
      {"obs-fold", "GET", "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok"},
      {"status 2000", "GET", "HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok"},
      {"204 with a body", "GET", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello"},
      {"not HTTP", "GET", "SSH-2.0-OpenSSH_9.2\r\n\r\n"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    RecordingUpstream upstream;
    upstream.set_handler([&](const RecordedRequest& r) {
      UpstreamReply reply;
      if (r.target == "/bad") {
        reply.raw = c.raw;
      }
      return reply;
    });
    start_proxy(upstream);
    HttpClient client(web());
    client.send(make_request(c.method, "/bad", "ferry.test"));
    const ClientResponse r = client.read_response();
    EXPECT_EQ(r.status, 502);
    EXPECT_TRUE(eventually(
        [&] { return cluster_metric("ferry_upstream_protocol_errors_total") == 1; }, 5s));
    // The next request needs a new upstream connection.
    if (!client.wait_closed(100ms)) {
      client.send(get_request(host(), "/next"));
      EXPECT_EQ(client.read_response().status, 200);
    } else {
      EXPECT_EQ(exchange(get_request(host(), "/next")).status, 200);
    }
    EXPECT_EQ(upstream.connections(), 2);
    TearDown();
  }
}

// A HEAD response followed by body bytes: the client gets a clean HEAD
// response, and the stray bytes are never taken as the next response.
TEST_F(UpstreamFailureTest, H1_13_BodyAfterAHeadResponseIsNeverTakenAsTheNextResponse) {
  RecordingUpstream upstream;
  upstream.set_handler([](const RecordedRequest& r) {
    UpstreamReply reply;
    if (r.method == "HEAD") {
      reply.raw =
          "HTTP/1.1 200 OK\r\nContent-Length: 38\r\n\r\n"
          "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    } else {
      reply.body = "real";
    }
    return reply;
  });
  start_proxy(upstream);
  HttpClient client(web());
  client.send(make_request("HEAD", "/h", "ferry.test"));
  const ClientResponse head = client.read_response(/*head_request=*/true);
  if (head.status != 0) {
    EXPECT_TRUE(head.status == 200 || head.status == 502) << head.status;
  }
  if (!client.wait_closed(200ms)) {
    client.send(get_request(host(), "/g"));
    const ClientResponse next = client.read_response();
    EXPECT_EQ(next.status, 200);
    EXPECT_EQ(next.body, "real");
  }
  EXPECT_EQ(exchange(get_request(host(), "/g2")).body, "real");
}

// FT-14 / H1-13 "dies mid-body": once response bytes went out, a failure
// closes the client connection; the client never sees a complete response.
TEST_F(UpstreamFailureTest, FT_14_UpstreamDyingMidBodyWithContentLengthClosesTheClient) {
  RecordingUpstream upstream;
  upstream.set_handler([](const RecordedRequest&) {
    UpstreamReply reply;
    reply.raw = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789";
    reply.close_after_bytes = reply.raw->size();
    return reply;
  });
  start_proxy(upstream);
  HttpClient client(web());
  client.send(get_request(host(), "/"));
  const ClientResponse r = client.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.body, "0123456789");
  EXPECT_TRUE(client.wait_closed());
  EXPECT_TRUE(
      eventually([&] { return cluster_metric("ferry_upstream_protocol_errors_total") == 1; }, 5s));
}

TEST_F(UpstreamFailureTest, FT_14_UpstreamDyingMidChunkedBodyNeverSendsTheLastChunk) {
  RecordingUpstream upstream;
  upstream.set_handler([](const RecordedRequest&) {
    UpstreamReply reply;
    reply.body = std::string(5000, 'z');
    reply.chunked = true;
    reply.chunk_size = 1000;
    reply.close_after_bytes = 2500;
    return reply;
  });
  start_proxy(upstream);
  HttpClient client(web());
  client.send(get_request(host(), "/"));
  const ClientResponse r = client.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.chunked);
  EXPECT_FALSE(r.complete) << "a truncated response looked complete";
  EXPECT_TRUE(client.wait_closed());
  EXPECT_EQ(client.leftover().find("0\r\n\r\n"), std::string::npos);
}

TEST_F(UpstreamFailureTest, FT_14_UpstreamResetMidBodyClosesTheClient) {
  RecordingUpstream upstream;
  upstream.set_handler([](const RecordedRequest&) {
    UpstreamReply reply;
    reply.raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n";
    reply.close_after_bytes = reply.raw->size();
    return reply;
  });
  start_proxy(upstream);
  HttpClient client(web());
  client.send(get_request(host(), "/"));
  const ClientResponse r = client.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.complete);
  EXPECT_TRUE(client.wait_closed());
}

// A response whose body is delimited by the upstream's close is complete
// when the upstream closes: the client gets it whole (chunked).
TEST_F(UpstreamFailureTest, CloseDelimitedResponseIsForwardedWhole) {
  RecordingUpstream upstream;
  upstream.set_handler([](const RecordedRequest&) {
    UpstreamReply reply;
    reply.body = "until the end";
    reply.no_framing = true;
    reply.close = true;
    return reply;
  });
  start_proxy(upstream);
  HttpClient client(web());
  client.send(get_request(host(), "/"));
  const ClientResponse r = client.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.complete);
  EXPECT_EQ(r.body, "until the end");
}

TEST_F(UpstreamFailureTest, RetryPolicyRetriesA503Once) {
  RecordingUpstream upstream;
  std::atomic<int> calls{0};
  upstream.set_handler([&](const RecordedRequest&) {
    UpstreamReply reply;
    if (calls++ == 0) {
      reply.status = 503;
      reply.reason = "Service Unavailable";
    }
    return reply;
  });
  start_proxy(upstream, {}, {"retry_policy: {retry_on: [5xx], num_retries: 1}"});
  EXPECT_EQ(exchange(get_request(host(), "/")).status, 200);
  EXPECT_EQ(calls.load(), 2);
  EXPECT_EQ(cluster_metric("ferry_upstream_retries_total"), 1);
}

}  // namespace
}  // namespace ferry::test
