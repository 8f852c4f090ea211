#include "proxy/core/http1/head_scanner.h"

#include <algorithm>

#include "proxy/core/http1/char_class.h"

namespace ferry::core::http1 {

namespace {

constexpr std::string_view kStatusPrefix = "HTTP/d.d ddd ";

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_version_char(char c) {
  return is_digit(c) || c == '.' || c == '/' || (c >= 'A' && c <= 'Z');
}

// "HTTP/x.y" with two digits.
bool well_formed_version(std::string_view v) {
  return v.size() == 8 && v.substr(0, 5) == "HTTP/" && is_digit(v[5]) && v[6] == '.' &&
         is_digit(v[7]);
}

}  // namespace

void HeadScanner::reset(Mode mode) {
  mode_ = mode;
  state_ = mode == Mode::Trailers ? State::LineStart : State::Start;
  pos_ = 0;
  start_ = 0;
  end_ = 0;
  method_end_ = 0;
  target_start_ = 0;
  version_start_ = 0;
  fields_ = 0;
  error_ = RejectReason::BadRequestLine;
}

HeadScanner::Status HeadScanner::fail(RejectReason reason) {
  if (mode_ == Mode::Trailers && reason == RejectReason::BadHeader) {
    reason = RejectReason::BadChunk;  // the trailer section is part of the chunked body
  }
  error_ = reason;
  return Status::Error;
}

bool HeadScanner::check_request_line(std::string_view in) {
  const std::string_view method = in.substr(start_, method_end_ - start_);
  const std::string_view target = in.substr(target_start_, version_start_ - 1 - target_start_);
  const std::string_view version = in.substr(version_start_, pos_ - 2 - version_start_);
  if (!well_formed_version(version)) {
    error_ = RejectReason::BadRequestLine;
    return false;
  }
  if (version == "HTTP/1.1" || version == "HTTP/1.0") {
    return true;
  }
  error_ = (method == "PRI" && target == "*" && version == "HTTP/2.0")
               ? RejectReason::H2cPreface
               : RejectReason::UnsupportedVersion;
  return false;
}

bool HeadScanner::check_status_line(std::string_view in) {
  const std::string_view line = in.substr(start_);
  const std::string_view version = line.substr(0, 8);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    error_ = RejectReason::UnsupportedVersion;
    return false;
  }
  // RFC 9110 §15: a status code outside 100..599 is invalid.
  if (line[9] < '1' || line[9] > '5') {
    error_ = RejectReason::BadStatusLine;
    return false;
  }
  return true;
}

HeadScanner::Status HeadScanner::scan(std::string_view in, const ParserOptions& options) {
  const char* const base = in.data();
  const char* const end = base + std::min<std::size_t>(in.size(), options.max_header_bytes);
  while (base + pos_ < end) {
    Status status;
    switch (state_) {
      case State::Start:
      case State::StartLf:
      case State::Method:
      case State::Target:
      case State::RequestVersion:
      case State::RequestLf:
        status = scan_request_line(in, end, options);
        break;
      case State::StatusPrefix:
      case State::Reason:
      case State::StatusLf:
        status = scan_status_line(in, end);
        break;
      default:
        status = scan_fields(base, end, options);
        break;
    }
    if (status != Status::Incomplete) {
      return status;
    }
  }
  if (pos_ >= options.max_header_bytes) {
    return fail(RejectReason::HeadersTooLarge);
  }
  return Status::Incomplete;
}

// Each scan_* function advances through the states of its part of the head
// and returns Incomplete at the end of the input or when the next part
// begins (scan() then dispatches again).
HeadScanner::Status HeadScanner::scan_request_line(std::string_view in, const char* end,
                                                   const ParserOptions& options) {
  const char* const base = in.data();
  const char* p = base + pos_;
  auto at = [&] {
    return static_cast<std::size_t>(p - base);
  };
  auto refuse = [&](RejectReason reason) {
    pos_ = at();
    return fail(reason);
  };
  while (p < end) {
    switch (state_) {
      case State::Start:
        if (*p == '\r' && mode_ == Mode::Request) {
          state_ = State::StartLf;
          ++p;
          break;
        }
        start_ = at();
        state_ = mode_ == Mode::Request ? State::Method : State::StatusPrefix;
        pos_ = at();
        return Status::Incomplete;
      case State::StartLf:
        if (*p != '\n') {
          return refuse(RejectReason::BadRequestLine);
        }
        state_ = State::Start;
        ++p;
        break;
      case State::Method:
        while (p < end && chars::is_token(*p)) {
          ++p;
        }
        if (p == end) {
          break;
        }
        if (*p != ' ' || at() == start_) {
          return refuse(RejectReason::BadRequestLine);
        }
        method_end_ = at();
        target_start_ = ++p - base;
        state_ = State::Target;
        break;
      case State::Target:
        p = chars::skip_target(p, end);
        // The length is checked before the byte that stopped the loop, so a
        // long target is 414 wherever the input was split.
        if (at() - target_start_ > options.max_target_length) {
          return refuse(RejectReason::UriTooLong);
        }
        if (p == end) {
          break;
        }
        if (*p != ' ' || at() == target_start_) {
          return refuse(RejectReason::BadRequestLine);
        }
        version_start_ = ++p - base;
        state_ = State::RequestVersion;
        break;
      case State::RequestVersion:
        if (*p == '\r') {
          state_ = State::RequestLf;
        } else if (at() - version_start_ >= 8 || !is_version_char(*p)) {
          return refuse(RejectReason::BadRequestLine);
        }
        ++p;
        break;
      default:  // RequestLf
        if (*p != '\n') {
          return refuse(RejectReason::BadRequestLine);
        }
        ++p;
        pos_ = at();
        if (!check_request_line(in)) {
          return Status::Error;
        }
        state_ = State::LineStart;
        return Status::Incomplete;
    }
  }
  pos_ = at();
  return Status::Incomplete;
}

HeadScanner::Status HeadScanner::scan_status_line(std::string_view in, const char* end) {
  const char* const base = in.data();
  const char* p = base + pos_;
  auto at = [&] {
    return static_cast<std::size_t>(p - base);
  };
  auto refuse = [&] {
    pos_ = at();
    return fail(RejectReason::BadStatusLine);
  };
  while (p < end) {
    switch (state_) {
      case State::StatusPrefix: {
        const std::size_t i = at() - start_;
        const char want = kStatusPrefix[i];
        if (want == 'd' ? !is_digit(*p) : *p != want) {
          return refuse();
        }
        ++p;
        if (i + 1 == kStatusPrefix.size()) {
          state_ = State::Reason;
        }
        break;
      }
      case State::Reason:
        p = chars::skip_field_value(p, end);
        if (p == end) {
          break;
        }
        if (*p != '\r') {
          return refuse();
        }
        ++p;
        state_ = State::StatusLf;
        break;
      default:  // StatusLf
        if (*p != '\n') {
          return refuse();
        }
        ++p;
        pos_ = at();
        if (!check_status_line(in)) {
          return Status::Error;
        }
        state_ = State::LineStart;
        return Status::Incomplete;
    }
  }
  pos_ = at();
  return Status::Incomplete;
}

// The header-field lines: the hot part, with a tight loop per name and value.
HeadScanner::Status HeadScanner::scan_fields(const char* base, const char* end,
                                             const ParserOptions& options) {
  const char* p = base + pos_;
  auto at = [&] {
    return static_cast<std::size_t>(p - base);
  };
  while (p < end) {
    switch (state_) {
      case State::LineStart:
        if (*p == '\r') {
          state_ = State::EndLf;
          ++p;
          break;
        }
        // A line starting with SP/HTAB is obs-fold, or whitespace between the
        // start line and the first field (RFC 9112 §2.2, §5.2): both refused.
        if (!chars::is_token(*p)) {
          pos_ = at();
          return fail(RejectReason::BadHeader);
        }
        if (++fields_ > options.max_header_count) {
          pos_ = at();
          return fail(RejectReason::TooManyHeaders);
        }
        state_ = State::Name;
        break;
      case State::Name:
        while (p < end && chars::is_token(*p)) {
          ++p;
        }
        if (p == end) {
          break;
        }
        if (*p != ':') {  // whitespace before the colon, CTLs, separators
          pos_ = at();
          return fail(RejectReason::BadHeader);
        }
        ++p;
        state_ = State::Value;
        break;
      case State::Value:
        p = chars::skip_field_value(p, end);
        if (p == end) {
          break;
        }
        if (*p != '\r') {  // NUL, bare LF, other CTLs
          pos_ = at();
          return fail(RejectReason::BadHeader);
        }
        ++p;
        state_ = State::ValueLf;
        break;
      case State::ValueLf:
        if (*p != '\n') {  // bare CR
          pos_ = at();
          return fail(RejectReason::BadHeader);
        }
        ++p;
        state_ = State::LineStart;
        break;
      case State::EndLf:
        if (*p != '\n') {
          pos_ = at();
          return fail(RejectReason::BadHeader);
        }
        ++p;
        pos_ = end_ = at();
        return Status::Complete;
      default:
        pos_ = at();
        return fail(RejectReason::BadHeader);
    }
  }
  pos_ = at();
  return Status::Incomplete;
}

}  // namespace ferry::core::http1
