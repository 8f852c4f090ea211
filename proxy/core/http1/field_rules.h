#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "proxy/core/http1/message.h"
#include "proxy/core/http1/parse_error.h"

// The field-level rules both head readers apply after Beast has tokenized a
// head: framing fields, Host, Connection options, the request-target.
namespace ferry::core::http1::rules {

// Content-Length = 1*DIGIT, at most 19 digits and at most 2^63 - 1. Lists
// ("5, 5"), signs, hex and whitespace inside are refused.
std::optional<std::uint64_t> parse_content_length(std::string_view value);

// Transfer-Encoding of a request (RFC 9112 §6.1, §6.3): exactly "chunked" is
// fine (nullopt); chunked not final, repeated, with parameters, or a malformed
// list → BadTransferEncoding; a well-formed list of other codings ending in
// chunked → UnsupportedTransferCoding (501). Responses are stricter: any coding
// but chunked is unsupported (ferry never forwards an encoding it removed the
// label of).
std::optional<RejectReason> check_transfer_encoding(std::string_view value, bool is_request);

// uri-host [ ":" port ] (RFC 3986 §3.2.2): reg-name or IPv4 with only
// unreserved, pct-encoded and sub-delims bytes, or an IP-literal in brackets;
// a port of 1–5 digits. Refuses userinfo ('@'), paths and empty hosts.
// `require_port` for the authority-form of CONNECT.
bool valid_authority(std::string_view value, bool require_port);

// Adds each option of a Connection field value to `tokens`; false for an
// element that is not a token.
bool add_connection_tokens(std::string_view value, http::TokenList& tokens);

// Classifies `head.target` (already scanned: printable ASCII without '#')
// and fills path, authority and target_form. Refuses malformed %-escapes, an
// absolute-form scheme other than http/https, "*" outside OPTIONS, and a
// CONNECT target that is not host:port.
std::optional<RejectReason> parse_target(http::RequestHead& head);

}  // namespace ferry::core::http1::rules
