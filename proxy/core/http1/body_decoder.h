#pragma once

#include <cstdint>
#include <string_view>

#include "proxy/core/http1/chunked_decoder.h"
#include "proxy/core/http1/header_map.h"
#include "proxy/core/http1/message.h"
#include "proxy/core/http1/parse_error.h"
#include "proxy/core/http1/parser_options.h"

namespace ferry::core::http1 {

// Turns the bytes after a head into body events according to its framing:
// a Content-Length count, the chunked decoder, or everything until the peer
// closes. Shared by the request and response parsers.
class BodyDecoder {
 public:
  void start(http::BodyFraming framing);

  // At most one event: Data (a span of `in`), Trailers, Complete, NeedMore or
  // Error (see error()).
  ParseStep decode(std::string_view in, const ParserOptions& options, http::HeaderMap& trailers);

  // The peer closed: Complete for a body delimited by the close, else Error
  // with reason Truncated.
  ParseStep finish();

  RejectReason error() const { return error_; }
  // Body bytes handed out so far for the current message.
  std::uint64_t received() const { return received_; }

 private:
  http::BodyFraming::Kind kind_ = http::BodyFraming::Kind::None;
  std::uint64_t remaining_ = 0;
  std::uint64_t received_ = 0;
  RejectReason error_ = RejectReason::Truncated;
  ChunkedDecoder chunked_;
};

}  // namespace ferry::core::http1
