#include "proxy/core/http1/response_parser.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/core/http1_test_support.h"

namespace ferry::core::http1 {
namespace {

using http::Method;
using testing::response_splits;
using testing::Transcript;

std::string resp(std::string_view line, std::string_view fields, std::string_view body = {}) {
  return std::string(line) + "\r\n" + std::string(fields) + "\r\n" + std::string(body);
}

void expect_upstream_error(std::string_view input, std::string_view reason,
                           Method method = Method::Get, bool eof = false) {
  const Transcript t = response_splits(input, method, eof);
  EXPECT_EQ(t.error, reason) << input << "\n" << t.str();
  EXPECT_EQ(t.status, 502) << input;
}

TEST(Http1ResponseParser, ContentLengthBody) {
  const Transcript t =
      response_splits(resp("HTTP/1.1 200 OK", "Content-Length: 5\r\nServer: x\r\n", "hello"));
  ASSERT_EQ(t.events.size(), 3u) << t.str();
  EXPECT_EQ(t.events[0], "HEAD 200 OK v=HTTP/1.1 cl=5 ka=1 tunnel=0 cl=5 up= [server=x;]");
  EXPECT_EQ(t.events[1], "DATA hello");
  EXPECT_EQ(t.events[2], "COMPLETE");
}

TEST(Http1ResponseParser, ChunkedBodyWithTrailers) {
  const Transcript t = response_splits(resp("HTTP/1.1 200 OK", "Transfer-Encoding: chunked\r\n",
                                            "3\r\nabc\r\n2\r\nde\r\n0\r\ngrpc-status: 0\r\n\r\n"));
  ASSERT_EQ(t.events.size(), 4u) << t.str();
  EXPECT_EQ(t.events[1], "DATA abcde");
  EXPECT_EQ(t.events[2], "TRAILERS [grpc-status=0;]");
}

TEST(Http1ResponseParser, CloseDelimitedBodyEndsAtEof) {
  const Transcript t = response_splits(resp("HTTP/1.1 200 OK", "", "all of it"), Method::Get, true);
  ASSERT_EQ(t.events.size(), 3u) << t.str();
  EXPECT_EQ(t.events[0], "HEAD 200 OK v=HTTP/1.1 close ka=0 tunnel=0 cl=- up= []");
  EXPECT_EQ(t.events[1], "DATA all of it");
  EXPECT_EQ(t.events[2], "EOF");
}

TEST(Http1ResponseParser, KeepAlive) {
  EXPECT_NE(
      response_splits(resp("HTTP/1.0 200 OK", "Content-Length: 0\r\n")).events.at(0).find(" ka=0 "),
      std::string::npos);
  EXPECT_NE(
      response_splits(resp("HTTP/1.0 200 OK", "Content-Length: 0\r\nConnection: keep-alive\r\n"))
          .events.at(0)
          .find(" ka=1 "),
      std::string::npos);
  EXPECT_NE(response_splits(resp("HTTP/1.1 200 OK", "Content-Length: 0\r\nConnection: close\r\n"))
                .events.at(0)
                .find(" ka=0 "),
            std::string::npos);
}

TEST(Http1ResponseParser, HeadResponseHasNoBodyButKeepsItsLength) {
  const Transcript t =
      response_splits(resp("HTTP/1.1 200 OK", "Content-Length: 1000\r\n"), Method::Head);
  ASSERT_EQ(t.events.size(), 2u) << t.str();
  EXPECT_EQ(t.events[0], "HEAD 200 OK v=HTTP/1.1 none ka=1 tunnel=0 cl=1000 up= []");
  // H1-13: a HEAD response that carries a body anyway: the body is not a response.
  expect_upstream_error(resp("HTTP/1.1 200 OK", "Content-Length: 4\r\n", "body"), "bad_status_line",
                        Method::Head);
}

TEST(Http1ResponseParser, InterimResponsesThenFinal) {
  const std::string input = resp("HTTP/1.1 100 Continue", "") +
                            resp("HTTP/1.1 103 Early Hints", "Link: </s>\r\n") +
                            resp("HTTP/1.1 201 Created", "Content-Length: 2\r\n", "ok");
  const Transcript t = response_splits(input, Method::Post);
  ASSERT_EQ(t.events.size(), 7u) << t.str();
  EXPECT_EQ(t.events[0], "HEAD 100 Continue v=HTTP/1.1 none ka=1 tunnel=0 cl=- up= []");
  EXPECT_EQ(t.events[1], "COMPLETE");
  EXPECT_EQ(t.events[2].substr(0, 8), "HEAD 103");
  EXPECT_EQ(t.events[4].substr(0, 8), "HEAD 201");
  EXPECT_EQ(t.events[5], "DATA ok");
}

TEST(Http1ResponseParser, SwitchingProtocolsAndTunnels) {
  const Transcript up = response_splits(
      resp("HTTP/1.1 101 Switching Protocols", "Upgrade: websocket\r\nConnection: Upgrade\r\n"));
  EXPECT_EQ(up.events.at(0),
            "HEAD 101 Switching Protocols v=HTTP/1.1 none ka=0 tunnel=0 cl=- up=websocket "
            "[upgrade=websocket;connection=Upgrade;]");
  const Transcript tunnel = response_splits(
      resp("HTTP/1.1 200 Connection Established", "Content-Length: 99\r\n"), Method::Connect);
  EXPECT_EQ(tunnel.events.at(0),
            "HEAD 200 Connection Established v=HTTP/1.1 none ka=0 tunnel=1 cl=99 up= []");
  // A refused CONNECT is an ordinary response.
  const Transcript refused = response_splits(
      resp("HTTP/1.1 403 Forbidden", "Content-Length: 1\r\n", "x"), Method::Connect);
  EXPECT_EQ(refused.events.at(1), "DATA x");
}

TEST(Http1ResponseParser, NoContentAndNotModified) {
  EXPECT_EQ(response_splits(resp("HTTP/1.1 204 No Content", "")).events.size(), 2u);
  EXPECT_EQ(response_splits(resp("HTTP/1.1 204 No Content", "Content-Length: 0\r\n")).events.size(),
            2u);
  const Transcript nm = response_splits(resp("HTTP/1.1 304 Not Modified", "Content-Length: 7\r\n"));
  ASSERT_EQ(nm.events.size(), 2u) << nm.str();
  EXPECT_EQ(nm.events[0], "HEAD 304 Not Modified v=HTTP/1.1 none ka=1 tunnel=0 cl=7 up= []");
  // H1-13: a 204 with a body.
  expect_upstream_error(resp("HTTP/1.1 204 No Content", "Content-Length: 5\r\n", "hello"),
                        "unexpected_body");
  expect_upstream_error(resp("HTTP/1.1 204 No Content", "Transfer-Encoding: chunked\r\n"),
                        "unexpected_body");
  expect_upstream_error(resp("HTTP/1.1 100 Continue", "Content-Length: 0\r\n"), "unexpected_body");
  // A 204 followed by bytes nobody asked for: not a response.
  expect_upstream_error(resp("HTTP/1.1 204 No Content", "", "hello"), "bad_status_line");
}

TEST(Http1ResponseParser, H1_13_BrokenUpstreams) {
  expect_upstream_error(
      resp("HTTP/1.1 200 OK", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n"),
      "cl_te");
  expect_upstream_error(
      resp("HTTP/1.1 200 OK", "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "0\r\n\r\n"),
      "cl_te");
  expect_upstream_error(resp("HTTP/1.1 200 OK", "Content-Length: 5\r\nContent-Length: 5\r\n"),
                        "bad_content_length");
  expect_upstream_error(resp("HTTP/1.1 200 OK", "Content-Length: 5\r\nContent-Length: 6\r\n"),
                        "bad_content_length");
  expect_upstream_error(resp("HTTP/1.1 200 OK", "X-A: v\r\n folded\r\nContent-Length: 0\r\n"),
                        "bad_header");
  expect_upstream_error(resp("HTTP/1.1 2000 OK", "Content-Length: 0\r\n"), "bad_status_line");
  expect_upstream_error(resp("HTTP/1.1 200 OK", "Transfer-Encoding: gzip\r\n"),
                        "unsupported_transfer_coding");
  expect_upstream_error(resp("HTTP/1.1 200 OK", "Transfer-Encoding: gzip, chunked\r\n"),
                        "unsupported_transfer_coding");
  expect_upstream_error(resp("HTTP/1.1 200 OK", "Transfer-Encoding: chunked, gzip\r\n"),
                        "bad_transfer_encoding");
  expect_upstream_error(resp("HTTP/1.0 200 OK", "Transfer-Encoding: chunked\r\n", "0\r\n\r\n"),
                        "te_http10");
  // Dies mid-body: never a complete response.
  const Transcript cut = response_splits(
      resp("HTTP/1.1 200 OK", "Content-Length: 1000\r\n", "0123456789"), Method::Get, true);
  EXPECT_EQ(cut.error, "truncated") << cut.str();
  EXPECT_EQ(cut.events.at(1), "DATA 0123456789");
  EXPECT_EQ(cut.str().find("COMPLETE"), std::string::npos);
  const Transcript cut_chunked = response_splits(
      resp("HTTP/1.1 200 OK", "Transfer-Encoding: chunked\r\n", "a\r\n0123456789\r\n"), Method::Get,
      true);
  EXPECT_EQ(cut_chunked.error, "truncated") << cut_chunked.str();
}

TEST(Http1ResponseParser, StatusLineStrictness) {
  for (const char* bad : {"HTTP/1.1 200", "HTTP/1.1 20 OK", "HTTP/1.1 099 Low", "HTTP/1.1 600 High",
                          "HTTP/1.1  200 OK", "HTTP/2 200 OK", "http/1.1 200 OK",
                          "HTTP/1.1 200 O\x01K", "HTTP/1.1 200 OK\n", " HTTP/1.1 200 OK"}) {
    expect_upstream_error(resp(bad, "Content-Length: 0\r\n"), "bad_status_line");
  }
  expect_upstream_error(resp("HTTP/2.0 200 OK", "Content-Length: 0\r\n"), "unsupported_version");
  const Transcript empty_reason = response_splits(resp("HTTP/1.1 200 ", "Content-Length: 0\r\n"));
  EXPECT_TRUE(empty_reason.error.empty()) << empty_reason.str();
}

TEST(Http1ResponseParser, PipelinedResponsesWithChangingMethods) {
  ResponseParser parser;
  std::string input = resp("HTTP/1.1 200 OK", "Content-Length: 3\r\n") +
                      resp("HTTP/1.1 200 OK", "Content-Length: 3\r\n", "abc");
  std::string_view rest = input;
  parser.set_request_method(Method::Head);
  ParseStep step = parser.parse(rest);
  ASSERT_EQ(step.event, ParseEvent::Head);
  rest.remove_prefix(step.consumed);
  ASSERT_EQ(parser.parse(rest).event, ParseEvent::Complete);
  parser.set_request_method(Method::Get);
  step = parser.parse(rest);
  ASSERT_EQ(step.event, ParseEvent::Head);
  rest.remove_prefix(step.consumed);
  step = parser.parse(rest);
  ASSERT_EQ(step.event, ParseEvent::Data);
  EXPECT_EQ(step.data, "abc");
}

}  // namespace
}  // namespace ferry::core::http1
