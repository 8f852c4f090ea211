#pragma once

#include <cstdint>
#include <string>

#include "proxy/core/address.h"
#include "proxy/core/http1/message.h"

// Whole (buffered) messages, as the message server hands them to its handler
// and the message client returns them. Bodies are bounded by the owner's
// limits; nothing here is used on the proxy's data path.
namespace ferry::core::http1 {

// One request as a MessageServer handler receives it. Owned by the handler.
struct Request {
  http::RequestHead head;
  std::string body;  // de-chunked, at most max_body_bytes
  SocketAddress peer;
};

// A whole response. The server writes Content-Length itself (and no body for
// HEAD, 204, 304), and "connection: close" when it closes afterwards; the
// client fills status, reason, headers (framing fields removed) and body.
struct Response {
  std::uint16_t status = 200;
  std::string reason;  // empty: the standard phrase
  http::HeaderMap headers;
  std::string body;
  bool close = false;  // server: close the connection after this response
};

// A request for MessageClient. The client adds Host (unless present) and
// Content-Length (for a body, and for POST/PUT/PATCH without one).
struct ClientRequest {
  http::Method method = http::Method::Get;
  std::string method_text;  // the token when method is Other ("PURGE")
  std::string target = "/";
  http::HeaderMap headers;
  std::string body;
};

}  // namespace ferry::core::http1
