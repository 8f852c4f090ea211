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

// The strict, incremental HTTP/1.1 response parser of an upstream connection.
// Same pull-style contract as RequestParser (see there).
//
// The framing of a response depends on its request: call
// set_request_method() before the first byte of each response (HEAD: no
// body; CONNECT + 2xx: a tunnel, nothing more to parse). Interim 1xx
// responses come out as a complete message of their own (Head, Complete);
// the final response for the same request follows, so keep the method. After
// a 101 or a tunnel the connection carries another protocol: stop parsing.
//
// A body without Content-Length or chunked runs until the peer closes: call
// finish() on EOF to complete it. Any error means the upstream cannot be
// trusted: answer 502 downstream (or cut the downstream response if bytes
// were forwarded) and never reuse the connection. Bytes that arrive when no
// response is expected (after a HEAD response, after a 204) are also a
// protocol error, which the connection owner detects.
class ResponseParser {
 public:
  explicit ResponseParser(ParserOptions options = {});

  void set_request_method(http::Method method) { request_method_ = method; }
  http::Method request_method() const { return request_method_; }

  ParseStep parse(std::string_view in);

  // The peer closed. Complete when it ends a close-delimited body or when no
  // response was in progress; Error with reason Truncated otherwise.
  ParseStep finish();

  http::ResponseHead& head() { return head_; }
  const http::ResponseHead& head() const { return head_; }
  const http::HeaderMap& trailers() const { return trailers_; }
  const ParseError& error() const { return error_; }

  bool idle() const { return state_ == State::Head && !scanner_.started(); }
  bool in_body() const { return state_ == State::Body; }
  std::uint64_t body_received() const { return body_.received(); }

  void reset();

  const ParserOptions& options() const { return options_; }

 private:
  enum class State : std::uint8_t { Head, Body, Failed };

  ParseStep fail(RejectReason reason);

  ParserOptions options_;
  http::Method request_method_ = http::Method::Get;
  State state_ = State::Head;
  HeadScanner scanner_;
  BodyDecoder body_;
  http::ResponseHead head_;
  http::HeaderMap trailers_;
  ParseError error_;
};

}  // namespace ferry::core::http1
