#pragma once

#include <optional>
#include <string_view>

#include "proxy/core/http1/message.h"
#include "proxy/core/http1/parse_error.h"
#include "proxy/core/http1/parser_options.h"

// Interpretation of a complete head block that HeadScanner has validated:
// Beast's basic_parser tokenizes it (fields go straight into the HeaderMap,
// never through a beast::http::fields), then ferry's rules decide framing,
// Host, keep-alive and the rest. Beast stays inside the .cc files.
namespace ferry::core::http1 {

// Fills `head` from `block` (request line through the final empty line).
// nullopt on success.
std::optional<RejectReason> read_request_head(std::string_view block, const ParserOptions& options,
                                              http::RequestHead& head);

// Fills `head` from a status-line block; `request_method` decides the framing
// of bodies that depend on it (HEAD, CONNECT). nullopt on success.
std::optional<RejectReason> read_response_head(std::string_view block, const ParserOptions& options,
                                               http::Method request_method,
                                               http::ResponseHead& head);

}  // namespace ferry::core::http1
