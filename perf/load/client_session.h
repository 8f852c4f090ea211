#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "perf/load/run_results.h"

namespace ferry::perf {

// When a request was meant to go out and when it did. Closed loop: both are
// the send time. Open loop: `intended_ns` comes from the schedule and latency
// is measured from it.
struct RequestTiming {
  std::uint64_t intended_ns = 0;
  std::uint64_t sent_ns = 0;
};

// The one request a run sends, over and over: GET `path` on `authority`,
// plus the user's extra headers. Built once at start-up; every session keeps
// pointers into it, so it outlives them all.
struct RequestTemplate {
  std::string authority;  // Host header / :authority
  std::string path;       // origin-form target, e.g. "/index.html?x=1"
  std::vector<std::pair<std::string, std::string>> headers;
};

// What a session reports back to its connection. Called synchronously from
// inside the session's methods, on the connection's worker thread.
class SessionEvents {
 public:
  // A complete response (final status, whole body).
  virtual void on_response(const RequestTiming& timing, int status) = 0;
  // The request failed; it is not retried.
  virtual void on_request_failed(const RequestTiming& timing, FailureKind kind) = 0;
  // The server provably did not process the request (HTTP/2 REFUSED_STREAM or
  // above a GOAWAY's last stream): the connection sends it again.
  virtual void on_request_refused(const RequestTiming& timing) = 0;

 protected:
  ~SessionEvents() = default;
};

// One protocol's client side of one connection (HTTP/1.1 or HTTP/2 with prior
// knowledge). Owned by its LoadConnection for the life of one TCP
// connection; a reconnect makes a new session. Does no I/O: the connection
// feeds it bytes and writes what it produces. Single-threaded.
class ClientSession {
 public:
  virtual ~ClientSession() = default;

  // Requests that may be submitted right now (0 while the session waits for
  // a response, has hit the peer's stream limit, or is finishing).
  virtual std::uint32_t capacity() const = 0;
  // Requests submitted and neither answered nor failed yet.
  virtual std::uint32_t in_flight() const = 0;

  // Queues one request; only when capacity() > 0. False: the session cannot
  // take it (the caller keeps it) and finished() is now true.
  virtual bool submit(const RequestTiming& timing) = 0;

  // Feeds bytes read from the socket. False: the connection must close
  // (the session has already reported its failed requests).
  virtual bool on_data(const std::uint8_t* data, std::size_t size) = 0;

  // The peer closed its side. A session whose response is delimited by the
  // close completes it here; whatever is still in flight afterwards is failed
  // by the connection.
  virtual void on_eof() {}

  // Appends every byte that is ready to be written to `out`. False on a
  // fatal session error (the connection must close).
  virtual bool produce_output(std::vector<std::uint8_t>& out) = 0;

  // True once the connection should close as soon as nothing is in flight
  // (HTTP/1.1 `Connection: close`, HTTP/2 GOAWAY or exhausted stream ids).
  virtual bool finished() const = 0;

  // Fails every request still in flight with `kind` (the socket is gone).
  virtual void fail_all(FailureKind kind) = 0;

  // Gives up on every request sent before `sent_before_ns`, reporting each
  // as a Timeout. True when the connection must close to do so (HTTP/1.1
  // cannot cancel one request); HTTP/2 resets the streams instead.
  virtual bool expire(std::uint64_t sent_before_ns) = 0;
};

}  // namespace ferry::perf
