#include "proxy/core/http1/parse_error.h"

namespace ferry::core::http1 {

std::string_view reason_name(RejectReason reason) {
  switch (reason) {
    case RejectReason::BadRequestLine:
      return "bad_request_line";
    case RejectReason::BadStatusLine:
      return "bad_status_line";
    case RejectReason::UriTooLong:
      return "uri_too_long";
    case RejectReason::UnsupportedVersion:
      return "unsupported_version";
    case RejectReason::H2cPreface:
      return "h2c_preface";
    case RejectReason::BadHeader:
      return "bad_header";
    case RejectReason::UnderscoreHeader:
      return "underscore_header";
    case RejectReason::TooManyHeaders:
      return "too_many_headers";
    case RejectReason::HeadersTooLarge:
      return "headers_too_large";
    case RejectReason::MissingHost:
      return "missing_host";
    case RejectReason::BadHost:
      return "bad_host";
    case RejectReason::ClTe:
      return "cl_te";
    case RejectReason::BadContentLength:
      return "bad_content_length";
    case RejectReason::BadTransferEncoding:
      return "bad_transfer_encoding";
    case RejectReason::UnsupportedTransferCoding:
      return "unsupported_transfer_coding";
    case RejectReason::TeHttp10:
      return "te_http10";
    case RejectReason::BadChunk:
      return "bad_chunk";
    case RejectReason::UnexpectedBody:
      return "unexpected_body";
    case RejectReason::Truncated:
      return "truncated";
    case RejectReason::BodyTooLarge:
      return "body_too_large";
    case RejectReason::HeaderTimeout:
      return "header_timeout";
    case RejectReason::BodyTimeout:
      return "body_timeout";
    case RejectReason::Count:
      break;
  }
  return "unknown";
}

std::uint16_t reason_status(RejectReason reason) {
  switch (reason) {
    case RejectReason::UriTooLong:
      return 414;
    case RejectReason::UnsupportedVersion:
    case RejectReason::H2cPreface:
      return 505;
    case RejectReason::TooManyHeaders:
    case RejectReason::HeadersTooLarge:
      return 431;
    case RejectReason::UnsupportedTransferCoding:
      return 501;
    case RejectReason::BodyTooLarge:
      return 413;
    case RejectReason::HeaderTimeout:
    case RejectReason::BodyTimeout:
      return 408;
    default:
      return 400;
  }
}

}  // namespace ferry::core::http1
