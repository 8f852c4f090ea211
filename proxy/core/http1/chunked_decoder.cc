#include "proxy/core/http1/chunked_decoder.h"

#include <algorithm>
#include <array>

#include "proxy/core/http1/char_class.h"

namespace ferry::core::http1 {

namespace {

// Fields a trailer section must not carry into the message (RFC 9110 §6.5.1):
// they would change framing, routing or the connection if anyone merged them.
bool forbidden_in_trailers(std::string_view name) {
  static constexpr std::array<std::string_view, 9> kNames = {
      "content-length", "transfer-encoding", "host", "connection",
      "keep-alive",     "proxy-connection",  "te",   "trailer",
      "upgrade"};
  return std::any_of(kNames.begin(), kNames.end(),
                     [&](std::string_view n) { return chars::iequals(n, name); });
}

}  // namespace

void ChunkedDecoder::reset() {
  state_ = State::SizeStart;
  size_ = 0;
  remaining_ = 0;
  digits_ = 0;
  line_bytes_ = 0;
  error_ = RejectReason::BadChunk;
}

ParseStep ChunkedDecoder::fail(std::size_t consumed, RejectReason reason) {
  state_ = State::Failed;
  error_ = reason;
  return {ParseEvent::Error, consumed, {}};
}

// chunk = chunk-size [ chunk-ext ] CRLF
// chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
bool ChunkedDecoder::step_size_line(char c) {
  switch (state_) {
    case State::SizeStart:
      if (!chars::is_hex(c)) {
        return false;
      }
      size_ = static_cast<std::uint64_t>(chars::hex_value(c));
      digits_ = 1;
      state_ = State::Size;
      return true;
    case State::Size:
      if (chars::is_hex(c)) {
        // A 17th digit is refused even when it is a leading zero, so no size
        // can wrap; sizes above 2^63 - 1 (what an off_t holds) are refused
        // like an oversized Content-Length.
        if (++digits_ > 16) {
          return false;
        }
        size_ = size_ * 16 + static_cast<std::uint64_t>(chars::hex_value(c));
        return size_ <= kMaxBodyLength;
      }
      return step_after_element(c);
    case State::ExtName:
      if (chars::is_token(c)) {
        return true;
      }
      if (c == '=') {
        state_ = State::ExtValueStart;
        return true;
      }
      if (chars::is_ows(c)) {
        state_ = State::ExtAfterName;
        return true;
      }
      return step_after_element(c);
    case State::ExtToken:
      return chars::is_token(c) || step_after_element(c);
    case State::ExtAfterQuoted:
      return step_after_element(c);
    case State::ExtQuoted:
    case State::ExtQuotedPair:
      return step_quoted(c);
    default:
      return step_whitespace(c);
  }
}

// The states where only whitespace may come before the next element.
bool ChunkedDecoder::step_whitespace(char c) {
  if (chars::is_ows(c)) {
    return true;
  }
  switch (state_) {
    case State::ExtBws:  // after a value: only ';' may follow the BWS
      return step_to(c == ';', State::ExtNameStart);
    case State::ExtNameStart:
      return step_to(chars::is_token(c), State::ExtName);
    case State::ExtAfterName:
      if (c == '=') {
        state_ = State::ExtValueStart;
        return true;
      }
      return step_to(c == ';', State::ExtNameStart);
    case State::ExtValueStart:
      if (c == '"') {
        state_ = State::ExtQuoted;
        return true;
      }
      return step_to(chars::is_token(c), State::ExtToken);
    default:
      return false;
  }
}

bool ChunkedDecoder::step_quoted(char c) {
  if (state_ == State::ExtQuotedPair) {
    return step_to(chars::is_field_value(c), State::ExtQuoted);
  }
  if (c == '"') {
    state_ = State::ExtAfterQuoted;
    return true;
  }
  if (c == '\\') {
    state_ = State::ExtQuotedPair;
    return true;
  }
  return chars::is_qdtext(c);  // CR, LF, NUL: an unterminated string
}

// After a size, a name, a token or a quoted value: ';', BWS or the CR.
bool ChunkedDecoder::step_after_element(char c) {
  if (c == ';') {
    state_ = State::ExtNameStart;
    return true;
  }
  if (chars::is_ows(c)) {
    state_ = State::ExtBws;
    return true;
  }
  return step_to(c == '\r', State::SizeLf);
}

bool ChunkedDecoder::step_to(bool ok, State next) {
  if (ok) {
    state_ = next;
  }
  return ok;
}

ParseStep ChunkedDecoder::decode(std::string_view in, const ParserOptions& options,
                                 http::HeaderMap& trailers) {
  std::size_t i = 0;
  const std::size_t n = in.size();
  for (;;) {
    switch (state_) {
      case State::Data: {
        if (i == n) {
          return {ParseEvent::NeedMore, i, {}};
        }
        const std::size_t take =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, n - i));
        remaining_ -= take;
        if (remaining_ == 0) {
          state_ = State::DataCr;
        }
        return {ParseEvent::Data, i + take, in.substr(i, take)};
      }
      case State::DataCr:
        if (i == n) {
          return {ParseEvent::NeedMore, i, {}};
        }
        if (in[i] != '\r') {  // data longer than declared, or a bare LF
          return fail(i, RejectReason::BadChunk);
        }
        ++i;
        state_ = State::DataLf;
        break;
      case State::DataLf:
        if (i == n) {
          return {ParseEvent::NeedMore, i, {}};
        }
        if (in[i] != '\n') {
          return fail(i, RejectReason::BadChunk);
        }
        ++i;
        state_ = State::SizeStart;
        line_bytes_ = 0;
        break;
      case State::SizeLf:
        if (i == n) {
          return {ParseEvent::NeedMore, i, {}};
        }
        if (in[i] != '\n') {
          return fail(i, RejectReason::BadChunk);
        }
        ++i;
        if (size_ == 0) {
          state_ = State::Trailers;
          trailer_scanner_.reset(HeadScanner::Mode::Trailers);
        } else {
          remaining_ = size_;
          state_ = State::Data;
        }
        break;
      case State::Trailers: {
        const std::string_view section = in.substr(i);
        switch (trailer_scanner_.scan(section, options)) {
          case HeadScanner::Status::Incomplete:
            return {ParseEvent::NeedMore, i, {}};
          case HeadScanner::Status::Error:
            return fail(i, trailer_scanner_.error());
          case HeadScanner::Status::Complete:
            break;
        }
        const std::size_t size = trailer_scanner_.end();
        return finish_trailers(section.substr(0, size), options, trailers, i + size);
      }
      case State::TrailersDone:
        state_ = State::Done;
        return {ParseEvent::Complete, i, {}};
      case State::Done:
        return {ParseEvent::Complete, i, {}};
      case State::Failed:
        return {ParseEvent::Error, i, {}};
      default:
        if (i == n) {
          return {ParseEvent::NeedMore, i, {}};
        }
        if (++line_bytes_ > options.max_chunk_line_bytes || !step_size_line(in[i])) {
          return fail(i, RejectReason::BadChunk);
        }
        ++i;
        break;
    }
  }
}

ParseStep ChunkedDecoder::finish_trailers(std::string_view section, const ParserOptions& options,
                                          http::HeaderMap& trailers, std::size_t consumed) {
  if (section.size() == 2) {  // no trailer fields: just the final CRLF
    state_ = State::Done;
    return {ParseEvent::Complete, consumed, {}};
  }
  trailers.clear();
  // The scanner validated every line: "name:OWS value OWS CRLF", no folds.
  std::string_view rest = section.substr(0, section.size() - 2);
  while (!rest.empty()) {
    const std::size_t eol = rest.find("\r\n");
    const std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol + 2);
    const std::size_t colon = line.find(':');
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = chars::trim_ows(line.substr(colon + 1));
    if (name.find('_') != std::string_view::npos) {
      if (options.underscores == UnderscorePolicy::Reject) {
        return fail(consumed, RejectReason::UnderscoreHeader);
      }
      if (options.underscores == UnderscorePolicy::Drop) {
        continue;
      }
    }
    if (!forbidden_in_trailers(name)) {
      trailers.add(name, value);
    }
  }
  if (trailers.empty()) {
    state_ = State::Done;
    return {ParseEvent::Complete, consumed, {}};
  }
  state_ = State::TrailersDone;
  return {ParseEvent::Trailers, consumed, {}};
}

}  // namespace ferry::core::http1
