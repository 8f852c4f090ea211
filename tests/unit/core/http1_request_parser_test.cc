#include "proxy/core/http1/request_parser.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/core/http1_test_support.h"

namespace ferry::core::http1 {
namespace {

using testing::request_splits;
using testing::Transcript;

constexpr std::string_view kHost = "Host: svc.local\r\n";

std::string req(std::string_view line, std::string_view fields, std::string_view body = {}) {
  return std::string(line) + "\r\n" + std::string(fields) + "\r\n" + std::string(body);
}

// Expects `input` to be refused with `reason` / `status` at every splitting,
// without any head coming out first.
void expect_rejected(std::string_view input, std::string_view reason, std::uint16_t status,
                     const ParserOptions& options = {}) {
  const Transcript t = request_splits(input, options);
  EXPECT_EQ(t.error, reason) << input << "\n" << t.str();
  EXPECT_EQ(t.status, status) << input;
  ASSERT_FALSE(t.events.empty());
  EXPECT_EQ(t.events.size(), 1u) << "a head came out before the error:\n" << t.str();
}

TEST(Http1RequestParser, SimpleGet) {
  const Transcript t = request_splits(
      "GET /a/b?c=d HTTP/1.1\r\nHost: svc.local:8080\r\nUser-Agent:  curl/8 \t\r\n"
      "X-Empty:\r\nAccept: */*\r\n\r\n");
  ASSERT_EQ(t.events.size(), 2u) << t.str();
  EXPECT_EQ(t.events[0],
            "HEAD GET /a/b?c=d path=/a/b?c=d auth=svc.local:8080 v=HTTP/1.1 none ka=1 100c=0 up= "
            "conn= dropped=0 [host=svc.local:8080;user-agent=curl/8;x-empty=;accept=*/*;]");
  EXPECT_EQ(t.events[1], "COMPLETE");
}

TEST(Http1RequestParser, HeadIsSelfContainedAfterTheInputIsGone) {
  RequestParser parser;
  std::string input =
      req("GET /x HTTP/1.1", "Host: a\r\nX-Long: " + std::string(300, 'v') + "\r\n");
  const ParseStep step = parser.parse(input);
  ASSERT_EQ(step.event, ParseEvent::Head);
  EXPECT_EQ(step.consumed, input.size());
  input.assign(input.size(), 'Z');
  EXPECT_EQ(parser.head().target, "/x");
  EXPECT_EQ(*parser.head().headers.get("x-long"), std::string(300, 'v'));
}

TEST(Http1RequestParser, ContentLengthBodyIsZeroCopyAndFramingIsRemoved) {
  const std::string input =
      req("POST /submit HTTP/1.1", "Host: a\r\nContent-Length: 11\r\nContent-Type: text/plain\r\n",
          "hello world");
  RequestParser parser;
  ParseStep step = parser.parse(input);
  ASSERT_EQ(step.event, ParseEvent::Head);
  EXPECT_EQ(parser.head().framing, http::BodyFraming::content_length(11));
  EXPECT_FALSE(parser.head().headers.contains("content-length"));
  const std::string_view rest = std::string_view(input).substr(step.consumed);
  step = parser.parse(rest);
  ASSERT_EQ(step.event, ParseEvent::Data);
  EXPECT_EQ(step.data, "hello world");
  EXPECT_EQ(step.data.data(), rest.data());  // points into the caller's input
  step = parser.parse(rest.substr(step.consumed));
  EXPECT_EQ(step.event, ParseEvent::Complete);
  EXPECT_TRUE(parser.idle());

  const Transcript t = request_splits(input);
  ASSERT_EQ(t.events.size(), 3u) << t.str();
  EXPECT_EQ(t.events[1], "DATA hello world");
}

TEST(Http1RequestParser, ZeroContentLengthIsKeptAsFraming) {
  const Transcript t = request_splits(req("POST / HTTP/1.1", "Host: a\r\nContent-Length: 0\r\n"));
  ASSERT_EQ(t.events.size(), 2u) << t.str();
  EXPECT_NE(t.events[0].find(" cl=0 "), std::string::npos);
}

TEST(Http1RequestParser, ChunkedBodyWithExtensionsAndTrailers) {
  const std::string input =
      req("POST /up HTTP/1.1", "Host: a\r\nTransfer-Encoding: chunked\r\n",
          "5;name=value;q=\"a \\\"b\\\"\"\r\nhello\r\n1 ; x\r\n \r\n"
          "000A\r\n0123456789\r\n0\r\nX-Checksum: abc\r\nContent-Length: 5\r\nX_Under: 1\r\n\r\n");
  const Transcript t = request_splits(input);
  ASSERT_EQ(t.events.size(), 4u) << t.str();
  EXPECT_NE(t.events[0].find(" chunked "), std::string::npos);
  EXPECT_EQ(t.events[1], "DATA hello 0123456789");
  // Framing fields never survive in trailers.
  EXPECT_EQ(t.events[2], "TRAILERS [x-checksum=abc;x_under=1;]");
  EXPECT_EQ(t.events[3], "COMPLETE");
}

TEST(Http1RequestParser, ChunkedWithoutTrailers) {
  const Transcript t = request_splits(req(
      "PUT /x HTTP/1.1", "Host: a\r\nTransfer-Encoding: ChUnKeD\r\n", "3\r\nabc\r\n00\r\n\r\n"));
  ASSERT_EQ(t.events.size(), 3u) << t.str();
  EXPECT_EQ(t.events[1], "DATA abc");
  EXPECT_EQ(t.events[2], "COMPLETE");
}

TEST(Http1RequestParser, PipelinedRequestsComeOutInOrder) {
  // H1-11, first half: three valid requests in one write.
  std::string input;
  input += req("GET /1 HTTP/1.1", kHost);
  input += req("POST /2 HTTP/1.1", "Host: a\r\nContent-Length: 3\r\n", "two");
  input += req("DELETE /3 HTTP/1.1", "Host: a\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n");
  const Transcript t = request_splits(input);
  ASSERT_EQ(t.events.size(), 7u) << t.str();
  EXPECT_EQ(t.events[0].substr(0, 12), "HEAD GET /1 ");
  EXPECT_EQ(t.events[1], "COMPLETE");
  EXPECT_EQ(t.events[2].substr(0, 13), "HEAD POST /2 ");
  EXPECT_EQ(t.events[3], "DATA two");
  EXPECT_EQ(t.events[4], "COMPLETE");
  EXPECT_EQ(t.events[5].substr(0, 15), "HEAD DELETE /3 ");
  EXPECT_EQ(t.events[6], "COMPLETE");
}

TEST(Http1RequestParser, PipelinedInvalidRequestStopsEverythingAfterIt) {
  // H1-11, second half: valid, invalid, valid → response 1, then 400, never the 3rd.
  std::string input;
  input += req("GET /1 HTTP/1.1", kHost);
  input += req("GET /2 HTTP/1.1", "Host: a\r\nHost: b\r\n");
  input += req("GET /3 HTTP/1.1", kHost);
  const Transcript t = request_splits(input);
  ASSERT_EQ(t.events.size(), 3u) << t.str();
  EXPECT_EQ(t.events[1], "COMPLETE");
  EXPECT_EQ(t.events[2], "ERROR bad_host");
  EXPECT_EQ(t.str().find("/3"), std::string::npos);
}

TEST(Http1RequestParser, IdleUntilTheFirstByteOfARequest) {
  RequestParser parser;
  EXPECT_TRUE(parser.idle());
  EXPECT_EQ(parser.parse("\r\n\r").event, ParseEvent::NeedMore);
  EXPECT_TRUE(parser.idle());  // stray empty lines are not a request
  EXPECT_EQ(parser.parse("\r\n\r\nG").event, ParseEvent::NeedMore);
  EXPECT_FALSE(parser.idle());
}

TEST(Http1RequestParser, LeadingEmptyLinesAreSkipped) {
  const Transcript t = request_splits("\r\n\r\n" + req("GET / HTTP/1.1", kHost));
  ASSERT_EQ(t.events.size(), 2u) << t.str();
  expect_rejected("\n" + req("GET / HTTP/1.1", kHost), "bad_request_line", 400);
}

TEST(Http1RequestParser, KeepAliveRules) {
  auto head_of = [](const std::string& input) {
    return request_splits(input).events.at(0);
  };
  EXPECT_NE(head_of(req("GET / HTTP/1.1", kHost)).find(" ka=1 "), std::string::npos);
  EXPECT_NE(head_of(req("GET / HTTP/1.1", "Host: a\r\nConnection: Close\r\n")).find(" ka=0 "),
            std::string::npos);
  EXPECT_NE(head_of(req("GET / HTTP/1.0", "")).find(" ka=0 "), std::string::npos);
  const std::string ka10 = head_of(req("GET / HTTP/1.0", "Connection: keep-alive\r\n"));
  EXPECT_NE(ka10.find(" ka=1 "), std::string::npos);
  EXPECT_NE(ka10.find("v=HTTP/1.0"), std::string::npos);
  EXPECT_NE(ka10.find("auth= "), std::string::npos);  // HTTP/1.0 may omit Host
}

TEST(Http1RequestParser, ExpectContinue) {
  const std::string input =
      req("POST /u HTTP/1.1", "Host: a\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n", "ok");
  const Transcript t = request_splits(input);
  ASSERT_EQ(t.events.size(), 3u) << t.str();
  EXPECT_NE(t.events[0].find(" 100c=1 "), std::string::npos);
  // The head comes out before the body arrives, so the server can answer 100.
  RequestParser parser;
  const std::string head_only = input.substr(0, input.size() - 2);
  EXPECT_EQ(parser.parse(head_only).event, ParseEvent::Head);
  EXPECT_TRUE(parser.head().expect_continue);
  EXPECT_TRUE(parser.in_body());
  // HTTP/1.0 expectations are ignored (RFC 9110 §10.1.1).
  const Transcript t10 = request_splits(
      req("POST /u HTTP/1.0", "Expect: 100-continue\r\nContent-Length: 2\r\n", "ok"));
  EXPECT_NE(t10.events.at(0).find(" 100c=0 "), std::string::npos);
}

TEST(Http1RequestParser, UpgradeNeedsConnectionUpgrade) {
  const Transcript ws = request_splits(req("GET /chat HTTP/1.1",
                                           "Host: a\r\nUpgrade: websocket\r\nConnection: "
                                           "keep-alive, Upgrade\r\nSec-WebSocket-Key: k\r\n"));
  EXPECT_NE(ws.events.at(0).find(" up=websocket conn=keep-alive,upgrade "), std::string::npos)
      << ws.str();
  const Transcript lone = request_splits(req("GET / HTTP/1.1", "Host: a\r\nUpgrade: h2c\r\n"));
  EXPECT_NE(lone.events.at(0).find(" up= "), std::string::npos) << lone.str();
}

TEST(Http1RequestParser, TargetForms) {
  const Transcript abs = request_splits(req("GET http://a:81?q=1 HTTP/1.1", "Host: b\r\n"));
  EXPECT_NE(abs.events.at(0).find("path=/?q=1 auth=a:81 "), std::string::npos) << abs.str();
  // H1-08: the forwarded Host is the authority routed on.
  EXPECT_NE(abs.events.at(0).find("[host=a:81;]"), std::string::npos) << abs.str();
  const Transcript https = request_splits(req("GET HTTPS://x.y/p HTTP/1.1", "Host: x.y\r\n"));
  EXPECT_NE(https.events.at(0).find("path=/p auth=x.y "), std::string::npos) << https.str();
  const Transcript connect = request_splits(req("CONNECT db:5432 HTTP/1.1", "Host: db:5432\r\n"));
  EXPECT_NE(connect.events.at(0).find("path= auth=db:5432 "), std::string::npos);
  const Transcript star = request_splits(req("OPTIONS * HTTP/1.1", kHost));
  EXPECT_NE(star.events.at(0).find("path=* "), std::string::npos);
  const Transcript v6 = request_splits(req("GET / HTTP/1.1", "Host: [::1]:8080\r\n"));
  EXPECT_NE(v6.events.at(0).find("auth=[::1]:8080 "), std::string::npos);
  const Transcript other = request_splits(req("PURGE /c HTTP/1.1", kHost));
  EXPECT_NE(other.events.at(0).find("HEAD PURGE /c "), std::string::npos);

  for (const char* bad :
       {"GET * HTTP/1.1", "CONNECT /x HTTP/1.1", "CONNECT db HTTP/1.1", "GET ftp://a/ HTTP/1.1",
        "GET a/b HTTP/1.1", "GET /%zz HTTP/1.1", "GET /%4 HTTP/1.1", "GET /a#frag HTTP/1.1",
        "GET /\xc3\xa9 HTTP/1.1", "GET  / HTTP/1.1", "GET / HTTP/1.1 ", "GET /a b HTTP/1.1",
        "G(T / HTTP/1.1", "GET / HTTP/1.x", "GET / http/1.1"}) {
    expect_rejected(req(bad, kHost), "bad_request_line", 400);
  }
  expect_rejected(req("GET http://u@a/ HTTP/1.1", kHost), "bad_host", 400);
}

TEST(Http1RequestParser, UnsupportedVersionsAndThePriorKnowledgePreface) {
  expect_rejected("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "h2c_preface", 505);
  expect_rejected(req("GET / HTTP/2.0", kHost), "unsupported_version", 505);
  expect_rejected(req("GET / HTTP/1.2", kHost), "unsupported_version", 505);
  expect_rejected(req("GET / HTTP/0.9", kHost), "unsupported_version", 505);
}

// --- RELIABILITY.md §4.1, one test per case, each at 50 random splittings ---

TEST(Http1RequestParser, H1_01_ContentLengthAndTransferEncoding) {
  const std::string smuggle = "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";
  expect_rejected(req("POST / HTTP/1.1",
                      "Host: a\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n", smuggle),
                  "cl_te", 400);
  expect_rejected(req("POST / HTTP/1.1",
                      "Host: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 6\r\n", smuggle),
                  "cl_te", 400);
  expect_rejected(
      req("POST / HTTP/1.1", "Host: a\r\nTransfer-Encoding: gzip\r\nContent-Length: 6\r\n"),
      "cl_te", 400);
  expect_rejected(
      req("POST / HTTP/1.1", "Host: a\r\nContent-Length: 6\r\nTransfer-Encoding: gzip\r\n"),
      "cl_te", 400);
}

TEST(Http1RequestParser, H1_02_BadContentLength) {
  for (const char* fields :
       {"Content-Length: 5\r\nContent-Length: 6\r\n", "Content-Length: 5\r\nContent-Length: 5\r\n",
        "Content-Length: 1,2\r\n", "Content-Length: 5, 5\r\n", "Content-Length: +5\r\n",
        "Content-Length: 0x5\r\n", "Content-Length: 5 5\r\n", "Content-Length:\r\n",
        "Content-Length: -1\r\n", "Content-Length: 99999999999999999999\r\n",
        "Content-Length: 9223372036854775808\r\n"}) {
    expect_rejected(req("POST / HTTP/1.1", "Host: a\r\n" + std::string(fields), "hello"),
                    "bad_content_length", 400);
  }
  const Transcript max =
      request_splits(req("POST / HTTP/1.1", "Host: a\r\nContent-Length: 9223372036854775807\r\n"));
  EXPECT_NE(max.events.at(0).find(" cl=9223372036854775807 "), std::string::npos);
}

TEST(Http1RequestParser, H1_03_TransferEncodingVariants) {
  auto te = [](std::string_view field) {
    return req("POST / HTTP/1.1", "Host: a\r\n" + std::string(field), "0\r\n\r\n");
  };
  for (const char* bad :
       {"Transfer-Encoding: chunked, chunked\r\n", "Transfer-Encoding: chunked, gzip\r\n",
        "Transfer-Encoding: xchunked\r\n", "Transfer-Encoding: chunked;x=y\r\n",
        "Transfer-Encoding: gzip\r\n", "Transfer-Encoding:\r\n", "Transfer-Encoding: chunked,\r\n",
        "Transfer-Encoding: ,chunked\r\n", "Transfer-Encoding: \"chunked\"\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n"}) {
    expect_rejected(te(bad), "bad_transfer_encoding", 400);
  }
  expect_rejected(te("Transfer-Encoding:\x0b"
                     "chunked\r\n"),
                  "bad_header", 400);
  expect_rejected(te("Transfer-Encoding : chunked\r\n"), "bad_header", 400);
  for (const char* unsupported : {"Transfer-Encoding: gzip, chunked\r\n",
                                  "Transfer-Encoding: deflate;level=1 , chunked\r\n"}) {
    expect_rejected(te(unsupported), "unsupported_transfer_coding", 501);
  }
}

TEST(Http1RequestParser, H1_04_TransferEncodingInHttp10) {
  expect_rejected(req("POST / HTTP/1.0", "Transfer-Encoding: chunked\r\n", "0\r\n\r\n"),
                  "te_http10", 400);
  expect_rejected(req("POST / HTTP/1.0", "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n"),
                  "te_http10", 400);
}

TEST(Http1RequestParser, H1_05_ObsFoldSpaceBeforeColonBareCrNul) {
  for (std::string fields :
       {std::string("X-A: v\r\n  cont\r\n"), std::string("X-A: v\r\n\tc\r\n"),
        std::string("Host : x\r\n"), std::string("X-A\t: v\r\n"), std::string("X-A: a\rb\r\n"),
        std::string("X-A: a\0b\r\n", 10), std::string("X-A: \x7f\r\n"),
        std::string("X-A: \x01\r\n"), std::string(": v\r\n"), std::string("X A: v\r\n"),
        std::string("X-A v\r\n"), std::string("X(A): v\r\n")}) {
    expect_rejected(req("GET / HTTP/1.1", "Host: a\r\n" + fields), "bad_header", 400);
  }
  // Whitespace between the request line and the first field.
  expect_rejected("GET / HTTP/1.1\r\n Host: a\r\n\r\n", "bad_header", 400);
}

TEST(Http1RequestParser, H1_06_BareLineFeeds) {
  expect_rejected("GET / HTTP/1.1\nHost: a\r\n\r\n", "bad_request_line", 400);
  expect_rejected("GET / HTTP/1.1\r\nHost: a\n\r\n", "bad_header", 400);
  expect_rejected("GET / HTTP/1.1\r\nHost: a\r\n\n", "bad_header", 400);
  expect_rejected("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\r\n\r\n", "bad_header", 400);
  const std::string chunked_head =
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const char* body :
       {"5;\nhello\r\n0\r\n\r\n", "5\nhello\r\n0\r\n\r\n", "5\r\nhello\n0\r\n\r\n",
        "5\r\nhello\r\n0\r\n\n", "5\r\nhello\r\n0\n\r\n", "5\r\nhello\r\n0\r\nX: y\n\r\n"}) {
    const Transcript t = request_splits(chunked_head + body);
    EXPECT_EQ(t.error, "bad_chunk") << body << "\n" << t.str();
    // Whatever was handed out before the error is never "complete".
    EXPECT_EQ(t.str().find("COMPLETE"), std::string::npos) << body;
  }
}

TEST(Http1RequestParser, H1_07_ChunkSizeAbuse) {
  const std::string chunked_head =
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::string body :
       {std::string("00000000000000001\r\nx\r\n0\r\n\r\n"), std::string("ffffffffffffffff\r\nx"),
        std::string("8000000000000000\r\n"), std::string("\r\nx\r\n0\r\n\r\n"),
        std::string("-1\r\nx\r\n0\r\n\r\n"), std::string("1;a=\0\r\nx\r\n0\r\n\r\n", 15),
        std::string("1;a=\"open\r\nx\r\n0\r\n\r\n"), std::string("1;a\rb\r\nx\r\n0\r\n\r\n"),
        std::string("1;\r\nx\r\n0\r\n\r\n"), std::string("1 \r\nx\r\n0\r\n\r\n"),
        std::string("1;a =\r\nx\r\n0\r\n\r\n"), std::string("1;a=b c\r\nx\r\n0\r\n\r\n"),
        std::string("1x\r\nx\r\n"),
        std::string("3\r\nabcdef\r\n0\r\n\r\n"),  // longer than declared
        std::string("5\r\nabc\r\n0\r\n\r\n"),     // shorter than declared
        std::string("2\r\nab\r\n1;" + std::string(5000, 'e') + "\r\n")}) {
    const Transcript t = request_splits(chunked_head + body);
    EXPECT_EQ(t.error, "bad_chunk") << body << "\n" << t.str();
    EXPECT_EQ(t.str().find("COMPLETE"), std::string::npos) << body;
  }
  // The largest size accepted: streams (no allocation) until the input ends.
  const Transcript big = request_splits(chunked_head + "7fffffffffffffff\r\nabc");
  EXPECT_TRUE(big.error.empty()) << big.str();
  EXPECT_EQ(big.events.back(), "DATA abc");
}

TEST(Http1RequestParser, H1_08_Host) {
  expect_rejected(req("GET / HTTP/1.1", ""), "missing_host", 400);
  expect_rejected(req("GET / HTTP/1.1", "Host: a\r\nHost: a\r\n"), "bad_host", 400);
  expect_rejected(req("GET / HTTP/1.1", "Host: a\r\nhost: b\r\n"), "bad_host", 400);
  for (const char* bad : {"a@b", "", "a b", "a/b", "a:", "a:99999x", "[::1", "[zz]", "a:80:81",
                          "a%zz", "a?b", "[::1]x"}) {
    expect_rejected(req("GET / HTTP/1.1", "Host: " + std::string(bad) + "\r\n"), "bad_host", 400);
  }
  expect_rejected(req("GET http://a/ HTTP/1.1", ""), "missing_host", 400);
  const Transcript abs = request_splits(req("GET http://a/ HTTP/1.1", "Host: b\r\n"));
  EXPECT_NE(abs.events.at(0).find("path=/ auth=a "), std::string::npos) << abs.str();
  EXPECT_NE(abs.events.at(0).find("[host=a;]"), std::string::npos) << abs.str();
}

TEST(Http1RequestParser, H1_09_Limits) {
  std::string many;
  for (int i = 0; i < 100; ++i) {
    many += "X-H" + std::to_string(i) + ": v\r\n";
  }
  // 99 + Host = 100 fields pass; one more is 431.
  const std::string ninety_nine = many.substr(0, many.rfind("X-H99"));
  EXPECT_TRUE(request_splits(req("GET / HTTP/1.1", "Host: a\r\n" + ninety_nine)).error.empty());
  expect_rejected(req("GET / HTTP/1.1", "Host: a\r\n" + many), "too_many_headers", 431);
  expect_rejected(
      req("GET / HTTP/1.1", "Host: a\r\nX-Big: " + std::string(61 * 1024, 'b') + "\r\n"),
      "headers_too_large", 431);
  expect_rejected(req("GET /" + std::string(17 * 1024, 'u') + " HTTP/1.1", kHost), "uri_too_long",
                  414);
  // A head that never ends is refused at the limit, not buffered forever.
  expect_rejected("GET / HTTP/1.1\r\nX: " + std::string(70 * 1024, 'z'), "headers_too_large", 431);
  // Limits are per parser.
  ParserOptions tight;
  tight.max_header_bytes = 100;
  tight.max_header_count = 2;
  tight.max_target_length = 10;
  expect_rejected(req("GET /0123456789a HTTP/1.1", kHost), "uri_too_long", 414, tight);
  expect_rejected(req("GET / HTTP/1.1", "Host: a\r\nA: 1\r\nB: 2\r\n"), "too_many_headers", 431,
                  tight);
  expect_rejected(req("GET / HTTP/1.1", "Host: a\r\nA: " + std::string(90, 'x') + "\r\n"),
                  "headers_too_large", 431, tight);
  EXPECT_TRUE(
      request_splits(req("GET /012345678 HTTP/1.1", "Host: a\r\nA: 1\r\n"), tight).error.empty());
}

TEST(Http1RequestParser, H1_10_UnderscoreHeaders) {
  const std::string input = req("GET / HTTP/1.1", "Host: a\r\nX_Auth: 1\r\nX-Ok: 2\r\n");
  ParserOptions options;
  const Transcript allow = request_splits(input, options);
  EXPECT_NE(allow.events.at(0).find("x_auth=1;x-ok=2;"), std::string::npos) << allow.str();
  options.underscores = UnderscorePolicy::Drop;
  const Transcript drop = request_splits(input, options);
  EXPECT_NE(drop.events.at(0).find("dropped=1 [host=a;x-ok=2;]"), std::string::npos) << drop.str();
  options.underscores = UnderscorePolicy::Reject;
  expect_rejected(input, "underscore_header", 400, options);
}

TEST(Http1RequestParser, TruncatedAtEof) {
  const Transcript clean = request_splits(req("GET / HTTP/1.1", kHost), {}, true);
  EXPECT_EQ(clean.events.back(), "EOF");
  const Transcript mid_head = request_splits("GET / HTTP/1.1\r\nHo", {}, true);
  EXPECT_EQ(mid_head.error, "truncated");
  const Transcript mid_body =
      request_splits(req("POST / HTTP/1.1", "Host: a\r\nContent-Length: 10\r\n", "abc"), {}, true);
  EXPECT_EQ(mid_body.error, "truncated");
  EXPECT_EQ(mid_body.events.at(1), "DATA abc");
}

TEST(Http1RequestParser, ErrorIsSticky) {
  RequestParser parser;
  EXPECT_EQ(parser.parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").event, ParseEvent::Error);
  EXPECT_EQ(parser.parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n").event, ParseEvent::Error);
  EXPECT_EQ(parser.error().reason, RejectReason::BadHost);
  parser.reset();
  EXPECT_EQ(parser.parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n").event, ParseEvent::Head);
}

TEST(Http1RequestParser, ReusedParserKeepsNoStateBetweenRequests) {
  RequestParser parser;
  const std::string first =
      req("GET /a HTTP/1.1",
          "Host: a\r\nConnection: close, x-s\r\nUpgrade: ws\r\nExpect: 100-continue\r\n");
  ASSERT_EQ(parser.parse(first).event, ParseEvent::Head);
  ASSERT_EQ(parser.parse("").event, ParseEvent::Complete);
  ASSERT_EQ(parser.parse(req("GET /b HTTP/1.1", kHost)).event, ParseEvent::Head);
  const http::RequestHead& h = parser.head();
  EXPECT_EQ(h.path, "/b");
  EXPECT_TRUE(h.keep_alive);
  EXPECT_TRUE(h.connection_tokens.empty());
  EXPECT_TRUE(h.upgrade.empty());
  EXPECT_FALSE(h.expect_continue);
  EXPECT_EQ(h.headers.size(), 1u);
}

}  // namespace
}  // namespace ferry::core::http1
