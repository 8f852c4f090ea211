#include "proxy/core/http1/serializer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "proxy/core/http1/hop_by_hop.h"
#include "proxy/core/http1/request_parser.h"
#include "proxy/core/http1/response_parser.h"
#include "tests/unit/core/http1_test_support.h"

namespace ferry::core::http1 {
namespace {

using http::BodyFraming;
using http::HeaderMap;

TEST(Http1Serializer, RequestHead) {
  HeaderMap h;
  h.add("Host", "svc");
  h.add("Content-Length", "99");  // framing in the map is never written
  h.add("transfer-encoding", "gzip");
  h.add("X-A", "v");
  std::string out = "prefix|";
  ASSERT_TRUE(append_request_head(out, "POST", "/p?q", h, BodyFraming::content_length(3)));
  EXPECT_EQ(out, "prefix|POST /p?q HTTP/1.1\r\nhost: svc\r\nx-a: v\r\ncontent-length: 3\r\n\r\n");
  out.clear();
  ASSERT_TRUE(append_request_head(out, "GET", "/", h, BodyFraming::chunked()));
  EXPECT_EQ(out, "GET / HTTP/1.1\r\nhost: svc\r\nx-a: v\r\ntransfer-encoding: chunked\r\n\r\n");
  EXPECT_FALSE(append_request_head(out, "GET", "/", h, BodyFraming::until_close()));
}

TEST(Http1Serializer, ResponseHead) {
  HeaderMap h;
  h.add("Server", "ferry");
  std::string out;
  ASSERT_TRUE(append_response_head(out, 404, "", h, BodyFraming::content_length(0)));
  EXPECT_EQ(out, "HTTP/1.1 404 Not Found\r\nserver: ferry\r\ncontent-length: 0\r\n\r\n");
  out.clear();
  ASSERT_TRUE(append_response_head(out, 299, "Custom", {}, BodyFraming::until_close()));
  EXPECT_EQ(out, "HTTP/1.1 299 Custom\r\n\r\n");
  out.clear();
  ASSERT_TRUE(append_response_head(out, 100, "", {}, BodyFraming::none()));
  EXPECT_EQ(out, "HTTP/1.1 100 Continue\r\n\r\n");
  // RFC 9110 §8.6: no framing on 1xx / 204; HEAD/304 may carry a length.
  EXPECT_FALSE(append_response_head(out, 204, "", {}, BodyFraming::content_length(0)));
  EXPECT_FALSE(append_response_head(out, 101, "", {}, BodyFraming::chunked()));
  EXPECT_TRUE(append_response_head(out, 304, "", {}, BodyFraming::content_length(10)));
  EXPECT_FALSE(append_response_head(out, 99, "", {}, BodyFraming::none()));
  EXPECT_FALSE(append_response_head(out, 600, "", {}, BodyFraming::none()));
}

TEST(Http1Serializer, RefusesInjectionAndLeavesTheBufferUntouched) {
  const std::string before = "kept";
  auto refuses = [&](std::string_view name, std::string_view value) {
    HeaderMap h;
    h.add("ok", "1");
    h.add(name, value);
    std::string out = before;
    const bool req = append_request_head(out, "GET", "/", h, BodyFraming::none());
    const bool rsp = append_response_head(out, 200, "OK", h, BodyFraming::none());
    HeaderMap trailers = h;
    const bool last = append_last_chunk(out, &trailers);
    return !req && !rsp && !last && out == before;
  };
  EXPECT_TRUE(refuses("x", "a\r\nInjected: 1"));
  EXPECT_TRUE(refuses("x", "a\nb"));
  EXPECT_TRUE(refuses("x", std::string("a\0b", 3)));
  EXPECT_TRUE(refuses("x", "a\rb"));
  EXPECT_TRUE(refuses("x y", "v"));
  EXPECT_TRUE(refuses("x:y", "v"));
  EXPECT_TRUE(refuses("", "v"));
  EXPECT_TRUE(refuses("x\r\n", "v"));
  std::string out;
  EXPECT_FALSE(append_request_head(out, "GE T", "/", {}, BodyFraming::none()));
  EXPECT_FALSE(append_request_head(out, "GET", "/a b", {}, BodyFraming::none()));
  EXPECT_FALSE(append_request_head(out, "GET", "/a\r\nX: y", {}, BodyFraming::none()));
  EXPECT_FALSE(append_request_head(out, "GET", "", {}, BodyFraming::none()));
  EXPECT_FALSE(append_response_head(out, 200, "O\r\nK", {}, BodyFraming::none()));
  EXPECT_TRUE(out.empty());
}

TEST(Http1Serializer, Chunks) {
  std::string out;
  append_chunk(out, "hello");
  append_chunk(out, "");
  append_chunk_header(out, 300);
  out.append(300, 'x').append(kCrlf);
  HeaderMap trailers;
  trailers.add("Grpc-Status", "0");
  ASSERT_TRUE(append_last_chunk(out, &trailers));
  EXPECT_EQ(out.substr(0, 10), "5\r\nhello\r\n");
  EXPECT_EQ(out.substr(10, 5), "12c\r\n");
  EXPECT_TRUE(out.ends_with("\r\n0\r\ngrpc-status: 0\r\n\r\n"));
  std::string empty;
  ASSERT_TRUE(append_last_chunk(empty));
  EXPECT_EQ(empty, "0\r\n\r\n");
}

// Parse → serialize → parse gives the same head and body, for requests and
// responses with every framing.
TEST(Http1Serializer, RoundTripThroughTheParsers) {
  const std::string requests[] = {
      "GET /a?b HTTP/1.1\r\nHost: h\r\nAccept: */*\r\nX-Dup: 1\r\nX-Dup: 2\r\n\r\n",
      "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
      "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3;e=1\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n",
      "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
      "CONNECT db:5432 HTTP/1.1\r\nHost: db:5432\r\n\r\n",
      "GET http://abs:8/x HTTP/1.1\r\nHost: other\r\n\r\n"};
  for (const std::string& input : requests) {
    const testing::Transcript first = testing::parse_request(input);
    RequestParser parser;
    std::string_view rest = input;
    std::string wire;
    std::string body;
    for (;;) {
      const ParseStep step = parser.parse(rest);
      if (step.event == ParseEvent::Head) {
        ASSERT_TRUE(append_request_head(wire, parser.head(), parser.head().framing));
      } else if (step.event == ParseEvent::Data) {
        if (parser.head().framing.kind == BodyFraming::Kind::Chunked) {
          append_chunk(wire, step.data);
        } else {
          wire.append(step.data);
        }
      } else if (step.event == ParseEvent::Trailers) {
        ASSERT_TRUE(append_last_chunk(wire, &parser.trailers()));
      } else if (step.event == ParseEvent::Complete) {
        if (parser.head().framing.kind == BodyFraming::Kind::Chunked &&
            wire.find("\r\n0\r\n") == std::string::npos) {
          append_last_chunk(wire);
        }
        break;
      } else {
        FAIL() << "unexpected event for " << input;
      }
      rest.remove_prefix(step.consumed);
    }
    const testing::Transcript second = testing::parse_request(wire);
    std::string a = first.str();
    std::string b = second.str();
    if (input.find("http://abs") != std::string::npos) {
      // The absolute-form is forwarded in origin-form; everything else matches.
      EXPECT_NE(b.find("HEAD GET /x path=/x auth=abs:8 "), std::string::npos) << b;
      a = a.substr(a.find(" path="));
      b = b.substr(b.find(" path="));
    }
    EXPECT_EQ(a, b) << input << "\n---\n" << wire;
  }
}

TEST(Http1Serializer, ResponseRoundTrip) {
  const std::string input =
      "HTTP/1.1 200 OK\r\nServer: s\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwxyz\r\n0\r\n\r\n";
  ResponseParser parser;
  ParseStep step = parser.parse(input);
  ASSERT_EQ(step.event, ParseEvent::Head);
  std::string wire;
  ASSERT_TRUE(append_response_head(wire, parser.head(), BodyFraming::content_length(4)));
  step = parser.parse(std::string_view(input).substr(step.consumed));
  ASSERT_EQ(step.event, ParseEvent::Data);
  wire.append(step.data);
  const testing::Transcript t = testing::parse_response(wire);
  ASSERT_EQ(t.events.size(), 3u) << t.str();
  EXPECT_EQ(t.events[0], "HEAD 200 OK v=HTTP/1.1 cl=4 ka=1 tunnel=0 cl=4 up= [server=s;]");
  EXPECT_EQ(t.events[1], "DATA wxyz");
}

TEST(Http1HopByHop, RemovesConnectionOptionsAndHopFields) {
  // H1-12 at the codec level.
  const std::string input =
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: close, X-Secret, host\r\nX-Secret: 1\r\n"
      "Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: gzip, trailers\r\n"
      "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\nX-Forwarded-For: 1.2.3.4\r\n"
      "Proxy-Authorization: Basic x\r\nX-Keep: yes\r\n\r\n";
  RequestParser parser;
  ASSERT_EQ(parser.parse(input).event, ParseEvent::Head);
  HeaderMap& h = parser.head().headers;
  EXPECT_EQ(http::remove_hop_by_hop(h), 6u);  // TE is rewritten, not counted
  EXPECT_EQ(testing::describe_headers(h),
            "host=a;x-forwarded-for=1.2.3.4;proxy-authorization=Basic x;x-keep=yes;te=trailers;");
  EXPECT_TRUE(parser.head().upgrade.empty());  // no "upgrade" in Connection: no upgrade
}

TEST(Http1HopByHop, PolicyKeepsAProxiedUpgradeAndCanDropTe) {
  HeaderMap h;
  h.add("host", "a");
  h.add("connection", "Upgrade");
  h.add("upgrade", "websocket");
  h.add("te", "trailers");
  http::HopByHopPolicy policy;
  policy.keep_upgrade = true;
  policy.keep_te_trailers = false;
  EXPECT_EQ(http::remove_hop_by_hop(h, policy), 2u);
  EXPECT_EQ(testing::describe_headers(h), "host=a;upgrade=websocket;");
}

}  // namespace
}  // namespace ferry::core::http1
