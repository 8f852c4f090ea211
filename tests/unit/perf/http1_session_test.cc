#include "perf/load/http1_session.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace ferry::perf {
namespace {

struct RecordedEvents final : SessionEvents {
  RecordedEvents() = default;
  RecordedEvents(const RecordedEvents&) = delete;
  virtual ~RecordedEvents() = default;
  std::vector<int> statuses;
  std::vector<FailureKind> failures;
  int refused = 0;
  void on_response(const RequestTiming&, int status) override { statuses.push_back(status); }
  void on_request_failed(const RequestTiming&, FailureKind kind) override {
    failures.push_back(kind);
  }
  void on_request_refused(const RequestTiming&) override { ++refused; }
};

class Http1SessionTest : public ::testing::Test {
 protected:
  Http1SessionTest()
      : factory_(make_http1_session_factory(RequestTemplate{"example.test:8080", "/a?b=1", {}})),
        session_(factory_(events_)) {}

  std::string send_one() {
    EXPECT_EQ(session_->capacity(), 1u);
    EXPECT_TRUE(session_->submit(RequestTiming{1, 1}));
    EXPECT_EQ(session_->capacity(), 0u);
    std::vector<std::uint8_t> out;
    EXPECT_TRUE(session_->produce_output(out));
    return std::string(out.begin(), out.end());
  }
  // Feeds `bytes` split into pieces of `piece` bytes.
  bool feed(std::string_view bytes, std::size_t piece = 1'000'000) {
    for (std::size_t i = 0; i < bytes.size(); i += piece) {
      const std::string_view part = bytes.substr(i, piece);
      if (!session_->on_data(reinterpret_cast<const std::uint8_t*>(part.data()), part.size())) {
        return false;
      }
    }
    return true;
  }

  RecordedEvents events_;
  std::function<std::unique_ptr<ClientSession>(SessionEvents&)> factory_;
  std::unique_ptr<ClientSession> session_;
};

constexpr std::string_view kOk = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";

TEST_F(Http1SessionTest, SerializesTheRequestOnce) {
  const std::string request = send_one();
  EXPECT_EQ(request, "GET /a?b=1 HTTP/1.1\r\nhost: example.test:8080\r\n\r\n");
  std::vector<std::uint8_t> again;
  ASSERT_TRUE(session_->produce_output(again));
  EXPECT_TRUE(again.empty());
}

TEST_F(Http1SessionTest, ResponsesAtEverySplitPoint) {
  for (std::size_t piece : {1u, 2u, 7u, 38u, 1000u}) {
    send_one();
    ASSERT_TRUE(feed(kOk, piece)) << piece;
    EXPECT_EQ(session_->in_flight(), 0u) << piece;
  }
  EXPECT_EQ(events_.statuses, std::vector<int>(5, 200));
  EXPECT_TRUE(events_.failures.empty());
  EXPECT_FALSE(session_->finished());
}

TEST_F(Http1SessionTest, ChunkedAndInterimResponses) {
  send_one();
  ASSERT_TRUE(
      feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\n"
           "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
           5));
  EXPECT_EQ(events_.statuses, std::vector<int>{404});
}

TEST_F(Http1SessionTest, ConnectionCloseFinishesTheSession) {
  send_one();
  ASSERT_TRUE(feed("HTTP/1.1 503 Busy\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_EQ(events_.statuses, std::vector<int>{503});
  EXPECT_TRUE(session_->finished());
  EXPECT_EQ(session_->capacity(), 0u);
}

TEST_F(Http1SessionTest, BodyDelimitedByTheCloseCompletesAtEof) {
  send_one();
  ASSERT_TRUE(feed("HTTP/1.1 200 OK\r\n\r\npartial body"));
  EXPECT_TRUE(events_.statuses.empty());
  session_->on_eof();
  EXPECT_EQ(events_.statuses, std::vector<int>{200});
  EXPECT_TRUE(session_->finished());
}

TEST_F(Http1SessionTest, TruncatedBodyIsNotAResponse) {
  send_one();
  ASSERT_TRUE(feed("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort"));
  session_->on_eof();
  EXPECT_TRUE(events_.statuses.empty());
  session_->fail_all(FailureKind::Reset);  // what the connection does next
  EXPECT_EQ(events_.failures, std::vector<FailureKind>{FailureKind::Reset});
}

TEST_F(Http1SessionTest, MalformedResponsesAreProtocolFailures) {
  for (std::string_view bad :
       {std::string_view("HTTP/1.1 2000 OK\r\n\r\n"),
        std::string_view("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
        std::string_view(
            "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"),
        std::string_view("garbage\r\n\r\n")}) {
    RecordedEvents events;
    auto session = factory_(events);
    ASSERT_TRUE(session->submit(RequestTiming{1, 1}));
    EXPECT_FALSE(session->on_data(reinterpret_cast<const std::uint8_t*>(bad.data()), bad.size()))
        << bad;
    EXPECT_EQ(events.failures, std::vector<FailureKind>{FailureKind::Protocol}) << bad;
    EXPECT_TRUE(session->finished());
  }
}

TEST_F(Http1SessionTest, BytesNobodyAskedForBreakTheConnection) {
  send_one();
  ASSERT_TRUE(feed(kOk));
  EXPECT_FALSE(feed("HTTP/1.1 200 OK\r\n"));
  EXPECT_TRUE(session_->finished());
}

TEST_F(Http1SessionTest, ExpireFailsTheRequestAndAsksToClose) {
  send_one();  // sent at t = 1
  EXPECT_FALSE(session_->expire(1));
  EXPECT_TRUE(session_->expire(2));
  EXPECT_EQ(events_.failures, std::vector<FailureKind>{FailureKind::Timeout});
  EXPECT_TRUE(session_->finished());
  session_->fail_all(FailureKind::Reset);  // nothing counted twice
  EXPECT_EQ(events_.failures.size(), 1u);
}

TEST(Http1SessionFactory, UserHostReplacesTheDefaultAndBadHeadersAreRefused) {
  RecordedEvents events;
  auto factory =
      make_http1_session_factory(RequestTemplate{"a:1", "/", {{"Host", "other"}, {"X-Test", "1"}}});
  auto session = factory(events);
  ASSERT_TRUE(session->submit(RequestTiming{}));
  std::vector<std::uint8_t> out;
  ASSERT_TRUE(session->produce_output(out));
  const std::string text(out.begin(), out.end());
  EXPECT_EQ(text.find("a:1"), std::string::npos) << text;
  EXPECT_NE(text.find("host: other\r\n"), std::string::npos) << text;
  EXPECT_THROW(make_http1_session_factory(RequestTemplate{"a", "/", {{"Bad Name", "x"}}}),
               std::runtime_error);
}

}  // namespace
}  // namespace ferry::perf
