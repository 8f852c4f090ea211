// Http2Session against a real nghttp2 server session, in memory: bytes the
// client produces go to the server and back, no sockets.
#include "perf/load/http2_session.h"

#include <gtest/gtest.h>
#include <nghttp2/nghttp2.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ferry::perf {
namespace {

struct Http2Events final : SessionEvents {
  Http2Events() = default;
  Http2Events(const Http2Events&) = delete;
  virtual ~Http2Events() = default;
  std::vector<int> statuses;
  std::vector<FailureKind> failures;
  std::vector<std::uint64_t> refused;  // intended times
  void on_response(const RequestTiming&, int status) override { statuses.push_back(status); }
  void on_request_failed(const RequestTiming&, FailureKind kind) override {
    failures.push_back(kind);
  }
  void on_request_refused(const RequestTiming& timing) override {
    refused.push_back(timing.intended_ns);
  }
};

// A minimal h2 server: records every request stream whose headers ended,
// answers only when told to.
class TestServer {
 public:
  explicit TestServer(std::uint32_t max_streams = 100) {
    nghttp2_session_callbacks* cbs = nullptr;
    nghttp2_session_callbacks_new(&cbs);
    nghttp2_session_callbacks_set_on_frame_recv_callback(
        cbs, [](nghttp2_session*, const nghttp2_frame* frame, void* self) {
          auto* server = static_cast<TestServer*>(self);
          if (frame->hd.type == NGHTTP2_HEADERS &&
              (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) != 0) {
            server->requests.push_back(frame->hd.stream_id);
          }
          if (frame->hd.type == NGHTTP2_RST_STREAM) {
            server->resets[frame->hd.stream_id] = frame->rst_stream.error_code;
          }
          return 0;
        });
    nghttp2_session_server_new(&session_, cbs, this);
    nghttp2_session_callbacks_del(cbs);
    const nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, max_streams}};
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 1);
  }
  ~TestServer() { nghttp2_session_del(session_); }

  void respond(std::int32_t stream, const char* status) {
    const nghttp2_nv nv[] = {{reinterpret_cast<std::uint8_t*>(const_cast<char*>(":status")),
                              reinterpret_cast<std::uint8_t*>(const_cast<char*>(status)), 7, 3,
                              NGHTTP2_NV_FLAG_NONE}};
    ASSERT_EQ(nghttp2_submit_response(session_, stream, nv, 1, nullptr), 0);
  }
  void reset(std::int32_t stream, std::uint32_t code) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream, code);
  }
  void goaway(std::int32_t last_stream) {
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE, last_stream, NGHTTP2_NO_ERROR, nullptr, 0);
  }

  nghttp2_session* session_ = nullptr;
  std::vector<std::int32_t> requests;
  std::map<std::int32_t, std::uint32_t> resets;
};

class Http2SessionTest : public ::testing::Test {
 protected:
  void make(std::uint32_t streams, std::uint32_t server_limit = 100) {
    server_ = std::make_unique<TestServer>(server_limit);
    client_ = std::make_unique<Http2Session>(request_, streams, events_);
    pump();
  }
  // Moves bytes both ways until neither side has anything to say.
  void pump() {
    for (int i = 0; i < 10; ++i) {
      std::vector<std::uint8_t> out;
      ASSERT_TRUE(client_->produce_output(out));
      if (!out.empty()) {
        ASSERT_GE(nghttp2_session_mem_recv(server_->session_, out.data(), out.size()), 0);
      }
      std::vector<std::uint8_t> back;
      const std::uint8_t* chunk = nullptr;
      for (ssize_t n; (n = nghttp2_session_mem_send(server_->session_, &chunk)) > 0;) {
        back.insert(back.end(), chunk, chunk + n);
      }
      if (!back.empty()) {
        ASSERT_TRUE(client_->on_data(back.data(), back.size()));
      }
      if (out.empty() && back.empty()) {
        return;
      }
    }
  }
  void submit(std::uint64_t intended) {
    ASSERT_GT(client_->capacity(), 0u);
    ASSERT_TRUE(client_->submit(RequestTiming{intended, intended}));
  }

  RequestTemplate request_{"example.test", "/x", {{"x-test", "1"}}};
  Http2Events events_;
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<Http2Session> client_;
};

TEST_F(Http2SessionTest, ManyStreamsInFlightAndAnswered) {
  make(4);
  EXPECT_EQ(client_->capacity(), 4u);
  for (std::uint64_t i = 0; i < 4; ++i) {
    submit(i);
  }
  EXPECT_EQ(client_->capacity(), 0u);
  pump();
  ASSERT_EQ(server_->requests.size(), 4u);
  server_->respond(server_->requests[0], "200");
  server_->respond(server_->requests[1], "503");
  pump();
  EXPECT_EQ(events_.statuses, (std::vector<int>{200, 503}));
  EXPECT_EQ(client_->in_flight(), 2u);
  EXPECT_EQ(client_->capacity(), 2u);
  server_->respond(server_->requests[2], "204");
  server_->respond(server_->requests[3], "404");
  pump();
  EXPECT_EQ(events_.statuses, (std::vector<int>{200, 503, 204, 404}));
  EXPECT_EQ(client_->in_flight(), 0u);
  EXPECT_TRUE(events_.failures.empty());
  EXPECT_FALSE(client_->finished());
}

TEST_F(Http2SessionTest, HonoursTheServerStreamLimit) {
  make(8, 2);
  EXPECT_EQ(client_->capacity(), 2u);
}

TEST_F(Http2SessionTest, RefusedStreamsComeBackAndResetsAreFailures) {
  make(4);
  submit(10);
  submit(11);
  pump();
  server_->reset(server_->requests[0], NGHTTP2_REFUSED_STREAM);
  server_->reset(server_->requests[1], NGHTTP2_INTERNAL_ERROR);
  pump();
  EXPECT_EQ(events_.refused, std::vector<std::uint64_t>{10});
  EXPECT_EQ(events_.failures, std::vector<FailureKind>{FailureKind::Reset});
  EXPECT_EQ(client_->in_flight(), 0u);
}

TEST_F(Http2SessionTest, GoawayRefusesStreamsAboveTheLastAndFinishes) {
  make(4);
  submit(1);
  submit(2);
  pump();
  ASSERT_EQ(server_->requests.size(), 2u);
  server_->goaway(server_->requests[0]);
  pump();
  EXPECT_EQ(events_.refused, std::vector<std::uint64_t>{2});
  EXPECT_TRUE(client_->finished());
  EXPECT_EQ(client_->capacity(), 0u);
  EXPECT_EQ(client_->in_flight(), 1u);
  server_->respond(server_->requests[0], "200");
  pump();
  EXPECT_EQ(events_.statuses, std::vector<int>{200});
  EXPECT_EQ(client_->in_flight(), 0u);
}

TEST_F(Http2SessionTest, ExpireResetsOnlyTheOldStreams) {
  make(4);
  ASSERT_TRUE(client_->submit(RequestTiming{100, 100}));
  ASSERT_TRUE(client_->submit(RequestTiming{200, 200}));
  pump();
  EXPECT_FALSE(client_->expire(150));  // HTTP/2 keeps the connection
  EXPECT_EQ(events_.failures, std::vector<FailureKind>{FailureKind::Timeout});
  pump();
  ASSERT_EQ(server_->resets.size(), 1u);
  EXPECT_EQ(server_->resets.begin()->second, static_cast<std::uint32_t>(NGHTTP2_CANCEL));
  EXPECT_EQ(client_->in_flight(), 1u);
  server_->respond(server_->requests[1], "200");
  pump();
  EXPECT_EQ(events_.statuses, std::vector<int>{200});
}

TEST_F(Http2SessionTest, FailAllAndGarbage) {
  make(4);
  submit(1);
  submit(2);
  pump();
  client_->fail_all(FailureKind::Reset);
  EXPECT_EQ(events_.failures.size(), 2u);
  Http2Events other;
  Http2Session fresh(request_, 2, other);
  ASSERT_TRUE(fresh.submit(RequestTiming{}));
  const std::string garbage = "HTTP/1.1 200 OK\r\n\r\n";
  // nghttp2 takes the bytes, queues a GOAWAY and stops reading once it is
  // written: the request can never be answered.
  fresh.on_data(reinterpret_cast<const std::uint8_t*>(garbage.data()), garbage.size());
  std::vector<std::uint8_t> out;
  EXPECT_FALSE(fresh.produce_output(out));
  EXPECT_EQ(other.failures, std::vector<FailureKind>{FailureKind::Protocol});
  EXPECT_TRUE(fresh.finished());
}

}  // namespace
}  // namespace ferry::perf
