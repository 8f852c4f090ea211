#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tests/integration/support/net.h"

namespace ferry::test {

// One response as a test client read it, with what a proxy test needs to
// know beyond status and body: whether its framing said it ended.
struct ClientResponse {
  int status = 0;  // 0: no complete head arrived
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;                                          // decoded
  // The framing says the response ended: Content-Length reached, the last
  // chunk seen, or (read-to-close bodies) the peer closed. False for a
  // truncated response.
  bool complete = false;
  bool chunked = false;
  std::optional<std::string> header(const std::string& name) const;
};

// A kept-alive HTTP/1.1 client connection for raw-byte tests: sends bytes as
// given, reads responses one at a time (pipelining), tells whether the
// server closed. Every read is bounded by a timeout.
class HttpClient {
 public:
  explicit HttpClient(const std::string& address,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool connected() const { return socket_.valid(); }
  bool send(const std::string& bytes) { return socket_.send_all(bytes); }
  // Reads one response. `head_request`: the request was HEAD (no body).
  ClientResponse read_response(bool head_request = false,
                               std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // True when the server closed the connection within `timeout`; bytes that
  // arrived before the close are appended to leftover().
  bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // Bytes read but not yet part of a response.
  const std::string& leftover() const { return buffer_; }
  Socket& socket() { return socket_; }

 private:
  enum class Fill { Data, Closed, Timeout };
  Fill fill(std::chrono::steady_clock::time_point deadline);
  Socket socket_;
  std::string buffer_;
  bool eof_ = false;
};

// "METHOD TARGET HTTP/1.1\r\nHost: HOST\r\n<headers>\r\n<body>" with a
// Content-Length when `body` is non-empty. `host` empty: no Host field.
std::string make_request(const std::string& method, const std::string& target,
                         const std::string& host,
                         const std::vector<std::pair<std::string, std::string>>& headers = {},
                         const std::string& body = {});

// Peak and current resident set size of a process (kB), from /proc/PID/status.
long vm_hwm_kb(int pid);
long vm_rss_kb(int pid);

}  // namespace ferry::test
