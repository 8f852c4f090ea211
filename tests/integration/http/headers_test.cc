// What the upstream sees of a request's fields: x-request-id, X-Forwarded-For
// per policy, hop-by-hop and spoofed headers (H1-12), the underscore policy
// (H1-10); and routing by prefix, authority and absolute-form target (H1-08).
#include <string>
#include <vector>

#include "tests/integration/http/http_test_support.h"

namespace ferry::test {
namespace {

class HeadersTest : public ProxyTest {
 protected:
  // Sends `request` through the proxy and returns what the upstream got.
  RecordedRequest forwarded(const std::string& request) {
    const std::size_t before = upstream_.request_count();
    const ClientResponse response = exchange(request);
    EXPECT_EQ(response.status, 200);
    EXPECT_TRUE(upstream_.wait_requests(before + 1));
    const auto all = upstream_.requests();
    return all.size() > before ? all[before] : RecordedRequest{};
  }

  RecordingUpstream upstream_;
};

TEST_F(HeadersTest, RequestIdIsCreatedWhenAbsentAndKeptWhenPresent) {
  start_proxy(upstream_);
  const RecordedRequest first = forwarded(get_request(host(), "/a"));
  const RecordedRequest second = forwarded(get_request(host(), "/b"));
  ASSERT_TRUE(first.header("x-request-id").has_value());
  ASSERT_TRUE(second.header("x-request-id").has_value());
  EXPECT_GE(first.header("x-request-id")->size(), 16u);
  EXPECT_NE(first.header("x-request-id"), second.header("x-request-id"));
  const RecordedRequest kept =
      forwarded(get_request(host(), "/c", {{"X-Request-Id", "client-chosen-id-42"}}));
  EXPECT_EQ(kept.header("x-request-id"), std::optional<std::string>("client-chosen-id-42"));
  EXPECT_EQ(kept.header_count("x-request-id"), 1u);
}

TEST_F(HeadersTest, RequestIdIsReturnedOnLocalReplies) {
  start_proxy(upstream_);
  const ClientResponse response =
      exchange(make_request("CONNECT", "example.com:443", "example.com:443"));
  EXPECT_EQ(response.status, 405);
  EXPECT_TRUE(response.header("x-request-id").has_value());
}

TEST_F(HeadersTest, XForwardedForIsAppendedByDefault) {
  start_proxy(upstream_);
  EXPECT_EQ(forwarded(get_request(host(), "/")).header("x-forwarded-for"),
            std::optional<std::string>("127.0.0.1"));
  EXPECT_EQ(forwarded(get_request(host(), "/", {{"X-Forwarded-For", "203.0.113.9"}}))
                .header("x-forwarded-for"),
            std::optional<std::string>("203.0.113.9, 127.0.0.1"));
  EXPECT_EQ(forwarded(get_request(host(), "/")).header("x-forwarded-proto"),
            std::optional<std::string>("http"));
}

TEST_F(HeadersTest, XForwardedForReplace) {
  start_proxy(upstream_, {"x_forwarded_for: replace"});
  const RecordedRequest r =
      forwarded(get_request(host(), "/", {{"X-Forwarded-For", "203.0.113.9"}}));
  EXPECT_EQ(r.header("x-forwarded-for"), std::optional<std::string>("127.0.0.1"));
  EXPECT_EQ(r.header_count("x-forwarded-for"), 1u);
}

TEST_F(HeadersTest, XForwardedForOff) {
  start_proxy(upstream_, {"x_forwarded_for: off"});
  EXPECT_EQ(forwarded(get_request(host(), "/", {{"X-Forwarded-For", "203.0.113.9"}}))
                .header("x-forwarded-for"),
            std::optional<std::string>("203.0.113.9"));
  EXPECT_FALSE(forwarded(get_request(host(), "/")).header("x-forwarded-for").has_value());
}

TEST_F(HeadersTest, H1_12_HopByHopAndSpoofedHeadersAreStripped) {
  start_proxy(upstream_);
  HttpClient client(web());
  client.send(get_request(host(), "/hop",
                          {{"Connection", "keep-alive, X-Secret, Upgrade, HTTP2-Settings"},
                           {"X-Secret", "1"},
                           {"Keep-Alive", "timeout=5"},
                           {"Proxy-Connection", "keep-alive"},
                           {"TE", "trailers"},
                           {"Upgrade", "h2c"},
                           {"HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA"},
                           {"X-Ferry-Peer-Identity", "spoofed"},
                           {"x-ferry-fault-abort", "500"},
                           {"X-Kept", "yes"}}));
  const ClientResponse response = client.read_response();
  // A normal HTTP/1 response: no h2c switch.
  EXPECT_EQ(response.status, 200);
  ASSERT_TRUE(upstream_.wait_requests(1));
  const RecordedRequest r = upstream_.requests()[0];
  for (const char* name : {"x-secret", "keep-alive", "proxy-connection", "upgrade",
                           "http2-settings", "x-ferry-peer-identity", "x-ferry-fault-abort"}) {
    EXPECT_FALSE(r.header(name).has_value()) << name << " reached the upstream:\n" << r.head;
  }
  for (const auto& [name, value] : r.headers) {
    if (name == "connection") {
      EXPECT_EQ(value.find("X-Secret"), std::string::npos) << value;
      EXPECT_EQ(value.find("Upgrade"), std::string::npos) << value;
    }
  }
  EXPECT_EQ(r.header("te"), std::optional<std::string>("trailers"));
  EXPECT_EQ(r.header("x-kept"), std::optional<std::string>("yes"));
  // The connection is still a plain HTTP/1.1 one.
  client.send(get_request(host(), "/again"));
  EXPECT_EQ(client.read_response().status, 200);
}

TEST_F(HeadersTest, HopByHopResponseHeadersAreStripped) {
  upstream_.set_handler([](const RecordedRequest&) {
    UpstreamReply reply;
    reply.headers = {{"Connection", "X-Upstream-Private"},
                     {"X-Upstream-Private", "1"},
                     {"Keep-Alive", "timeout=5"},
                     {"X-Public", "ok"}};
    return reply;
  });
  start_proxy(upstream_);
  const ClientResponse response = exchange(get_request(host(), "/"));
  EXPECT_EQ(response.status, 200);
  EXPECT_FALSE(response.header("x-upstream-private").has_value());
  EXPECT_FALSE(response.header("keep-alive").has_value());
  EXPECT_EQ(response.header("x-public"), std::optional<std::string>("ok"));
}

TEST_F(HeadersTest, H1_10_UnderscoreHeadersAllowedByDefault) {
  start_proxy(upstream_);
  EXPECT_EQ(forwarded(get_request(host(), "/", {{"X_Auth", "1"}})).header("x_auth"),
            std::optional<std::string>("1"));
}

TEST_F(HeadersTest, H1_10_UnderscoreHeadersDropped) {
  start_proxy(upstream_, {"headers_with_underscores_action: drop"});
  const RecordedRequest r = forwarded(get_request(host(), "/", {{"X_Auth", "1"}, {"X-Ok", "2"}}));
  EXPECT_FALSE(r.header("x_auth").has_value());
  EXPECT_EQ(r.header("x-ok"), std::optional<std::string>("2"));
  EXPECT_TRUE(eventually(
      [&] { return listener_metric("ferry_downstream_headers_dropped_total") == 1; }, 5s))
      << listener_metric("ferry_downstream_headers_dropped_total");
}

TEST_F(HeadersTest, H1_10_UnderscoreHeadersRejected) {
  start_proxy(upstream_, {"headers_with_underscores_action: reject"});
  HttpClient client(web());
  client.send(get_request(host(), "/", {{"X_Auth", "1"}}));
  EXPECT_EQ(client.read_response().status, 400);
  EXPECT_TRUE(client.wait_closed());
  EXPECT_TRUE(eventually([&] { return rejected("underscore_header") == 1; }, 5s));
  EXPECT_EQ(upstream_.bytes_received(), 0u);
}

TEST_F(HeadersTest, H2cPriorKnowledgePrefaceGetsGoawayAndIsCounted) {
  start_proxy(upstream_);
  HttpClient client(web());
  client.send(std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") +
              std::string("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9));
  EXPECT_TRUE(client.wait_closed());
  const std::string bytes = client.leftover();
  // SETTINGS (type 4) then GOAWAY (type 7) with HTTP_1_1_REQUIRED (0xd).
  ASSERT_GE(bytes.size(), 9u + 9u + 8u);
  EXPECT_EQ(bytes[3], 4);
  EXPECT_EQ(bytes[9 + 3], 7);
  EXPECT_EQ(bytes[9 + 9 + 7], 0x0d);
  EXPECT_TRUE(eventually([&] { return rejected("h2c_preface") == 1; }, 5s));
  EXPECT_TRUE(
      eventually([&] { return listener_metric("ferry_downstream_h2c_refused_total") == 1; }, 5s));
  EXPECT_EQ(upstream_.bytes_received(), 0u);
}

TEST_F(HeadersTest, ConnectIsRefusedUnlessAllowed) {
  start_proxy(upstream_);
  const ClientResponse response =
      exchange(make_request("CONNECT", "example.com:443", "example.com:443"));
  EXPECT_EQ(response.status, 405);
  EXPECT_TRUE(response.header("allow").has_value());
  EXPECT_EQ(upstream_.bytes_received(), 0u);
}

TEST_F(HeadersTest, ConnectTunnelsWhenAllowed) {
  // The upstream answers the CONNECT with 200 and then echoes: a tunnel.
  upstream_.set_handler([](const RecordedRequest&) {
    UpstreamReply reply;
    reply.body.clear();
    reply.no_framing = true;
    reply.echo_after = true;
    return reply;
  });
  start_proxy(upstream_, {"routes:", "  - {prefix: /, cluster: backend, allow_connect: true}"});
  HttpClient client(web());
  client.send(make_request("CONNECT", "example.com:443", "example.com:443"));
  const ClientResponse response = client.read_response(/*head_request=*/true);
  ASSERT_EQ(response.status, 200);
  client.send("tunnelled bytes");
  EXPECT_EQ(client.socket().read_exactly(15, 5s), "tunnelled bytes");
  ASSERT_TRUE(upstream_.wait_requests(1));
  EXPECT_EQ(upstream_.requests()[0].method, "CONNECT");
}

class RoutingTest : public ProxyTest {
 protected:
  void SetUp() override {
    ProxySetup setup;
    setup.endpoints = {backend_.address()};
    setup.listener_keys = {
        "routes:",
        "  - {prefix: /api, authority: api.local, cluster: api}",
        "  - {prefix: /, authority: a.example, cluster: api}",
        "  - {prefix: /static, cluster: api}",
        "  - {prefix: /, cluster: backend}",
    };
    setup.extra_clusters = {"  - name: api\n    endpoints: [\"" + api_.address() + "\"]\n"};
    start_proxy(setup);
  }
  RecordingUpstream backend_;
  RecordingUpstream api_;
};

TEST_F(RoutingTest, RoutesByPrefixAndAuthority) {
  EXPECT_EQ(exchange(get_request("api.local", "/api/users")).status, 200);
  EXPECT_EQ(exchange(get_request("API.LOCAL:8080", "/api/x")).status, 200);
  EXPECT_EQ(exchange(get_request("other.local", "/api/users")).status, 200);
  EXPECT_EQ(exchange(get_request("other.local", "/static/app.js")).status, 200);
  ASSERT_TRUE(api_.wait_requests(3));
  ASSERT_TRUE(backend_.wait_requests(1));
  const auto api = api_.requests();
  const auto backend = backend_.requests();
  ASSERT_EQ(api.size(), 3u);
  ASSERT_EQ(backend.size(), 1u);
  EXPECT_EQ(api[0].target, "/api/users");
  EXPECT_EQ(api[1].target, "/api/x");
  EXPECT_EQ(api[2].target, "/static/app.js");
  EXPECT_EQ(backend[0].target, "/api/users");
  EXPECT_EQ(backend[0].header("host"), std::optional<std::string>("other.local"));
}

TEST_F(RoutingTest, H1_08_AbsoluteFormIsRoutedByItsAuthority) {
  const ClientResponse response =
      exchange("GET http://a.example/x?y=1 HTTP/1.1\r\nHost: b.example\r\n\r\n");
  EXPECT_EQ(response.status, 200);
  ASSERT_TRUE(api_.wait_requests(1));
  const RecordedRequest r = api_.requests()[0];
  EXPECT_EQ(r.target, "/x?y=1");
  EXPECT_EQ(r.header("host"), std::optional<std::string>("a.example"));
  EXPECT_EQ(r.header_count("host"), 1u);
  EXPECT_EQ(backend_.request_count(), 0u);
}

class NoRouteTest : public ProxyTest {};

TEST_F(NoRouteTest, UnmatchedRequestGets404) {
  RecordingUpstream upstream;
  ProxySetup setup;
  setup.endpoints = {upstream.address()};
  setup.listener_keys = {"routes:", "  - {prefix: /only, cluster: backend}"};
  start_proxy(setup);
  EXPECT_EQ(exchange(get_request(host(), "/elsewhere")).status, 404);
  EXPECT_EQ(exchange(get_request(host(), "/only/here")).status, 200);
  EXPECT_EQ(upstream.request_count(), 1u);
}

}  // namespace
}  // namespace ferry::test
