// Bodies: chunked in both directions, bad chunked framing (H1-06, H1-07),
// and 100 MiB transfers with the proxy's memory bounded by back-pressure.
#include <poll.h>
#include <sys/socket.h>

#include <iostream>
#include <string>
#include <vector>

#include "tests/integration/http/http_test_support.h"

namespace ferry::test {
namespace {

class BodyTest : public ProxyTest {};

TEST_F(BodyTest, ChunkedRequestBodyArrivesWhole) {
  RecordingUpstream upstream;
  start_proxy(upstream);
  HttpClient client(web());
  client.send(
      "POST /chunks HTTP/1.1\r\nHost: ferry.test\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n"
      "1;ext=\"quoted value\"\r\n \r\n"
      "a\r\n0123456789\r\n"
      "0\r\nX-Trailer: t\r\n\r\n");
  const ClientResponse response = client.read_response();
  EXPECT_EQ(response.status, 200);
  ASSERT_TRUE(upstream.wait_requests(1));
  const RecordedRequest request = upstream.requests()[0];
  EXPECT_TRUE(request.complete);
  EXPECT_EQ(request.body, "hello 0123456789");
  EXPECT_TRUE(request.chunked);
  EXPECT_EQ(request.header_count("content-length"), 0u);
  // The connection stays usable.
  client.send(get_request(host(), "/after"));
  EXPECT_EQ(client.read_response().status, 200);
}

TEST_F(BodyTest, ContentLengthRequestBodyKeepsItsLength) {
  RecordingUpstream upstream;
  start_proxy(upstream);
  const std::string body(200 * 1024, 'x');
  const ClientResponse response =
      exchange(make_request("PUT", "/put", "ferry.test", {{"Connection", "close"}}, body));
  EXPECT_EQ(response.status, 200);
  ASSERT_TRUE(upstream.wait_requests(1));
  const RecordedRequest request = upstream.requests()[0];
  EXPECT_EQ(request.header("content-length"), std::optional<std::string>("204800"));
  EXPECT_EQ(request.body, body);
}

TEST_F(BodyTest, ChunkedResponseBodyArrivesWholeAndChunked) {
  RecordingUpstream upstream;
  std::string body;
  for (int i = 0; i < 20000; ++i) {
    body += static_cast<char>('A' + i % 26);
  }
  upstream.set_handler([&](const RecordedRequest&) {
    UpstreamReply reply;
    reply.body = body;
    reply.chunked = true;
    reply.chunk_size = 7;
    return reply;
  });
  start_proxy(upstream);
  HttpClient client(web());
  client.send(get_request(host(), "/one"));
  ClientResponse response = client.read_response();
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(response.chunked);
  EXPECT_TRUE(response.complete);
  EXPECT_EQ(response.body, body);
  // An HTTP/1.0 client cannot take chunks: the body is delimited by close.
  HttpClient old(web());
  old.send("GET /old HTTP/1.0\r\nHost: ferry.test\r\n\r\n");
  response = old.read_response();
  EXPECT_EQ(response.status, 200);
  EXPECT_FALSE(response.chunked);
  EXPECT_FALSE(response.header("content-length").has_value());
  EXPECT_TRUE(response.complete);
  EXPECT_EQ(response.body, body);
}

TEST_F(BodyTest, H1_06_H1_07_BadChunkFramingIsRefusedAndNeverForwardedWhole) {
  RecordingUpstream upstream;
  start_proxy(upstream);
  const std::string head =
      "POST /c HTTP/1.1\r\nHost: ferry.test\r\nTransfer-Encoding: chunked\r\n\r\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"bare LF after size", "5;\nhello\r\n0\r\n\r\n"},
      {"bare LF after data", "5\r\nhello\n0\r\n\r\n"},
      {"bare LF at the end", "5\r\nhello\r\n0\r\n\n"},
      {"17 hex digits", "00000000000000005\r\nhello\r\n0\r\n\r\n"},
      {"overflow", "ffffffffffffffff\r\nhello\r\n0\r\n\r\n"},
      {"empty size", "\r\nhello\r\n0\r\n\r\n"},
      {"negative", "-1\r\nhello\r\n0\r\n\r\n"},
      {"NUL in ext", "5;a" + std::string(1, '\0') + "b\r\nhello\r\n0\r\n\r\n"},
      {"unbalanced quote", "5;a=\"b\r\nhello\r\n0\r\n\r\n"},
      {"bare CR in ext", "5;a\rb\r\nhello\r\n0\r\n\r\n"},
      {"data longer than declared", "5\r\nhelloXX\r\n0\r\n\r\n"},
      {"data shorter than declared", "5\r\nhel\r\n0\r\n\r\n"},
  };
  for (const auto& [name, body] : cases) {
    SCOPED_TRACE(name);
    const double before = std::max(0.0, rejected("bad_chunk"));
    HttpClient client(web());
    client.send(head + body);
    const ClientResponse response = client.read_response();
    // The head may have gone upstream already: 400 if no response byte went
    // out, else a plain close; never a success.
    if (response.status != 0) {
      EXPECT_EQ(response.status, 400);
    }
    EXPECT_TRUE(client.wait_closed());
    EXPECT_TRUE(eventually([&] { return rejected("bad_chunk") == before + 1; }, 5s));
  }
  // Whatever reached the upstream never became a complete request, and every
  // upstream connection that carried part of one was closed (aborted).
  EXPECT_TRUE(upstream.wait_all_closed());
  for (const auto& r : upstream.requests()) {
    EXPECT_FALSE(r.complete) << r.head;
  }
}

TEST_F(BodyTest, H1_07_BadChunkAfterTheBodyStartedStreamingAbortsTheUpstreamRequest) {
  RecordingUpstream upstream;
  start_proxy(upstream);
  HttpClient client(web());
  client.send(
      "POST /c HTTP/1.1\r\nHost: ferry.test\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n");
  ASSERT_TRUE(upstream.wait_requests(1));
  ASSERT_TRUE(eventually([&] { return upstream.requests()[0].body_size == 5; }));
  client.send("zz\r\nworld\r\n0\r\n\r\n");
  const ClientResponse response = client.read_response();
  if (response.status != 0) {
    EXPECT_EQ(response.status, 400);
  }
  EXPECT_TRUE(client.wait_closed());
  EXPECT_TRUE(upstream.wait_all_closed()) << "the upstream request was not aborted";
  const RecordedRequest request = upstream.requests()[0];
  EXPECT_FALSE(request.complete);
  EXPECT_EQ(request.body, "hello");
  EXPECT_EQ(upstream.raw_received().find("world"), std::string::npos);
}

// Reads one response with a Content-Length body from `socket`, checksumming
// the body as it streams. Returns the status, or 0.
int read_streamed_response(Socket& socket, std::uint64_t* size, std::uint64_t* checksum) {
  std::string buffer;
  char buf[65536];
  std::size_t head_end;
  while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
    const std::string more = socket.read_some(10s);
    if (more.empty()) {
      return 0;
    }
    buffer += more;
  }
  const int status = std::atoi(buffer.substr(9, 3).c_str());
  std::string head = buffer.substr(0, head_end);
  for (char& c : head) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  const auto cl = head.find("content-length:");
  if (cl == std::string::npos) {
    return 0;
  }
  const std::uint64_t length = std::strtoull(head.c_str() + cl + 15, nullptr, 10);
  std::string_view rest(buffer);
  rest.remove_prefix(head_end + 4);
  *checksum = byte_pattern_checksum(1469598103934665603ULL, rest);
  *size = rest.size();
  while (*size < length) {
    pollfd p{socket.fd(), POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) {
      break;
    }
    const ssize_t n = ::recv(socket.fd(), buf, sizeof buf, 0);
    if (n <= 0) {
      break;
    }
    *checksum =
        byte_pattern_checksum(*checksum, std::string_view(buf, static_cast<std::size_t>(n)));
    *size += static_cast<std::uint64_t>(n);
  }
  return status;
}

constexpr std::uint64_t k100MiB = 100ULL * 1024 * 1024;
constexpr long kRssBoundKb = 64 * 1024;

TEST_F(BodyTest, Slow100MiBDownloadStreamsWithBoundedMemory) {
  RecordingUpstream upstream;
  upstream.set_handler([](const RecordedRequest&) {
    UpstreamReply reply;
    reply.generated_body_size = k100MiB;
    reply.chunk_size = 256 * 1024;
    return reply;
  });
  start_proxy(upstream);
  Socket socket = Socket::connect(web(), 10s);
  ASSERT_TRUE(socket.send_all(get_request(host(), "/big")));
  // The client does not read for a while: the upstream could send all
  // 100 MiB in that time, so only back-pressure keeps the proxy small.
  ::usleep(1500 * 1000);
  std::uint64_t size = 0;
  std::uint64_t checksum = 0;
  EXPECT_EQ(read_streamed_response(socket, &size, &checksum), 200);
  EXPECT_EQ(size, k100MiB);
  EXPECT_EQ(checksum, pattern_checksum(k100MiB));
  const long hwm = vm_hwm_kb(proxy().process().pid());
  EXPECT_GT(hwm, 0);
  EXPECT_LT(hwm, kRssBoundKb) << "peak RSS " << hwm << " kB";
  std::cerr << "100 MiB download: proxy peak RSS " << hwm << " kB\n";
}

TEST_F(BodyTest, Slow100MiBUploadStreamsWithBoundedMemory) {
  RecordingUpstream::Options options;
  options.max_recorded_body = 64;
  options.max_recorded_raw = 4096;
  // The upstream does not read the body for a while: only back-pressure
  // keeps the proxy from buffering what the client pushes meanwhile.
  options.body_read_delay = 1500ms;
  RecordingUpstream upstream(options);
  start_proxy(upstream);
  Socket socket = Socket::connect(web(), 10s);
  ASSERT_TRUE(socket.send_all("POST /upload HTTP/1.1\r\nHost: ferry.test\r\nContent-Length: " +
                              std::to_string(k100MiB) + "\r\n\r\n"));
  std::string piece(256 * 1024, '\0');
  for (std::uint64_t sent = 0; sent < k100MiB; sent += piece.size()) {
    for (std::size_t i = 0; i < piece.size(); ++i) {
      piece[i] = byte_pattern(sent + i);
    }
    ASSERT_TRUE(socket.send_all(piece)) << "after " << sent;
  }
  const HttpResponse response = parse_http_response(socket.read_some(30s));
  EXPECT_EQ(response.status, 200);
  ASSERT_TRUE(upstream.wait_requests(1));
  const RecordedRequest request = upstream.requests()[0];
  EXPECT_TRUE(request.complete);
  EXPECT_EQ(request.body_size, k100MiB);
  EXPECT_EQ(request.body_checksum, pattern_checksum(k100MiB));
  const long hwm = vm_hwm_kb(proxy().process().pid());
  EXPECT_LT(hwm, kRssBoundKb) << "peak RSS " << hwm << " kB";
  std::cerr << "100 MiB upload: proxy peak RSS " << hwm << " kB\n";
}

}  // namespace
}  // namespace ferry::test

namespace ferry::test {
namespace {

// ferry answers `Expect: 100-continue` itself; the upstream never sees it.
TEST_F(BodyTest, ExpectContinueIsAnsweredByTheProxy) {
  RecordingUpstream upstream;
  start_proxy(upstream);
  HttpClient client(web());
  client.send(
      "POST /e HTTP/1.1\r\nHost: ferry.test\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
  const ClientResponse interim = client.read_response();
  EXPECT_EQ(interim.status, 100);
  client.send("data");
  EXPECT_EQ(client.read_response().status, 200);
  ASSERT_TRUE(upstream.wait_requests(1));
  const RecordedRequest r = upstream.requests()[0];
  EXPECT_FALSE(r.header("expect").has_value());
  EXPECT_EQ(r.body, "data");
}

}  // namespace
}  // namespace ferry::test
