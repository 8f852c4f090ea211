#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proxy/core/http1/head_scanner.h"
#include "proxy/core/http1/header_map.h"
#include "proxy/core/http1/parse_error.h"
#include "proxy/core/http1/parser_options.h"

namespace ferry::core::http1 {

// A strict decoder for the chunked transfer coding (RFC 9112 §7.1).
//
// Refused: an empty size, a size of more than 16 hex digits (so no size can
// overflow), any byte outside the grammar of chunk-ext (NUL, bare CR, an
// unterminated quoted-string), whitespace not followed by ';', bare LF
// anywhere, chunk data not followed by exactly CRLF, a size line longer than
// max_chunk_line_bytes, and a malformed trailer section. Nothing is allocated
// in proportion to a declared size: data is handed out as spans of the input.
//
// A body length (Content-Length, one chunk) above this is refused: it is what
// a signed 64-bit file offset holds, and more than any real body.
inline constexpr std::uint64_t kMaxBodyLength = 0x7fffffffffffffffULL;

// Size lines are consumed byte by byte (no need to keep them); the trailer
// section is kept in the caller's buffer until it is complete, like a head.
class ChunkedDecoder {
 public:
  void reset();

  // Decodes from the front of `in` and yields at most one event: Data (a span
  // of `in`), Trailers (fields stored into `trailers`), Complete (after the
  // last chunk and the trailer section), NeedMore, or Error (see error()).
  // Trailer fields that would change framing or routing if merged into the
  // head (Content-Length, Transfer-Encoding, Host, Connection and the other
  // hop-by-hop fields) are dropped; names with '_' follow the underscore policy.
  ParseStep decode(std::string_view in, const ParserOptions& options, http::HeaderMap& trailers);

  RejectReason error() const { return error_; }
  // True between messages' chunks: in a size line or in the trailer section.
  bool done() const { return state_ == State::Done; }

 private:
  enum class State : std::uint8_t {
    SizeStart,
    Size,
    ExtBws,
    ExtNameStart,
    ExtName,
    ExtAfterName,
    ExtValueStart,
    ExtToken,
    ExtQuoted,
    ExtQuotedPair,
    ExtAfterQuoted,
    SizeLf,
    Data,
    DataCr,
    DataLf,
    Trailers,
    TrailersDone,
    Done,
    Failed,
  };

  ParseStep fail(std::size_t consumed, RejectReason reason);
  // Advances through size-line bytes; false on a grammar error.
  bool step_size_line(char c);
  bool step_whitespace(char c);
  bool step_quoted(char c);
  bool step_after_element(char c);
  bool step_to(bool ok, State next);
  ParseStep finish_trailers(std::string_view section, const ParserOptions& options,
                            http::HeaderMap& trailers, std::size_t consumed);

  State state_ = State::SizeStart;
  std::uint64_t size_ = 0;
  std::uint64_t remaining_ = 0;
  std::uint32_t digits_ = 0;
  std::uint32_t line_bytes_ = 0;
  RejectReason error_ = RejectReason::BadChunk;
  HeadScanner trailer_scanner_;
};

}  // namespace ferry::core::http1
