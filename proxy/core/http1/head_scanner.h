#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proxy/core/http1/parse_error.h"
#include "proxy/core/http1/parser_options.h"

namespace ferry::core::http1 {

// Validates the raw bytes of a head (or a trailer section) and finds its end,
// before anything interprets them.
//
// Beast's parser unfolds obs-fold, ends lines at odd places and hides the
// evidence of bare CR, bare LF and NUL; this scanner refuses all of them, plus
// whitespace before a colon, control characters, and every limit (target
// length, field count, total bytes). It checks one byte at a time and keeps
// its state between calls, so the verdict and the position where a limit
// trips do not depend on how the input was split.
//
// Each call gets the whole message prefix seen so far (the caller keeps the
// head's bytes until it is complete) and continues where the last call
// stopped; total work is linear in the head size.
class HeadScanner {
 public:
  enum class Mode : std::uint8_t { Request, Response, Trailers };
  enum class Status : std::uint8_t { Incomplete, Complete, Error };

  // Starts a new head.
  void reset(Mode mode);

  Status scan(std::string_view in, const ParserOptions& options);

  // After Complete: the head occupies [start(), end()) of the input; leading
  // empty lines before a request line are skipped (RFC 9112 §2.2).
  std::size_t start() const { return start_; }
  std::size_t end() const { return end_; }
  // True once a byte of the head itself was seen (empty lines before a
  // request line do not count: they are not part of any request).
  bool started() const { return state_ != State::Start && state_ != State::StartLf; }
  RejectReason error() const { return error_; }

 private:
  enum class State : std::uint8_t {
    Start,
    StartLf,
    Method,
    Target,
    RequestVersion,
    RequestLf,
    StatusPrefix,
    Reason,
    StatusLf,
    LineStart,
    Name,
    Value,
    ValueLf,
    EndLf,
  };

  Status fail(RejectReason reason);
  bool check_request_line(std::string_view in);
  bool check_status_line(std::string_view in);
  Status scan_request_line(std::string_view in, const char* end, const ParserOptions& options);
  Status scan_status_line(std::string_view in, const char* end);
  Status scan_fields(const char* base, const char* end, const ParserOptions& options);

  Mode mode_ = Mode::Request;
  State state_ = State::Start;
  std::size_t pos_ = 0;
  std::size_t start_ = 0;
  std::size_t end_ = 0;
  std::size_t method_end_ = 0;
  std::size_t target_start_ = 0;
  std::size_t version_start_ = 0;
  std::uint32_t fields_ = 0;
  RejectReason error_ = RejectReason::BadRequestLine;
};

}  // namespace ferry::core::http1
