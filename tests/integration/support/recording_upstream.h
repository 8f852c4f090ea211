#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace ferry::test {

// One request as the RecordingUpstream received it. Created when its head
// arrived (`complete` false until the whole body did), so a test can see a
// head that reached the upstream even when its body never came.
struct RecordedRequest {
  int connection = 0;  // 1-based accept order
  std::string head;    // raw request line and fields, up to and including the empty line
  std::string method;
  std::string target;
  std::string version;
  // Field names lower-cased; repeated fields keep every value in order.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // decoded body (its first Options::max_recorded_body bytes)
  std::uint64_t body_size = 0;
  std::uint64_t body_checksum = 0;  // byte_pattern_checksum() over the whole decoded body
  bool chunked = false;             // the upstream received it chunked
  bool complete = false;

  // First value of `name` (lower-case), or nullopt.
  std::optional<std::string> header(const std::string& name) const;
  std::size_t header_count(const std::string& name) const;
};

// What the upstream answers to one request. The default is a 200 with a small
// body, kept alive.
struct UpstreamReply {
  int status = 200;
  std::string reason = "OK";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body = "ok";
  // When non-zero: a body of this many pattern bytes (byte_pattern) instead of
  // `body`, generated while sending (for 100 MiB downloads).
  std::uint64_t generated_body_size = 0;
  bool chunked = false;  // send the body chunked instead of with Content-Length
  std::size_t chunk_size = 16 * 1024;
  bool no_framing = false;  // neither Content-Length nor chunked: the body ends at close
  // Sent verbatim instead of a composed response (malformed responses).
  std::optional<std::string> raw;
  std::chrono::milliseconds delay{0};       // before the first response byte
  std::chrono::milliseconds body_delay{0};  // between the head and the body
  // Writes only this many bytes of the response, then closes.
  std::optional<std::size_t> close_after_bytes;
  bool reset = false;   // answer nothing; reset the connection (RST)
  bool close = false;   // close after the response (adds `Connection: close` if composed)
  bool silent = false;  // never answer; keep the connection open until the peer closes
  // After the response (a 101), echo every byte back until the peer closes.
  bool echo_after = false;
};

// Byte `i` of every generated body, and an order-sensitive checksum over a
// byte sequence, so a 100 MiB transfer is verified without keeping it.
char byte_pattern(std::uint64_t i);
std::uint64_t byte_pattern_checksum(std::uint64_t state, std::string_view data);
// The checksum of `size` pattern bytes.
std::uint64_t pattern_checksum(std::uint64_t size);

// A scriptable HTTP/1.1 upstream for integration tests, on 127.0.0.1 with an
// ephemeral port. It records every connection it accepted, every raw byte it
// received and every request it parsed, and answers each request with what
// the handler returns. A thread per connection, blocking I/O with short
// polls: every wait is bounded, and the destructor stops and joins all.
//
// The keep-alive race: with `idle_close_probability` > 0, after each
// response the connection waits only a random time up to `idle_close_max`
// for the next request and then closes, like a server whose keep-alive
// timeout fires as the next request is on its way (unread bytes make the
// kernel answer them with a reset).
class RecordingUpstream {
 public:
  using Handler = std::function<UpstreamReply(const RecordedRequest&)>;
  struct Options {
    Handler handler;  // null: the default UpstreamReply
    double idle_close_probability = 0;
    std::chrono::microseconds idle_close_max{0};
    std::size_t max_recorded_body = 1024 * 1024;
    std::size_t max_recorded_raw = 8 * 1024 * 1024;  // raw_received() keeps this much
    std::uint32_t seed = 1;
    // Waits this long after each request head before reading its body (to
    // show that a sender is held back rather than buffered without bound).
    std::chrono::milliseconds body_read_delay{0};
    // 127.0.0.1:port; 0: an ephemeral port.
    std::uint16_t port = 0;
  };

  RecordingUpstream();
  explicit RecordingUpstream(Options options);
  ~RecordingUpstream();
  RecordingUpstream(const RecordingUpstream&) = delete;
  RecordingUpstream& operator=(const RecordingUpstream&) = delete;

  // "127.0.0.1:PORT".
  const std::string& address() const { return address_; }
  // Replaces the handler for requests arriving from now on.
  void set_handler(Handler handler);

  int connections() const { return accepted_.load(); }
  // Connections the upstream closed by itself while idle (the race).
  int idle_closes() const { return idle_closes_.load(); }
  std::vector<RecordedRequest> requests() const;
  std::size_t request_count() const;
  // The bytes received on all connections in arrival order (the first
  // Options::max_recorded_raw of them); bytes_received() counts them all.
  std::string raw_received() const;
  std::uint64_t bytes_received() const { return bytes_received_.load(); }
  // Waits (bounded) until `n` request heads arrived.
  bool wait_requests(std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Waits (bounded) until every connection the upstream accepted was closed.
  bool wait_all_closed(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  int open_connections() const { return open_.load(); }

 private:
  class Connection;
  void accept_loop();
  std::size_t add_request(RecordedRequest request);
  void update_request(std::size_t index, const std::function<void(RecordedRequest&)>& change);
  UpstreamReply reply_for(const RecordedRequest& request);
  void record_bytes(std::string_view data);
  bool random_idle_close(std::chrono::microseconds* wait);

  Options options_;
  int listen_fd_ = -1;
  std::string address_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> open_{0};
  std::atomic<int> idle_closes_{0};
  std::atomic<std::uint64_t> bytes_received_{0};
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<RecordedRequest> requests_;
  std::string raw_;
  std::uint64_t rng_state_;
  std::thread acceptor_;
  std::vector<std::thread> handlers_;
};

}  // namespace ferry::test
