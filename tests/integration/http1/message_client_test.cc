#include "proxy/core/http1/message_client.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/error.hpp>
#include <boost/asio/io_context.hpp>

#include "proxy/core/http1/message_server.h"
#include "tests/integration/http1/support.h"

namespace ferry::core::http1 {
namespace {

using namespace std::chrono_literals;
using testing::ScriptedServer;

struct Outcome {
  boost::system::error_code ec;
  Response response;
};

class ClientTest : public ::testing::Test {
 protected:
  // Queues a request; the outcome lands in the returned slot.
  std::shared_ptr<std::optional<Outcome>> send(MessageClient& client, http::Method method,
                                               std::string target, std::string body = {}) {
    auto slot = std::make_shared<std::optional<Outcome>>();
    ClientRequest request;
    request.method = method;
    request.target = std::move(target);
    request.body = std::move(body);
    client.request(std::move(request), [slot](boost::system::error_code ec, Response r) {
      slot->emplace(Outcome{ec, std::move(r)});
    });
    return slot;
  }

  Outcome await(const std::shared_ptr<std::optional<Outcome>>& slot) {
    EXPECT_TRUE(testing::run_until(io_, [&] { return slot->has_value(); }));
    return slot->value_or(Outcome{boost::asio::error::timed_out, {}});
  }

  boost::asio::io_context io_;
};

// --- against nginx ---

class NginxClientTest : public ClientTest {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("ferry_nginx_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "big.txt") << big_;
    const std::uint16_t port = testing::free_port();
    address_ = *SocketAddress::parse("127.0.0.1:" + std::to_string(port));
    const std::string d = dir_.string();
    std::ofstream(dir_ / "nginx.conf")
        << "daemon off;\nmaster_process off;\nworker_processes 1;\npid " << d
        << "/nginx.pid;\nerror_log " << d << "/error.log;\nevents { worker_connections 64; }\n"
        << "http {\n  access_log off;\n  client_body_temp_path " << d << "/body;\n"
        << "  proxy_temp_path " << d << "/proxy;\n  fastcgi_temp_path " << d << "/fcgi;\n"
        << "  uwsgi_temp_path " << d << "/uwsgi;\n  scgi_temp_path " << d << "/scgi;\n"
        << "  server {\n    listen " << address_.to_string() << ";\n"
        << "    location = /hello { return 200 \"hello from nginx\\n\"; }\n"
        << "    location = /method { return 200 \"$request_method $content_length\\n\"; }\n"
        << "    location = /close { keepalive_timeout 0; return 200 \"bye\\n\"; }\n"
        << "    location = /big.txt { root " << d << "; }\n"
        << "    location / { return 404; }\n  }\n}\n";
    nginx_ = std::make_unique<testing::BackgroundProcess>(std::vector<std::string>{
        "nginx", "-c", (dir_ / "nginx.conf").string(), "-p", d, "-g", "user root;"});
    ASSERT_TRUE(testing::wait_listening(address_)) << "nginx did not start";
  }

  void TearDown() override {
    nginx_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  static inline int counter_ = 0;
  std::filesystem::path dir_;
  SocketAddress address_;
  std::unique_ptr<testing::BackgroundProcess> nginx_;
  const std::string big_ = std::string(100 * 1024, 'n') + "end";
};

TEST_F(NginxClientTest, SequentialRequestsOnOneKeptAliveConnection) {
  MessageClient client(io_, address_);
  auto a = send(client, http::Method::Get, "/hello");
  auto b = send(client, http::Method::Head, "/hello");
  auto c = send(client, http::Method::Post, "/method", "twelve bytes");
  auto d = send(client, http::Method::Get, "/missing");
  auto e = send(client, http::Method::Get, "/big.txt");
  const Outcome oa = await(a);
  ASSERT_FALSE(oa.ec) << oa.ec.message();
  EXPECT_EQ(oa.response.status, 200);
  EXPECT_EQ(oa.response.body, "hello from nginx\n");
  EXPECT_TRUE(oa.response.headers.contains("server"));
  EXPECT_FALSE(oa.response.headers.contains("content-length"));  // framing is not a header
  const Outcome ob = await(b);
  EXPECT_EQ(ob.response.status, 200);
  EXPECT_TRUE(ob.response.body.empty());
  EXPECT_EQ(await(c).response.body, "POST 12\n");
  const Outcome od = await(d);
  EXPECT_FALSE(od.ec);
  EXPECT_EQ(od.response.status, 404);
  EXPECT_EQ(await(e).response.body, big_);
  EXPECT_EQ(client.stats().connects, 1u);
  EXPECT_EQ(client.stats().requests, 5u);
}

TEST_F(NginxClientTest, ConnectionCloseFromTheServerMeansANewConnection) {
  MessageClient client(io_, address_);
  EXPECT_EQ(await(send(client, http::Method::Get, "/close")).response.body, "bye\n");
  EXPECT_EQ(await(send(client, http::Method::Get, "/hello")).response.status, 200);
  EXPECT_EQ(client.stats().connects, 2u);
  EXPECT_EQ(client.stats().retries, 0u);
}

// --- against MessageServer, both on this thread's io_context ---

class OwnServerClientTest : public ClientTest {
 protected:
  void start(MessageServerOptions options = {}, const char* listen = "127.0.0.1:0") {
    server_ = std::make_unique<MessageServer>(
        io_,
        [this](Request request, Responder responder) {
          if (request.head.path == "/hold") {
            held_.push_back(std::move(responder));
            return;
          }
          Response r;
          r.body = request.head.method_text + " " + request.head.path + " " + request.body;
          responder.send(std::move(r));
        },
        options);
    ASSERT_FALSE(server_->listen(*SocketAddress::parse(listen)));
  }
  void TearDown() override {
    held_.clear();
    if (server_) {
      server_->close();
    }
  }
  std::unique_ptr<MessageServer> server_;
  std::vector<Responder> held_;
};

TEST_F(OwnServerClientTest, KeepAliveAndBodies) {
  start();
  MessageClient client(io_, server_->local_address());
  EXPECT_EQ(await(send(client, http::Method::Get, "/a")).response.body, "GET /a ");
  EXPECT_EQ(await(send(client, http::Method::Put, "/b", "payload")).response.body,
            "PUT /b payload");
  ClientRequest custom;
  custom.method = http::Method::Other;
  custom.method_text = "PURGE";
  custom.target = "/c";
  custom.headers.add("Host", "custom.host");
  auto slot = std::make_shared<std::optional<Outcome>>();
  client.request(std::move(custom), [slot](auto ec, Response r) {
    slot->emplace(Outcome{ec, std::move(r)});
  });
  EXPECT_EQ(await(slot).response.body, "PURGE /c ");
  EXPECT_EQ(client.stats().connects, 1u);
  EXPECT_EQ(server_->stats().connections_total, 1u);
}

TEST_F(OwnServerClientTest, Ipv6Loopback) {
  start({}, "[::1]:0");
  MessageClient client(io_, server_->local_address());
  const Outcome o = await(send(client, http::Method::Get, "/v6"));
  ASSERT_FALSE(o.ec) << o.ec.message();
  EXPECT_EQ(o.response.body, "GET /v6 ");
}

TEST_F(OwnServerClientTest, IdleCloseByTheServerIsNoticedBeforeReuse) {
  MessageServerOptions options;
  options.idle_timeout = 100ms;
  start(options);
  MessageClient client(io_, server_->local_address());
  EXPECT_FALSE(await(send(client, http::Method::Post, "/1", "x")).ec);
  ASSERT_TRUE(testing::run_until(io_, [&] { return server_->connection_count() == 0; }));
  testing::run_until(
      io_, [] { return false; }, 50ms);  // let the client see the FIN
  const Outcome second = await(send(client, http::Method::Post, "/2", "y"));
  EXPECT_FALSE(second.ec) << second.ec.message();  // a POST: it must not need a retry
  EXPECT_EQ(client.stats().connects, 2u);
  EXPECT_EQ(client.stats().retries, 0u);
}

TEST_F(OwnServerClientTest, RequestTimeoutThenRecovery) {
  start();
  MessageClientOptions options;
  options.request_timeout = 200ms;
  MessageClient client(io_, server_->local_address(), options);
  const auto started = std::chrono::steady_clock::now();
  const Outcome held = await(send(client, http::Method::Get, "/hold"));
  EXPECT_EQ(held.ec, boost::asio::error::timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_EQ(await(send(client, http::Method::Get, "/after")).response.body, "GET /after ");
}

TEST_F(OwnServerClientTest, CloseFailsQueuedRequests) {
  start();
  MessageClient client(io_, server_->local_address());
  auto a = send(client, http::Method::Get, "/hold");
  auto b = send(client, http::Method::Get, "/queued");
  ASSERT_TRUE(testing::run_until(io_, [&] { return held_.size() == 1; }));
  client.close();
  EXPECT_FALSE(a->has_value());  // posted, never called from inside close()
  EXPECT_EQ(await(a).ec, boost::asio::error::operation_aborted);
  EXPECT_EQ(await(b).ec, boost::asio::error::operation_aborted);
  EXPECT_EQ(await(send(client, http::Method::Get, "/x")).ec, boost::asio::error::operation_aborted);
}

TEST_F(ClientTest, ConnectionRefused) {
  MessageClient client(io_,
                       *SocketAddress::parse("127.0.0.1:" + std::to_string(testing::free_port())));
  EXPECT_EQ(await(send(client, http::Method::Get, "/")).ec, boost::asio::error::connection_refused);
}

// --- against scripted raw servers ---

std::string ok(std::string body) {
  return "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

TEST_F(ClientTest, IdempotentRequestRetriedOnceWhenAReusedConnectionDies) {
  ScriptedServer server({
      [](int fd) {
        ScriptedServer::read_head(fd);
        ScriptedServer::write_all(fd, ok("one"));
        ScriptedServer::read_head(fd);  // the second request arrives; close without a byte
      },
      [](int fd) {
        ScriptedServer::read_head(fd);
        ScriptedServer::write_all(fd, ok("two"));
      },
  });
  MessageClient client(io_, server.address());
  EXPECT_EQ(await(send(client, http::Method::Get, "/1")).response.body, "one");
  const Outcome second = await(send(client, http::Method::Get, "/2"));
  ASSERT_FALSE(second.ec) << second.ec.message();
  EXPECT_EQ(second.response.body, "two");
  EXPECT_EQ(client.stats().retries, 1u);
  EXPECT_EQ(client.stats().connects, 2u);
}

TEST_F(ClientTest, NonIdempotentRequestIsNotRetried) {
  ScriptedServer server({[](int fd) {
    ScriptedServer::read_head(fd);
    ScriptedServer::write_all(fd, ok("one"));
    ScriptedServer::read_head(fd);
  }});
  MessageClient client(io_, server.address());
  EXPECT_EQ(await(send(client, http::Method::Get, "/1")).response.body, "one");
  const Outcome post = await(send(client, http::Method::Post, "/2", "data"));
  // A close (FIN) or, with the unread body in the server's buffer, a reset.
  EXPECT_TRUE(post.ec == ClientError::ConnectionClosed ||
              post.ec == boost::asio::error::connection_reset)
      << post.ec.message();
  EXPECT_EQ(client.stats().retries, 0u);
}

TEST_F(ClientTest, FreshConnectionFailureIsNotRetried) {
  ScriptedServer server({[](int fd) {
    ScriptedServer::read_head(fd);
  }});
  MessageClient client(io_, server.address());
  EXPECT_EQ(await(send(client, http::Method::Get, "/")).ec, ClientError::ConnectionClosed);
  EXPECT_EQ(client.stats().retries, 0u);
}

TEST_F(ClientTest, ResponseFramings) {
  ScriptedServer server({
      [](int fd) {
        ScriptedServer::read_head(fd);
        ScriptedServer::write_all(fd,
                                  "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
                                  "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=1\r\nde\r\n"
                                  "0\r\nX-Trailer: t\r\n\r\n");
        ScriptedServer::read_head(fd);
        ScriptedServer::write_all(fd, "HTTP/1.1 204 No Content\r\n\r\n");
        ScriptedServer::read_head(fd);
        ScriptedServer::write_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n");
        ScriptedServer::read_head(fd);
        ScriptedServer::write_all(fd, "HTTP/1.0 200 OK\r\n\r\nuntil the end");
      },
  });
  MessageClient client(io_, server.address());
  const Outcome chunked = await(send(client, http::Method::Post, "/c", "body"));
  ASSERT_FALSE(chunked.ec) << chunked.ec.message();
  EXPECT_EQ(chunked.response.body, "abcde");
  EXPECT_EQ(await(send(client, http::Method::Get, "/n")).response.status, 204);
  const Outcome head = await(send(client, http::Method::Head, "/h"));
  EXPECT_FALSE(head.ec);
  EXPECT_TRUE(head.response.body.empty());
  const Outcome close_delimited = await(send(client, http::Method::Get, "/e"));
  ASSERT_FALSE(close_delimited.ec) << close_delimited.ec.message();
  EXPECT_EQ(close_delimited.response.body, "until the end");
  EXPECT_EQ(client.stats().connects, 1u);
}

TEST_F(ClientTest, BrokenResponsesAreErrorsAndTheConnectionIsDropped) {
  ScriptedServer server({
      [](int fd) {
        ScriptedServer::read_head(fd);
        ScriptedServer::write_all(
            fd, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
      },
      [](int fd) {
        ScriptedServer::read_head(fd);
        ScriptedServer::write_all(fd, ok(std::string(100, 'x')));
      },
      [](int fd) {
        ScriptedServer::read_head(fd);
        ScriptedServer::write_all(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\ncut");
      },
  });
  MessageClientOptions options;
  options.max_response_body = 10;
  MessageClient client(io_, server.address(), options);
  EXPECT_EQ(await(send(client, http::Method::Get, "/cl-te")).ec, ClientError::ProtocolError);
  EXPECT_EQ(await(send(client, http::Method::Get, "/big")).ec, ClientError::ResponseTooLarge);
  EXPECT_EQ(await(send(client, http::Method::Get, "/cut")).ec, ClientError::ConnectionClosed);
  EXPECT_EQ(client.stats().connects, 3u);
  EXPECT_EQ(client.stats().retries, 0u);
}

}  // namespace
}  // namespace ferry::core::http1
