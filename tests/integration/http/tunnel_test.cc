// A WebSocket-style upgrade: the upstream's 101 turns both connections into
// one byte tunnel; with allow_upgrade off the upgrade is not offered.
#include <string>

#include "tests/integration/http/http_test_support.h"

namespace ferry::test {
namespace {

std::string websocket_request(const std::string& host) {
  return make_request("GET", "/ws", host,
                      {{"Connection", "Upgrade"},
                       {"Upgrade", "websocket"},
                       {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                       {"Sec-WebSocket-Version", "13"}});
}

UpstreamReply switch_and_echo(const RecordedRequest& r) {
  UpstreamReply reply;
  if (r.header("upgrade") != std::optional<std::string>("websocket")) {
    reply.body = "no upgrade offered";
    return reply;
  }
  reply.status = 101;
  reply.reason = "Switching Protocols";
  reply.headers = {{"Upgrade", "websocket"},
                   {"Connection", "Upgrade"},
                   {"Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="}};
  reply.body.clear();
  reply.echo_after = true;
  return reply;
}

class TunnelTest : public ProxyTest {};

TEST_F(TunnelTest, WebSocketUpgradeBecomesATwoWayTunnel) {
  RecordingUpstream upstream;
  upstream.set_handler(switch_and_echo);
  start_proxy(upstream, {}, {}, /*workers=*/2);
  HttpClient client(web());
  client.send(websocket_request(host()));
  const ClientResponse r = client.read_response(/*head_request=*/true);
  ASSERT_EQ(r.status, 101);
  EXPECT_EQ(r.header("upgrade"), std::optional<std::string>("websocket"));
  EXPECT_EQ(r.header("sec-websocket-accept"),
            std::optional<std::string>("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
  // Bytes both ways, several round trips, binary included.
  for (int i = 0; i < 5; ++i) {
    std::string frame = "\x81\x05" + std::string("hello") + std::to_string(i);
    frame += std::string(1, '\0') + "\xff";
    ASSERT_TRUE(client.send(frame));
    EXPECT_EQ(client.socket().read_exactly(frame.size(), 5s), frame) << i;
  }
  const std::string big(300 * 1024, 'w');
  ASSERT_TRUE(client.send(big));
  EXPECT_EQ(client.socket().read_exactly(big.size(), 10s).size(), big.size());
  ASSERT_TRUE(upstream.wait_requests(1));
  const RecordedRequest req = upstream.requests()[0];
  EXPECT_EQ(req.header("upgrade"), std::optional<std::string>("websocket"));
  ASSERT_TRUE(req.header("connection").has_value());
  EXPECT_NE(req.header("connection")->find("pgrade"), std::string::npos);
  // The client's close travels through: the upstream sees EOF and closes.
  client.socket().shutdown_write();
  EXPECT_TRUE(client.wait_closed(5s));
  EXPECT_TRUE(upstream.wait_all_closed(5s));
}

TEST_F(TunnelTest, UpgradeIsNotOfferedWhenDisallowed) {
  RecordingUpstream upstream;
  upstream.set_handler(switch_and_echo);
  start_proxy(upstream, {"routes:", "  - {prefix: /, cluster: backend, allow_upgrade: false}"});
  HttpClient client(web());
  client.send(websocket_request(host()));
  const ClientResponse r = client.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "no upgrade offered");
  ASSERT_TRUE(upstream.wait_requests(1));
  EXPECT_FALSE(upstream.requests()[0].header("upgrade").has_value());
}

TEST_F(TunnelTest, RefusedUpgradeKeepsTheConnectionHttp) {
  RecordingUpstream upstream;  // answers 200: it does not switch
  start_proxy(upstream);
  HttpClient client(web());
  client.send(websocket_request(host()));
  EXPECT_EQ(client.read_response().status, 200);
  client.send(get_request(host(), "/after"));
  EXPECT_EQ(client.read_response().status, 200);
}

}  // namespace
}  // namespace ferry::test
