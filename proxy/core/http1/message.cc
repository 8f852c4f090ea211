#include "proxy/core/http1/message.h"

#include "proxy/core/http1/char_class.h"

namespace ferry::core::http {

namespace chars = http1::chars;

Method method_from_string(std::string_view text) {
  switch (text.size()) {
    case 3:
      if (text == "GET") {
        return Method::Get;
      }
      if (text == "PUT") {
        return Method::Put;
      }
      break;
    case 4:
      if (text == "POST") {
        return Method::Post;
      }
      if (text == "HEAD") {
        return Method::Head;
      }
      break;
    case 5:
      if (text == "PATCH") {
        return Method::Patch;
      }
      if (text == "TRACE") {
        return Method::Trace;
      }
      break;
    case 6:
      if (text == "DELETE") {
        return Method::Delete;
      }
      break;
    case 7:
      if (text == "OPTIONS") {
        return Method::Options;
      }
      if (text == "CONNECT") {
        return Method::Connect;
      }
      break;
    default:
      break;
  }
  return Method::Other;
}

std::string_view method_name(Method method) {
  switch (method) {
    case Method::Get:
      return "GET";
    case Method::Head:
      return "HEAD";
    case Method::Post:
      return "POST";
    case Method::Put:
      return "PUT";
    case Method::Delete:
      return "DELETE";
    case Method::Connect:
      return "CONNECT";
    case Method::Options:
      return "OPTIONS";
    case Method::Trace:
      return "TRACE";
    case Method::Patch:
      return "PATCH";
    case Method::Other:
      break;
  }
  return {};
}

bool is_idempotent(Method method) {
  switch (method) {
    case Method::Get:
    case Method::Head:
    case Method::Options:
    case Method::Trace:
    case Method::Put:
    case Method::Delete:
      return true;
    default:
      return false;
  }
}

std::string_view version_name(Version version) {
  switch (version) {
    case Version::Http10:
      return "HTTP/1.0";
    case Version::Http11:
      return "HTTP/1.1";
    case Version::Http2:
      return "HTTP/2";
  }
  return "HTTP/1.1";
}

void TokenList::add(std::string_view token) {
  if (token.empty() || contains(token)) {
    return;
  }
  if (!text_.empty()) {
    text_.push_back(',');
  }
  for (char c : token) {
    text_.push_back(chars::to_lower(c));
  }
}

bool TokenList::contains(std::string_view token) const {
  bool found = false;
  for_each([&](std::string_view t) { found = found || chars::iequals(t, token); });
  return found;
}

void RequestHead::clear() {
  method = Method::Get;
  method_text.clear();
  target.clear();
  path.clear();
  authority.clear();
  target_form = TargetForm::Origin;
  version = Version::Http11;
  headers.clear();
  framing = {};
  keep_alive = true;
  expect_continue = false;
  upgrade.clear();
  connection_tokens.clear();
  dropped_underscore_headers = 0;
}

void ResponseHead::clear() {
  status = 200;
  reason.clear();
  version = Version::Http11;
  headers.clear();
  framing = {};
  has_content_length = false;
  content_length = 0;
  keep_alive = true;
  tunnel = false;
  upgrade.clear();
  connection_tokens.clear();
}

}  // namespace ferry::core::http
