#pragma once

#include <cstdint>
#include <string_view>

namespace ferry::core::http1 {

// Why a message was refused. The names are the `reason` label values of
// `ferry_downstream_rejected_total`; a response parser uses the same reasons
// (the proxy counts those as upstream protocol errors and answers 502).
enum class RejectReason : std::uint8_t {
  BadRequestLine,             // 400 malformed request line or target
  BadStatusLine,              // malformed status line (responses)
  UriTooLong,                 // 414
  UnsupportedVersion,         // 505 HTTP-version other than 1.0 / 1.1
  H2cPreface,                 // 505 "PRI * HTTP/2.0": prior-knowledge HTTP/2
  BadHeader,                  // 400 bad name or value, obs-fold, bare CR/LF, NUL
  UnderscoreHeader,           // 400 '_' in a name under the reject policy
  TooManyHeaders,             // 431
  HeadersTooLarge,            // 431
  MissingHost,                // 400 HTTP/1.1 request without Host
  BadHost,                    // 400 two Hosts, or a malformed one
  ClTe,                       // 400 Content-Length and Transfer-Encoding
  BadContentLength,           // 400
  BadTransferEncoding,        // 400 chunked not final, duplicated, malformed
  UnsupportedTransferCoding,  // 501 a valid coding other than chunked
  TeHttp10,                   // 400 Transfer-Encoding in an HTTP/1.0 message
  BadChunk,                   // 400 malformed chunked body (trailer section included)
  UnexpectedBody,             // a 1xx / 204 response declaring a body
  Truncated,                  // the peer closed inside a message
  // Not produced by the parsers; the same label set for the servers on top.
  BodyTooLarge,   // 413
  HeaderTimeout,  // 408
  BodyTimeout,    // 408
  Count,          // number of reasons (array size), not a reason
};

// The metric label value, e.g. "cl_te".
std::string_view reason_name(RejectReason reason);
// The status a server answers with for a request refused for `reason`.
std::uint16_t reason_status(RejectReason reason);

// A parse failure. After one the parser accepts nothing more on that
// connection: the server answers `status` (requests) and closes; a client
// answers its downstream 502 and never reuses the upstream connection.
struct ParseError {
  RejectReason reason = RejectReason::BadRequestLine;
  std::uint16_t status = 400;
  bool close = true;

  std::string_view reason_name() const { return http1::reason_name(reason); }
};

}  // namespace ferry::core::http1
