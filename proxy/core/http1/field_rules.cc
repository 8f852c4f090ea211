#include "proxy/core/http1/field_rules.h"

#include "proxy/core/http1/char_class.h"
#include "proxy/core/http1/chunked_decoder.h"

namespace ferry::core::http1::rules {

namespace {

bool valid_percent_escapes(std::string_view s) {
  for (std::size_t i = s.find('%'); i != std::string_view::npos; i = s.find('%', i + 1)) {
    if (i + 2 >= s.size() || !chars::is_hex(s[i + 1]) || !chars::is_hex(s[i + 2])) {
      return false;
    }
  }
  return true;
}

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) {
    return false;
  }
  for (char c : port) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

bool valid_ip_literal(std::string_view inner) {
  if (inner.empty()) {
    return false;
  }
  for (char c : inner) {
    if (!chars::is_hex(c) && c != ':' && c != '.') {
      return false;
    }
  }
  return inner.find(':') != std::string_view::npos;
}

// token *( OWS ";" OWS token "=" ( token / quoted-string ) )
bool valid_coding_parameters(std::string_view params) {
  while (!params.empty()) {
    params = chars::trim_ows(params);
    if (params.empty() || params.front() != ';') {
      return false;
    }
    params = chars::trim_ows(params.substr(1));
    const std::size_t eq = params.find('=');
    if (eq == std::string_view::npos || !chars::is_token_string(params.substr(0, eq))) {
      return false;
    }
    params.remove_prefix(eq + 1);
    std::size_t n = 0;
    if (!params.empty() && params.front() == '"') {
      n = 1;
      while (n < params.size() && params[n] != '"') {
        n += params[n] == '\\' ? 2 : 1;
      }
      if (n >= params.size()) {
        return false;
      }
      ++n;
    } else {
      while (n < params.size() && chars::is_token(params[n])) {
        ++n;
      }
      if (n == 0) {
        return false;
      }
    }
    params.remove_prefix(n);
  }
  return true;
}

}  // namespace

std::optional<std::uint64_t> parse_content_length(std::string_view value) {
  if (value.empty() || value.size() > 19) {
    return std::nullopt;
  }
  std::uint64_t n = 0;
  for (char c : value) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    n = n * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (n > kMaxBodyLength) {
    return std::nullopt;
  }
  return n;
}

std::optional<RejectReason> check_transfer_encoding(std::string_view value, bool is_request) {
  std::size_t codings = 0;
  std::size_t chunked = 0;
  bool chunked_last = false;
  bool malformed = false;
  std::string_view rest = value;
  for (;;) {
    const std::size_t comma = rest.find(',');
    const std::string_view element = chars::trim_ows(rest.substr(0, comma));
    std::size_t name_end = 0;
    while (name_end < element.size() && chars::is_token(element[name_end])) {
      ++name_end;
    }
    const std::string_view name = element.substr(0, name_end);
    const std::string_view params = element.substr(name_end);
    const bool is_chunked = chars::iequals(name, "chunked");
    // Empty list elements are refused too: no client has a reason to send one.
    if (name.empty() || !valid_coding_parameters(params) || (is_chunked && !params.empty())) {
      malformed = true;
    }
    ++codings;
    chunked += is_chunked ? 1 : 0;
    chunked_last = is_chunked;
    if (comma == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(comma + 1);
  }
  if (malformed || chunked > 1 || (chunked == 1 && !chunked_last)) {
    return RejectReason::BadTransferEncoding;
  }
  if (chunked == 0) {
    // RFC 9112 §6.3: a request whose final coding is not chunked is refused
    // with 400; a response would be read until close, but its coding label
    // would be lost on the way, so ferry refuses it as unsupported.
    return is_request ? RejectReason::BadTransferEncoding : RejectReason::UnsupportedTransferCoding;
  }
  if (codings > 1) {
    return RejectReason::UnsupportedTransferCoding;
  }
  return std::nullopt;
}

bool valid_authority(std::string_view value, bool require_port) {
  std::string_view host = value;
  std::string_view port;
  bool has_port = false;
  if (!value.empty() && value.front() == '[') {
    const std::size_t close = value.find(']');
    if (close == std::string_view::npos || !valid_ip_literal(value.substr(1, close - 1))) {
      return false;
    }
    host = value.substr(0, close + 1);
    if (close + 1 < value.size()) {
      if (value[close + 1] != ':') {
        return false;
      }
      has_port = true;
      port = value.substr(close + 2);
    }
  } else {
    const std::size_t colon = value.find(':');
    if (colon != std::string_view::npos) {
      has_port = true;
      host = value.substr(0, colon);
      port = value.substr(colon + 1);
    }
    if (host.empty()) {
      return false;
    }
    for (char c : host) {
      if (!chars::is_host_char(c) || c == '[' || c == ']' || c == ':') {
        return false;
      }
    }
    if (!valid_percent_escapes(host)) {
      return false;
    }
  }
  if (has_port && !valid_port(port)) {
    return false;
  }
  return has_port || !require_port;
}

bool add_connection_tokens(std::string_view value, http::TokenList& tokens) {
  for (;;) {
    const std::size_t comma = value.find(',');
    const std::string_view element = chars::trim_ows(value.substr(0, comma));
    if (!element.empty()) {
      if (!chars::is_token_string(element)) {
        return false;
      }
      tokens.add(element);
    }
    if (comma == std::string_view::npos) {
      return true;
    }
    value.remove_prefix(comma + 1);
  }
}

std::optional<RejectReason> parse_target(http::RequestHead& head) {
  const std::string_view target = head.target;
  const bool connect = head.method == http::Method::Connect;
  if (target.front() == '/' && !connect) {
    head.target_form = http::TargetForm::Origin;
    head.path.assign(target);
    return valid_percent_escapes(target) ? std::nullopt
                                         : std::optional(RejectReason::BadRequestLine);
  }
  if (target == "*") {
    if (head.method != http::Method::Options) {
      return RejectReason::BadRequestLine;
    }
    head.target_form = http::TargetForm::Asterisk;
    head.path.assign(target);
    return std::nullopt;
  }
  if (connect) {
    if (!valid_authority(target, true)) {
      return RejectReason::BadRequestLine;
    }
    head.target_form = http::TargetForm::Authority;
    head.authority.assign(target);
    head.path.clear();
    return std::nullopt;
  }
  // absolute-form: http(s)://authority[path-abempty][?query]
  const std::size_t sep = target.find("://");
  if (sep == std::string_view::npos || !(chars::iequals(target.substr(0, sep), "http") ||
                                         chars::iequals(target.substr(0, sep), "https"))) {
    return RejectReason::BadRequestLine;
  }
  const std::string_view rest = target.substr(sep + 3);
  const std::size_t path_start = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, path_start);
  if (!valid_authority(authority, false)) {
    return RejectReason::BadHost;
  }
  const std::string_view path =
      path_start == std::string_view::npos ? std::string_view() : rest.substr(path_start);
  if (!valid_percent_escapes(path)) {
    return RejectReason::BadRequestLine;
  }
  head.target_form = http::TargetForm::Absolute;
  head.authority.assign(authority);
  head.path.clear();
  if (path.empty() || path.front() == '?') {
    head.path.push_back('/');
  }
  head.path.append(path);
  return std::nullopt;
}

}  // namespace ferry::core::http1::rules
