#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/core/http1/header_map.h"
#include "proxy/core/http1/message.h"

// HTTP/1.1 serializers: each appends to a caller-owned buffer that the caller
// recycles, so steady-state serialization does not allocate.
//
// Every byte written is validated, because the same functions serialize heads
// that came from HTTP/2 or from application code: a method or field name that
// is not a token, a target or value with CR, LF, NUL or another control
// character, makes the function return false and leave `out` exactly as it
// was. Content-Length and Transfer-Encoding fields in the map are skipped:
// framing is written from the explicit `framing` argument only, so a framing
// header never travels from one side to the other raw.
namespace ferry::core::http1 {

// "METHOD target HTTP/1.1", the fields, the framing field, the empty line.
// Framing: None writes nothing (no body), ContentLength writes
// content-length, Chunked writes transfer-encoding: chunked; UntilClose is
// invalid for a request.
bool append_request_head(std::string& out, std::string_view method, std::string_view target,
                         const http::HeaderMap& headers, http::BodyFraming framing);

// A parsed head forwarded in origin-form: method_text, then path ("*" for
// OPTIONS *, the authority for CONNECT).
bool append_request_head(std::string& out, const http::RequestHead& head,
                         http::BodyFraming framing);

// "HTTP/1.1 status reason", the fields, the framing field, the empty line.
// An empty reason writes the standard phrase for the status. Framing None and
// UntilClose write nothing; ContentLength and Chunked are refused for 1xx and
// 204 (RFC 9110 §8.6, RFC 9112 §6.1). For a HEAD or 304 response pass the
// length the body would have had (or None): the serializer only writes heads.
bool append_response_head(std::string& out, std::uint16_t status, std::string_view reason,
                          const http::HeaderMap& headers, http::BodyFraming framing);
bool append_response_head(std::string& out, const http::ResponseHead& head,
                          http::BodyFraming framing);

// "<hex size>\r\n"; the caller writes `size` bytes of data and then kCrlf.
// A zero size is the last chunk: use append_last_chunk for it.
void append_chunk_header(std::string& out, std::uint64_t size);
inline constexpr std::string_view kCrlf = "\r\n";

// Header, data and CRLF; nothing for empty data (an empty chunk would end
// the body).
void append_chunk(std::string& out, std::string_view data);

// "0\r\n", the trailer fields if any, the final CRLF. False (out unchanged)
// for an invalid trailer field.
bool append_last_chunk(std::string& out, const http::HeaderMap* trailers = nullptr);

// The standard reason phrase ("Not Found"); "Unknown" for unlisted codes.
std::string_view status_reason(std::uint16_t status);

}  // namespace ferry::core::http1
