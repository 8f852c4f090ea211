#include "proxy/core/http1/response_parser.h"

#include "proxy/core/http1/head_reader.h"

namespace ferry::core::http1 {

ResponseParser::ResponseParser(ParserOptions options) : options_(options) {
  reset();
}

void ResponseParser::reset() {
  state_ = State::Head;
  scanner_.reset(HeadScanner::Mode::Response);
  error_ = {};
}

ParseStep ResponseParser::fail(RejectReason reason) {
  state_ = State::Failed;
  error_.reason = reason;
  error_.status = 502;  // what the proxy answers for a broken upstream
  error_.close = true;
  return {ParseEvent::Error, 0, {}};
}

ParseStep ResponseParser::parse(std::string_view in) {
  switch (state_) {
    case State::Head: {
      switch (scanner_.scan(in, options_)) {
        case HeadScanner::Status::Incomplete:
          return {ParseEvent::NeedMore, 0, {}};
        case HeadScanner::Status::Error:
          return fail(scanner_.error());
        case HeadScanner::Status::Complete:
          break;
      }
      const std::string_view block = in.substr(scanner_.start(), scanner_.end() - scanner_.start());
      if (auto bad = read_response_head(block, options_, request_method_, head_)) {
        return fail(*bad);
      }
      body_.start(head_.framing);
      state_ = State::Body;
      return {ParseEvent::Head, scanner_.end(), {}};
    }
    case State::Body: {
      ParseStep step = body_.decode(in, options_, trailers_);
      if (step.event == ParseEvent::Complete) {
        state_ = State::Head;
        scanner_.reset(HeadScanner::Mode::Response);
      } else if (step.event == ParseEvent::Error) {
        fail(body_.error());
        step.consumed = 0;
      }
      return step;
    }
    case State::Failed:
      break;
  }
  return {ParseEvent::Error, 0, {}};
}

ParseStep ResponseParser::finish() {
  if (state_ == State::Failed) {
    return {ParseEvent::Error, 0, {}};
  }
  if (idle()) {
    return {ParseEvent::Complete, 0, {}};
  }
  if (state_ == State::Body && body_.finish().event == ParseEvent::Complete) {
    state_ = State::Head;
    scanner_.reset(HeadScanner::Mode::Response);
    return {ParseEvent::Complete, 0, {}};
  }
  return fail(RejectReason::Truncated);
}

}  // namespace ferry::core::http1
