#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <nghttp2/nghttp2.h>

#include "perf/load/client_session.h"

namespace ferry::perf {

// HTTP/2 with prior knowledge (h2c) over nghttp2's client session: up to
// `streams` requests in flight at once (fewer if the server's
// SETTINGS_MAX_CONCURRENT_STREAMS says so). Flow-control windows are opened
// to 2^30 - 1 so the client never throttles a response (as h2load does by
// default). Streams closed by REFUSED_STREAM or a GOAWAY are reported as
// refused, never as failures: the server did not process them.
class Http2Session final : public ClientSession {
 public:
  // `request` outlives the session; `events` outlives it too.
  Http2Session(const RequestTemplate& request, std::uint32_t streams, SessionEvents& events);
  ~Http2Session() override;
  Http2Session(const Http2Session&) = delete;
  Http2Session& operator=(const Http2Session&) = delete;

  std::uint32_t capacity() const override;
  std::uint32_t in_flight() const override { return pending_; }
  bool submit(const RequestTiming& timing) override;
  bool on_data(const std::uint8_t* data, std::size_t size) override;
  bool produce_output(std::vector<std::uint8_t>& out) override;
  bool finished() const override;
  void fail_all(FailureKind kind) override;
  bool expire(std::uint64_t sent_before_ns) override;

 private:
  struct Stream {
    RequestTiming timing;
    std::int32_t id = 0;
    int status = 0;
    bool in_use = false;
    bool reported = false;  // answered, failed, refused or expired already
  };
  struct Callbacks;

  void release(Stream& stream);
  // Marks the stream's outcome as reported; true the first time.
  bool settle(Stream& stream);

  SessionEvents& events_;
  nghttp2_session* session_ = nullptr;
  std::vector<nghttp2_nv> headers_;
  std::vector<Stream> streams_;
  std::vector<std::uint32_t> free_;
  std::uint32_t active_ = 0;   // slots in use (until nghttp2 closes the stream)
  std::uint32_t pending_ = 0;  // streams with no outcome reported yet
  bool goaway_ = false;        // the server sent GOAWAY
  bool local_error_ = false;   // nghttp2 sent GOAWAY for an error it detected
  bool broken_ = false;
};

}  // namespace ferry::perf
