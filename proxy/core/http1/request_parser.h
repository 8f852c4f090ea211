#pragma once

#include <cstdint>
#include <string_view>

#include "proxy/core/http1/body_decoder.h"
#include "proxy/core/http1/head_scanner.h"
#include "proxy/core/http1/header_map.h"
#include "proxy/core/http1/message.h"
#include "proxy/core/http1/parse_error.h"
#include "proxy/core/http1/parser_options.h"

namespace ferry::core::http1 {

// The strict, incremental HTTP/1.1 request parser of a downstream connection.
//
// Pull-style: the caller owns the input buffer and calls parse() with every
// byte it holds that was not consumed yet; each call yields at most one event
// and says how many bytes to drop. Typical loop:
//
//   for (;;) {
//     ParseStep step = parser.parse(buffered);
//     buffered.remove_prefix(step.consumed);
//     switch (step.event) { case ParseEvent::NeedMore: read more; ... }
//   }
//
// The head's bytes stay in the caller's buffer until the Head event (consumed
// is 0 while it is incomplete, so the buffer must hold max_header_bytes);
// after Head the head() is self-contained. Body data is handed out as spans
// of the input (zero-copy). After Complete the parser is ready for the next
// request, so pipelined requests come out one after the other. After Error
// nothing more is accepted; answer error().status and close.
//
// Split-invariant: the same bytes fed at any split points yield the same
// heads, the same body bytes, the same trailers and the same error.
// One parser per connection, on that connection's thread. Reusing it (and the
// head's HeaderMap) keeps it free of allocations in steady state.
class RequestParser {
 public:
  explicit RequestParser(ParserOptions options = {});

  ParseStep parse(std::string_view in);

  // The peer closed its sending side. Complete when no request was in
  // progress (a clean close) or the one in progress needs no more bytes (its
  // body is complete but its Complete event was not pulled yet); Error with
  // reason Truncated otherwise.
  ParseStep finish();

  // Valid from the Head event until the next request's Head. A caller that
  // keeps a head longer swaps it out (swap keeps both buffers).
  http::RequestHead& head() { return head_; }
  const http::RequestHead& head() const { return head_; }
  // Valid after a Trailers event, until the next message's trailers.
  const http::HeaderMap& trailers() const { return trailers_; }
  const ParseError& error() const { return error_; }

  // No byte of the next request was seen yet (for idle vs header timeouts).
  bool idle() const { return state_ == State::Head && !scanner_.started(); }
  // Between the Head event and Complete.
  bool in_body() const { return state_ == State::Body; }
  // Body bytes of the current request handed out so far.
  std::uint64_t body_received() const { return body_.received(); }

  // Forgets any message in progress and any error.
  void reset();

  const ParserOptions& options() const { return options_; }

 private:
  enum class State : std::uint8_t { Head, Body, Failed };

  ParseStep fail(RejectReason reason);

  ParserOptions options_;
  State state_ = State::Head;
  HeadScanner scanner_;
  BodyDecoder body_;
  http::RequestHead head_;
  http::HeaderMap trailers_;
  ParseError error_;
};

}  // namespace ferry::core::http1
