#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "perf/load/client_session.h"
#include "proxy/core/http1/response_parser.h"

namespace ferry::perf {

// HTTP/1.1 keep-alive, one request at a time (no pipelining, as wrk), over
// ferry's own strict codec (proxy/core/http1/): the request head is
// serialized once per run by its serializer, responses go through its
// ResponseParser. Interim 1xx heads are skipped; a response that says
// `Connection: close` (or an HTTP/1.0 one without keep-alive) finishes the
// session; a close-delimited body completes at EOF; anything the parser
// refuses is a Protocol failure and the connection is not reused.
class Http1Session final : public ClientSession {
 public:
  // `request` is the serialized request head, shared by every session of
  // the run and outliving them; `events` outlives the session.
  Http1Session(std::shared_ptr<const std::string> request, SessionEvents& events);

  std::uint32_t capacity() const override { return in_flight_ || finished_ ? 0 : 1; }
  std::uint32_t in_flight() const override { return in_flight_ ? 1 : 0; }
  bool submit(const RequestTiming& timing) override;
  bool on_data(const std::uint8_t* data, std::size_t size) override;
  void on_eof() override;
  bool produce_output(std::vector<std::uint8_t>& out) override;
  bool finished() const override { return finished_; }
  void fail_all(FailureKind kind) override;
  bool expire(std::uint64_t sent_before_ns) override;

 private:
  // Runs the parser over `in`; false on a protocol error. Leaves the bytes
  // the parser must see again at the front of `in`.
  bool parse(std::string_view& in);
  void complete();

  std::shared_ptr<const std::string> request_;
  SessionEvents& events_;
  core::http1::ResponseParser parser_;
  std::string unparsed_;  // bytes the parser has to see again; capacity kept
  RequestTiming timing_;
  int status_ = 0;
  bool in_flight_ = false;
  bool request_unwritten_ = false;
  bool finished_ = false;
};

// The HTTP/1.1 session factory for `request`: serializes GET `path` with
// Host and the extra headers once. Start-up code: throws std::runtime_error
// when the serializer refuses a header.
std::function<std::unique_ptr<ClientSession>(SessionEvents&)> make_http1_session_factory(
    const RequestTemplate& request);

}  // namespace ferry::perf
