#include "proxy/core/http1/body_decoder.h"

#include <algorithm>

namespace ferry::core::http1 {

using Kind = http::BodyFraming::Kind;

void BodyDecoder::start(http::BodyFraming framing) {
  kind_ = framing.kind;
  remaining_ = framing.length;
  received_ = 0;
  error_ = RejectReason::Truncated;
  if (kind_ == Kind::Chunked) {
    chunked_.reset();
  }
}

ParseStep BodyDecoder::decode(std::string_view in, const ParserOptions& options,
                              http::HeaderMap& trailers) {
  switch (kind_) {
    case Kind::None:
      return {ParseEvent::Complete, 0, {}};
    case Kind::ContentLength: {
      if (remaining_ == 0) {
        return {ParseEvent::Complete, 0, {}};
      }
      if (in.empty()) {
        return {ParseEvent::NeedMore, 0, {}};
      }
      const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, in.size()));
      remaining_ -= take;
      received_ += take;
      return {ParseEvent::Data, take, in.substr(0, take)};
    }
    case Kind::Chunked: {
      ParseStep step = chunked_.decode(in, options, trailers);
      if (step.event == ParseEvent::Data) {
        received_ += step.data.size();
      } else if (step.event == ParseEvent::Error) {
        error_ = chunked_.error();
      }
      return step;
    }
    case Kind::UntilClose:
      if (in.empty()) {
        return {ParseEvent::NeedMore, 0, {}};
      }
      received_ += in.size();
      return {ParseEvent::Data, in.size(), in};
  }
  return {ParseEvent::Complete, 0, {}};
}

ParseStep BodyDecoder::finish() {
  if (kind_ == Kind::UntilClose || kind_ == Kind::None ||
      (kind_ == Kind::ContentLength && remaining_ == 0) ||
      (kind_ == Kind::Chunked && chunked_.done())) {
    kind_ = Kind::None;
    return {ParseEvent::Complete, 0, {}};
  }
  error_ = RejectReason::Truncated;
  return {ParseEvent::Error, 0, {}};
}

}  // namespace ferry::core::http1
