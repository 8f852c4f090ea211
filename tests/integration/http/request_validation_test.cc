// RELIABILITY.md §4.1 H1-01…H1-09: bad requests are refused with the right
// status and reason counter, the connection is closed, and nothing of them
// reaches the upstream.
#include <string>
#include <vector>

#include "tests/integration/http/http_test_support.h"

namespace ferry::test {
namespace {

struct BadRequest {
  std::string name;
  std::string bytes;
  int status;
  std::string reason;
};

class RequestValidationTest : public ProxyTest {
 protected:
  void SetUp() override { start_proxy(upstream_); }

  // Sends `bad` on its own connection and checks the refusal: status,
  // `Connection: close`, the close itself, and the reason counter.
  void expect_refused(const BadRequest& bad) {
    SCOPED_TRACE(bad.name);
    const double before = std::max(0.0, rejected(bad.reason));
    HttpClient client(web());
    ASSERT_TRUE(client.connected());
    client.send(bad.bytes);
    const ClientResponse response = client.read_response();
    EXPECT_EQ(response.status, bad.status);
    EXPECT_EQ(response.header("connection"), std::optional<std::string>("close"));
    EXPECT_TRUE(client.wait_closed()) << "the connection stayed open after the refusal";
    EXPECT_TRUE(eventually([&] { return rejected(bad.reason) == before + 1; }, 5s))
        << "reason " << bad.reason << ": " << rejected(bad.reason) << " (before " << before << ")";
  }

  // After the refusals, one good request must be the only thing the upstream
  // ever received: it proves the proxy still works and that no refused byte
  // went upstream before it.
  void expect_upstream_saw_only_a_good_request() {
    const ClientResponse ok = exchange(get_request(host(), "/good"));
    EXPECT_EQ(ok.status, 200);
    ASSERT_TRUE(upstream_.wait_requests(1));
    const auto requests = upstream_.requests();
    ASSERT_EQ(requests.size(), 1u);
    EXPECT_EQ(requests[0].target, "/good");
    EXPECT_EQ(upstream_.raw_received(), requests[0].head);
  }

  RecordingUpstream upstream_;
};

std::string post_with(const std::string& fields, const std::string& body) {
  return "POST /upload HTTP/1.1\r\nHost: ferry.test\r\n" + fields + "\r\n" + body;
}

TEST_F(RequestValidationTest, H1_01_ContentLengthWithTransferEncodingIsRefusedUnforwarded) {
  const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: ferry.test\r\n\r\n";
  expect_refused(
      {"CL then TE",
       post_with("Content-Length: 6\r\nTransfer-Encoding: chunked\r\n", "0\r\n\r\n" + smuggled),
       400, "cl_te"});
  expect_refused(
      {"TE then CL",
       post_with("Transfer-Encoding: chunked\r\nContent-Length: 6\r\n", "0\r\n\r\n" + smuggled),
       400, "cl_te"});
  expect_upstream_saw_only_a_good_request();
  EXPECT_EQ(upstream_.raw_received().find("smuggled"), std::string::npos);
}

TEST_F(RequestValidationTest, H1_02_BadContentLengthsAreRefused) {
  const std::vector<std::string> values = {
      "Content-Length: 5\r\nContent-Length: 6\r\n",
      "Content-Length: 5\r\nContent-Length: 5\r\n",
      "Content-Length: 1,2\r\n",
      "Content-Length: +5\r\n",
      "Content-Length: 0x5\r\n",
      "Content-Length: 5 5\r\n",
      "Content-Length: \r\n",
      "Content-Length: 99999999999999999999\r\n",
  };
  for (const auto& fields : values) {
    expect_refused({fields, post_with(fields, "hello"), 400, "bad_content_length"});
  }
  expect_upstream_saw_only_a_good_request();
}

TEST_F(RequestValidationTest, H1_03_BadTransferEncodingsAreRefused) {
  const std::string body = "5\r\nhello\r\n0\r\n\r\n";
  const std::vector<BadRequest> cases = {
      {"chunked, chunked", post_with("Transfer-Encoding: chunked, chunked\r\n", body), 400,
       "bad_transfer_encoding"},
      {"chunked, gzip", post_with("Transfer-Encoding: chunked, gzip\r\n", body), 400,
       "bad_transfer_encoding"},
      {"xchunked", post_with("Transfer-Encoding: xchunked\r\n", body), 400,
       "bad_transfer_encoding"},
      {"chunked;x=y", post_with("Transfer-Encoding: chunked;x=y\r\n", body), 400,
       "bad_transfer_encoding"},
      {"vertical tab",
       post_with("Transfer-Encoding:\x0b"
                 "chunked\r\n",
                 body),
       400, "bad_header"},
      {"space before colon", post_with("Transfer-Encoding : chunked\r\n", body), 400, "bad_header"},
      {"two TE fields",
       post_with("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", body), 400,
       "bad_transfer_encoding"},
      // Valid syntax, a coding ferry does not implement: 501.
      {"gzip, chunked", post_with("Transfer-Encoding: gzip, chunked\r\n", body), 501,
       "unsupported_transfer_coding"},
  };
  for (const auto& c : cases) {
    expect_refused(c);
  }
  expect_upstream_saw_only_a_good_request();
}

TEST_F(RequestValidationTest, H1_04_TransferEncodingInHttp10IsRefused) {
  expect_refused({"TE on 1.0",
                  "POST / HTTP/1.0\r\nHost: ferry.test\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n0\r\n\r\n",
                  400, "te_http10"});
  expect_upstream_saw_only_a_good_request();
}

TEST_F(RequestValidationTest, H1_05_ObsFoldColonSpaceBareCrAndNulAreRefused) {
  const std::vector<BadRequest> cases = {
      {"obs-fold", "GET / HTTP/1.1\r\nHost: ferry.test\r\nX-A: v\r\n  cont\r\n\r\n", 400,
       "bad_header"},
      {"space before colon", "GET / HTTP/1.1\r\nHost : ferry.test\r\n\r\n", 400, "bad_header"},
      {"bare CR", "GET / HTTP/1.1\r\nHost: ferry.test\r\nX-A: a\rb\r\n\r\n", 400, "bad_header"},
      {"NUL", "GET / HTTP/1.1\r\nHost: ferry.test\r\nX-A: a" + std::string(1, '\0') + "b\r\n\r\n",
       400, "bad_header"},
  };
  for (const auto& c : cases) {
    expect_refused(c);
  }
  expect_upstream_saw_only_a_good_request();
}

TEST_F(RequestValidationTest, H1_06_BareLineFeedsInTheHeadAreRefused) {
  const std::vector<BadRequest> cases = {
      {"request line", "GET / HTTP/1.1\nHost: ferry.test\r\n\r\n", 400, "bad_request_line"},
      {"header", "GET / HTTP/1.1\r\nHost: ferry.test\nX-A: b\r\n\r\n", 400, "bad_header"},
      {"end of head", "GET / HTTP/1.1\r\nHost: ferry.test\r\n\n", 400, "bad_header"},
  };
  for (const auto& c : cases) {
    expect_refused(c);
  }
  expect_upstream_saw_only_a_good_request();
}

TEST_F(RequestValidationTest, H1_08_MissingDuplicateOrInvalidHostIsRefused) {
  const std::vector<BadRequest> cases = {
      {"missing", "GET / HTTP/1.1\r\nX-A: b\r\n\r\n", 400, "missing_host"},
      {"two", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "bad_host"},
      {"userinfo", "GET / HTTP/1.1\r\nHost: a@b\r\n\r\n", 400, "bad_host"},
      {"absolute-form, no Host", "GET http://a/ HTTP/1.1\r\n\r\n", 400, "missing_host"},
  };
  for (const auto& c : cases) {
    expect_refused(c);
  }
  expect_upstream_saw_only_a_good_request();
}

TEST_F(RequestValidationTest, H1_09_HeaderAndTargetLimitsAnswer431And414) {
  std::string many = "GET / HTTP/1.1\r\nHost: ferry.test\r\n";
  for (int i = 0; i < 100; ++i) {
    many += "X-H" + std::to_string(i) + ": v\r\n";
  }
  many += "\r\n";
  const std::string large =
      "GET / HTTP/1.1\r\nHost: ferry.test\r\nX-Big: " + std::string(61 * 1024, 'a') + "\r\n\r\n";
  const std::string long_target =
      "GET /" + std::string(17 * 1024, 'u') + " HTTP/1.1\r\nHost: ferry.test\r\n\r\n";
  expect_refused({"101 fields", many, 431, "too_many_headers"});
  expect_refused({"61 KiB of fields", large, 431, "headers_too_large"});
  expect_refused({"17 KiB target", long_target, 414, "uri_too_long"});
  expect_upstream_saw_only_a_good_request();
}

TEST_F(RequestValidationTest, UnsupportedVersionAndGarbageAreRefused) {
  expect_refused(
      {"HTTP/2.1", "GET / HTTP/2.1\r\nHost: ferry.test\r\n\r\n", 505, "unsupported_version"});
  expect_refused(
      {"garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400, "bad_request_line"});
  expect_upstream_saw_only_a_good_request();
}

// The exact limits hold (one below passes) and are configurable.
TEST_F(RequestValidationTest, LimitsAreExactAtTheBoundary) {
  std::string hundred = "GET /ok HTTP/1.1\r\nHost: ferry.test\r\n";
  for (int i = 0; i < 98; ++i) {
    hundred += "X-H" + std::to_string(i) + ": v\r\n";
  }
  hundred += "Connection: close\r\n\r\n";  // Host, 98, and this: 100 fields
  EXPECT_EQ(exchange(hundred).status, 200);
}

class ConfiguredLimitsTest : public ProxyTest {};

TEST_F(ConfiguredLimitsTest, ScaledDownLimitsApply) {
  RecordingUpstream upstream;
  start_proxy(upstream, {"max_request_headers_size: 1KiB", "max_request_headers_count: 5",
                         "max_request_target_size: 64"});
  EXPECT_EQ(exchange(get_request(host(), "/" + std::string(70, 'a'))).status, 414);
  EXPECT_EQ(exchange(get_request(host(), "/", {{"X-Big", std::string(1100, 'b')}})).status, 431);
  EXPECT_EQ(exchange(get_request(host(), "/",
                                 {{"A", "1"}, {"B", "2"}, {"C", "3"}, {"D", "4"}, {"E", "5"}}))
                .status,
            431);
  EXPECT_EQ(exchange(get_request(host(), "/fine", {{"A", "1"}})).status, 200);
  EXPECT_EQ(upstream.request_count(), 1u);
}

}  // namespace
}  // namespace ferry::test
