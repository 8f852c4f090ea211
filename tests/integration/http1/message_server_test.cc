#include "proxy/core/http1/message_server.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "tests/integration/http1/support.h"

namespace ferry::core::http1 {
namespace {

using namespace std::chrono_literals;
using testing::IoThread;
using testing::RawClient;
using testing::run_process;

// A server on its own io thread. The default handler echoes what it got:
// "<method> <path> <body size> <host>", and honours a few test paths.
class ServerFixture : public ::testing::Test {
 protected:
  void start(MessageServerOptions options = {}) {
    server_ = std::make_unique<MessageServer>(
        io_.io(),
        [this](Request request, Responder responder) {
          handle(std::move(request), std::move(responder));
        },
        options);
    ASSERT_FALSE(server_->listen(*SocketAddress::parse("127.0.0.1:0")));
    address_ = server_->local_address();
    url_ = "http://" + address_.to_string();
    io_.start();
  }

  void TearDown() override {
    if (server_) {
      io_.call([this] { server_->close(); });
    }
    io_.stop();
    held_.clear();
    server_.reset();
  }

  void handle(Request request, Responder responder) {
    ++handled_;
    const std::string& path = request.head.path;
    if (path == "/hold") {  // answered by the test through held_
      held_.push_back(std::move(responder));
      return;
    }
    if (path == "/drop") {
      return;  // the Responder's destructor answers 500
    }
    Response r;
    r.headers.add("content-type", "text/plain");
    r.body = request.head.method_text + " " + path + " " + std::to_string(request.body.size()) +
             " " + request.head.authority + "\n";
    if (path.starts_with("/slow")) {  // answered later, from a timer
      auto timer = std::make_shared<boost::asio::steady_timer>(io_.io(), 150ms);
      timer->async_wait([timer, r = std::move(r), responder = std::move(responder)](auto) mutable {
        responder.send(std::move(r));
      });
      return;
    }
    responder.send(std::move(r));
  }

  MessageServerStats stats() {
    return io_.call([this] { return server_->stats(); });
  }
  std::size_t connections() {
    return io_.call([this] { return server_->connection_count(); });
  }

  IoThread io_;
  std::unique_ptr<MessageServer> server_;
  SocketAddress address_;
  std::string url_;
  std::vector<Responder> held_;  // touched on the io thread only
  std::atomic<int> handled_{0};
};

TEST_F(ServerFixture, CurlKeepAliveReusesOneConnection) {
  start();
  const auto r = run_process({"curl", "-sS", "-v", url_ + "/a", url_ + "/b?x=1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out,
            "GET /a 0 " + address_.to_string() + "\nGET /b?x=1 0 " + address_.to_string() + "\n");
  EXPECT_NE(r.err.find("Re-using existing connection"), std::string::npos) << r.err;
  EXPECT_EQ(stats().connections_total, 1u);
  EXPECT_EQ(stats().requests_total, 2u);
}

TEST_F(ServerFixture, CurlPostAndHead) {
  start();
  const auto post = run_process({"curl", "-sS", "--data-binary", "hello world", url_ + "/p"});
  EXPECT_EQ(post.out, "POST /p 11 " + address_.to_string() + "\n") << post.err;
  const auto chunked = run_process(
      {"curl", "-sS", "-H", "Transfer-Encoding: chunked", "--data-binary", "abc", url_ + "/c"});
  EXPECT_EQ(chunked.out, "POST /c 3 " + address_.to_string() + "\n") << chunked.err;
  const auto head = run_process({"curl", "-sS", "-I", url_ + "/h"});
  EXPECT_NE(head.out.find("HTTP/1.1 200 OK"), std::string::npos) << head.out;
  // HEAD: the length of what GET would have returned, and no body.
  const std::string get_body = "HEAD /h 0 " + address_.to_string() + "\n";
  EXPECT_NE(head.out.find("content-length: " + std::to_string(get_body.size())), std::string::npos)
      << head.out;
  EXPECT_EQ(head.out.find("HEAD /h"), std::string::npos);
}

TEST_F(ServerFixture, PipelinedRequestsAnsweredInOrderThroughSocat) {
  start();
  // /slow1 is answered after /2: responses must still come out in request order.
  const std::string input =
      "GET /slow1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
      "POST /3 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi";
  const auto r = run_process({"socat", "-t", "3", "-", "TCP:" + address_.to_string()}, input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto p1 = r.out.find("GET /slow1 0 a");
  const auto p2 = r.out.find("GET /2 0 a");
  const auto p3 = r.out.find("POST /3 2 a");
  ASSERT_NE(p1, std::string::npos) << r.out;
  ASSERT_NE(p2, std::string::npos) << r.out;
  ASSERT_NE(p3, std::string::npos) << r.out;
  EXPECT_LT(p1, p2);
  EXPECT_LT(p2, p3);
  // The half-close ends the connection once every answer is out.
  EXPECT_TRUE(testing::eventually([&] { return connections() == 0; }));
}

TEST_F(ServerFixture, PipelinedValidInvalidValid) {
  start();
  RawClient client(address_);
  client.send(
      "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"
      "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n");
  std::string out;
  EXPECT_TRUE(client.read_to_eof(out));
  EXPECT_EQ(out.find("HTTP/1.1 200 OK"), 0u) << out;
  EXPECT_NE(out.find("HTTP/1.1 400 Bad Request"), std::string::npos) << out;
  EXPECT_NE(out.find("(bad_host)"), std::string::npos);
  EXPECT_NE(out.find("connection: close"), std::string::npos);
  EXPECT_EQ(out.find("/3"), std::string::npos) << out;
  EXPECT_EQ(handled_.load(), 1);
  EXPECT_EQ(stats().rejected_total[static_cast<int>(RejectReason::BadHost)], 1u);
}

TEST_F(ServerFixture, BodyTooLargeIs413) {
  MessageServerOptions options;
  options.max_body_bytes = 1000;
  start(options);
  const std::string path = ::testing::TempDir() + "/ferry_http1_body";
  std::ofstream(path) << std::string(5000, 'b');
  const auto cl = run_process({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                               "--data-binary", "@" + path, url_ + "/big"});
  EXPECT_EQ(cl.out, "413") << cl.err;
  const auto chunked =
      run_process({"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                   "Transfer-Encoding: chunked", "--data-binary", "@" + path, url_ + "/big"});
  EXPECT_EQ(chunked.out, "413") << chunked.err;
  const auto fits =
      run_process({"curl", "-sS", "--data-binary", std::string(1000, 'x'), url_ + "/ok"});
  EXPECT_EQ(fits.out, "POST /ok 1000 " + address_.to_string() + "\n");
  EXPECT_EQ(stats().rejected_total[static_cast<int>(RejectReason::BodyTooLarge)], 2u);
  EXPECT_EQ(handled_.load(), 1);
}

TEST_F(ServerFixture, HeaderTimeoutIs408ThenClose) {
  MessageServerOptions options;
  options.header_timeout = 300ms;
  start(options);
  // An incomplete head that never finishes.
  const auto r =
      run_process({"sh", "-c",
                   "(printf 'GET / HTTP/1.1\\r\\nHost: a\\r\\n'; sleep 1) | socat -t 2 - TCP:" +
                       address_.to_string()},
                  {}, 8000ms);
  EXPECT_EQ(r.out.find("HTTP/1.1 408 Request Timeout"), 0u) << r.out << r.err;
  EXPECT_NE(r.out.find("connection: close"), std::string::npos);
  EXPECT_EQ(stats().rejected_total[static_cast<int>(RejectReason::HeaderTimeout)], 1u);
  // A connection that sends nothing is closed silently at the same deadline.
  RawClient silent(address_);
  std::string out;
  EXPECT_TRUE(silent.read_to_eof(out, 3000ms));
  EXPECT_TRUE(out.empty());
}

TEST_F(ServerFixture, OneByteAtATimeStillHitsTheAbsoluteHeaderDeadline) {
  MessageServerOptions options;
  options.header_timeout = 400ms;
  start(options);
  RawClient client(address_);
  std::string out;
  const auto started = std::chrono::steady_clock::now();
  // One byte every 100 ms: progress never extends the header deadline.
  for (char c : std::string("GET / HTTP/1.1\r\nHost: a\r\nX-Slow: aaaaaaaaaa")) {
    client.send(std::string(1, c));
    if (client.read_until("408", 100ms).find("408") != std::string::npos) {
      break;
    }
  }
  EXPECT_NE(client.read_until("408", 2000ms).find("HTTP/1.1 408"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST_F(ServerFixture, BodyIdleTimeoutIs408) {
  MessageServerOptions options;
  options.stream_idle_timeout = 300ms;
  start(options);
  RawClient client(address_);
  client.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
  std::string out;
  EXPECT_TRUE(client.read_to_eof(out, 3000ms));
  EXPECT_EQ(out.find("HTTP/1.1 408"), 0u) << out;
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(ServerFixture, IdleKeepAliveConnectionIsClosed) {
  MessageServerOptions options;
  options.idle_timeout = 200ms;
  start(options);
  RawClient client(address_);
  client.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_NE(client.read_until("GET /x 0 a\n").find("GET /x 0 a\n"), std::string::npos);
  std::string out;
  EXPECT_TRUE(client.read_to_eof(out, 3000ms));
  EXPECT_TRUE(testing::eventually([&] { return connections() == 0; }));
}

TEST_F(ServerFixture, ExpectContinue) {
  start();
  RawClient client(address_);
  client.send("POST /e HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  EXPECT_EQ(client.read_until("\r\n\r\n"), "HTTP/1.1 100 Continue\r\n\r\n");
  client.send("data");
  EXPECT_NE(client.read_until("POST /e 4 a\n").find("HTTP/1.1 200 OK"), std::string::npos);
  // curl waits for the 100 before sending a large body.
  const auto r = run_process({"curl", "-sS", "-H", "Expect: 100-continue", "--data-binary",
                              std::string(2000, 'z'), url_ + "/curl"});
  EXPECT_EQ(r.out, "POST /curl 2000 " + address_.to_string() + "\n") << r.err;
}

TEST_F(ServerFixture, ConnectionCloseAndHttp10) {
  start();
  RawClient close_client(address_);
  close_client.send(
      "GET /c HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\n\r\n");
  std::string out;
  EXPECT_TRUE(close_client.read_to_eof(out));
  EXPECT_NE(out.find("connection: close"), std::string::npos) << out;
  EXPECT_EQ(out.find("/never"), std::string::npos);
  RawClient old(address_);
  old.send("GET /old HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(old.read_to_eof(out));
  EXPECT_NE(out.find("GET /old 0 \n"), std::string::npos) << out;
}

TEST_F(ServerFixture, AbandonedResponderAnswers500) {
  start();
  const auto r = run_process({"curl", "-sS", "-w", " %{http_code}", url_ + "/drop"});
  EXPECT_NE(r.out.find(" 500"), std::string::npos) << r.out;
}

TEST_F(ServerFixture, MaxConnectionsClosesTheOverflow) {
  MessageServerOptions options;
  options.max_connections = 2;
  start(options);
  RawClient a(address_);
  RawClient b(address_);
  a.send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n");
  b.send("GET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_NE(a.read_until("GET /1").find("200"), std::string::npos);
  EXPECT_NE(b.read_until("GET /2").find("200"), std::string::npos);
  RawClient c(address_);
  std::string out;
  EXPECT_TRUE(c.read_to_eof(out, 3000ms));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(stats().connections_overflow, 1u);
}

TEST_F(ServerFixture, DrainLetsInFlightRequestsFinish) {
  start();
  RawClient busy(address_);
  busy.send("GET /hold HTTP/1.1\r\nHost: a\r\n\r\n");
  RawClient idle(address_);
  idle.send("GET /i HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_NE(idle.read_until("GET /i").find("200"), std::string::npos);
  ASSERT_TRUE(testing::eventually([&] { return io_.call([&] { return held_.size(); }) == 1; }));
  std::atomic<bool> drained{false};
  io_.call([&] { server_->drain([&] { drained = true; }); });
  std::string out;
  EXPECT_TRUE(idle.read_to_eof(out, 3000ms));  // idle keep-alive: closed at once
  EXPECT_FALSE(drained.load());
  // New connections are refused.
  RawClient late(address_);
  EXPECT_FALSE(late.connected() && late.read_until("x", 300ms).size() > 0);
  io_.call([&] {
    Response r;
    r.body = "finally\n";
    held_.front().send(std::move(r));
  });
  EXPECT_TRUE(busy.read_to_eof(out, 3000ms));
  EXPECT_NE(out.find("connection: close"), std::string::npos) << out;
  EXPECT_NE(out.find("finally"), std::string::npos);
  EXPECT_TRUE(testing::eventually([&] { return drained.load(); }));
}

TEST_F(ServerFixture, CloseAbandonsHeldRequests) {
  start();
  RawClient busy(address_);
  busy.send("GET /hold HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(testing::eventually([&] { return io_.call([&] { return held_.size(); }) == 1; }));
  io_.call([&] { server_->close(); });
  std::string out;
  EXPECT_TRUE(busy.read_to_eof(out, 3000ms));
  EXPECT_TRUE(out.empty());
  io_.call([&] { held_.front().send(Response{}); });  // a no-op now
  EXPECT_EQ(connections(), 0u);
}

TEST_F(ServerFixture, PipelineDepthIsBounded) {
  MessageServerOptions options;
  options.max_pipelined_requests = 1;
  start(options);
  RawClient client(address_);
  client.send("GET /hold HTTP/1.1\r\nHost: a\r\n\r\nGET /after HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_TRUE(testing::eventually([&] { return io_.call([&] { return held_.size(); }) == 1; }));
  // The second request waits in the buffer until the first is answered.
  EXPECT_EQ(handled_.load(), 1);
  io_.call([&] { held_.front().send(Response{204, {}, {}, {}, false}); });
  const std::string out = client.read_until("GET /after");
  EXPECT_EQ(out.find("HTTP/1.1 204 No Content\r\n\r\n"), 0u) << out;
  EXPECT_NE(out.find("GET /after 0 a"), std::string::npos) << out;
}

TEST_F(ServerFixture, RejectionsCarryTheirStatus) {
  start();
  const std::map<std::string, std::string> cases = {
      {"GET / HTTP/1.1\r\n\r\n", "400"},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
       "400"},
      {"GET /" + std::string(17000, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", "414"},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "501"},
      {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "505"},
  };
  for (const auto& [request, status] : cases) {
    RawClient client(address_);
    client.send(request);
    std::string out;
    EXPECT_TRUE(client.read_to_eof(out));
    EXPECT_EQ(out.substr(0, 12), "HTTP/1.1 " + status) << request.substr(0, 60);
  }
  EXPECT_EQ(handled_.load(), 0);
}

}  // namespace
}  // namespace ferry::core::http1
