#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ferry::test {

// Blocking socket helpers for tests. Every call has a deadline (SO_RCVTIMEO /
// SO_SNDTIMEO), so a test can never hang on the network.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket();
  Socket(Socket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Socket& operator=(Socket&& o) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  // Connects to "ip:port" / "[v6]:port"; invalid Socket on failure.
  static Socket connect(const std::string& address,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));
  bool valid() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  bool send_all(const std::string& data);
  // Reads until EOF, error or timeout; returns what arrived.
  std::string read_all(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Reads until `n` bytes or EOF/timeout.
  std::string read_exactly(std::size_t n,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Reads whatever arrives within `timeout` (at least one read).
  std::string read_some(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  void shutdown_write();
  // True when the peer closed (EOF or reset) within `timeout`.
  bool wait_closed(std::chrono::milliseconds timeout);
  void close();

 private:
  void set_timeout(std::chrono::milliseconds timeout);
  int fd_ = -1;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
  std::string raw;
};

// One HTTP/1.1 request with `Connection: close`; status 0 when no valid
// answer came back. Handles Content-Length, chunked and read-to-close bodies.
HttpResponse http_request(const std::string& address, const std::string& method,
                          const std::string& path, const std::string& body = {},
                          const std::map<std::string, std::string>& headers = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));
inline HttpResponse http_get(const std::string& address, const std::string& path) {
  return http_request(address, "GET", path);
}
// Parses a complete raw HTTP/1.1 response (test-side, lenient).
HttpResponse parse_http_response(const std::string& raw);

// A TCP echo server on 127.0.0.1 (or ::1) for tests: one thread per
// connection, echoes everything, carries the client's FIN back as its own.
class EchoServer {
 public:
  explicit EchoServer(bool ipv6 = false);
  ~EchoServer();
  std::string address() const { return address_; }
  int connections_accepted() const { return accepted_.load(); }

 private:
  void serve();
  int listen_fd_ = -1;
  std::string address_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread acceptor_;
  std::vector<std::thread> handlers_;
};

}  // namespace ferry::test
