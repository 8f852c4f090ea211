#include "proxy/core/http1/serializer.h"

#include <charconv>
#include <cstring>

#include "proxy/core/http1/char_class.h"

namespace ferry::core::http1 {

namespace {

bool valid_value(std::string_view value) {
  return chars::is_field_value_string(value);
}

bool valid_target(std::string_view target) {
  return !target.empty() && chars::skip_target(target.data(), target.data() + target.size()) ==
                                target.data() + target.size();
}

bool is_framing_field(std::string_view name) {
  return (name.size() == 14 && chars::iequals(name, "content-length")) ||
         (name.size() == 17 && chars::iequals(name, "transfer-encoding"));
}

void append_number(std::string& out, std::uint64_t n, int base) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof(buf), n, base);
  out.append(buf, r.ptr);
}

// "name: value\r\n" for every field but the framing ones; false (and `out`
// untouched) on an invalid field. Validates and sizes first, then writes
// with one resize, so a head costs one pass of checks and one of copies.
bool append_fields(std::string& out, const http::HeaderMap& headers) {
  std::size_t size = 0;
  for (const http::HeaderField f : headers) {
    if (!chars::is_token_string(f.name) || !valid_value(f.value)) {
      return false;
    }
    size += f.name.size() + f.value.size() + 4;
  }
  std::size_t at = out.size();
  out.resize(at + size);
  char* p = out.data() + at;
  for (const http::HeaderField f : headers) {
    if (is_framing_field(f.name)) {
      continue;
    }
    std::memcpy(p, f.name.data(), f.name.size());
    p += f.name.size();
    *p++ = ':';
    *p++ = ' ';
    std::memcpy(p, f.value.data(), f.value.size());
    p += f.value.size();
    *p++ = '\r';
    *p++ = '\n';
  }
  out.resize(static_cast<std::size_t>(p - out.data()));
  return true;
}

void append_framing(std::string& out, http::BodyFraming framing) {
  if (framing.kind == http::BodyFraming::Kind::ContentLength) {
    out.append("content-length: ");
    append_number(out, framing.length, 10);
    out.append("\r\n");
  } else if (framing.kind == http::BodyFraming::Kind::Chunked) {
    out.append("transfer-encoding: chunked\r\n");
  }
}

}  // namespace

bool append_request_head(std::string& out, std::string_view method, std::string_view target,
                         const http::HeaderMap& headers, http::BodyFraming framing) {
  if (!chars::is_token_string(method) || !valid_target(target) ||
      framing.kind == http::BodyFraming::Kind::UntilClose) {
    return false;
  }
  const std::size_t mark = out.size();
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  if (!append_fields(out, headers)) {
    out.resize(mark);
    return false;
  }
  append_framing(out, framing);
  out.append("\r\n");
  return true;
}

bool append_request_head(std::string& out, const http::RequestHead& head,
                         http::BodyFraming framing) {
  const std::string_view method =
      head.method_text.empty() ? http::method_name(head.method) : head.method_text;
  std::string_view target = head.path;
  if (head.target_form == http::TargetForm::Authority) {
    target = head.authority;
  } else if (target.empty()) {
    target = head.target;
  }
  return append_request_head(out, method, target, head.headers, framing);
}

bool append_response_head(std::string& out, std::uint16_t status, std::string_view reason,
                          const http::HeaderMap& headers, http::BodyFraming framing) {
  if (status < 100 || status > 599 || !valid_value(reason)) {
    return false;
  }
  const bool has_body_framing = framing.kind == http::BodyFraming::Kind::ContentLength ||
                                framing.kind == http::BodyFraming::Kind::Chunked;
  if (has_body_framing && (status < 200 || status == 204)) {
    return false;
  }
  const std::size_t mark = out.size();
  out.append("HTTP/1.1 ");
  append_number(out, status, 10);
  out.push_back(' ');
  out.append(reason.empty() ? status_reason(status) : reason).append("\r\n");
  if (!append_fields(out, headers)) {
    out.resize(mark);
    return false;
  }
  append_framing(out, framing);
  out.append("\r\n");
  return true;
}

bool append_response_head(std::string& out, const http::ResponseHead& head,
                          http::BodyFraming framing) {
  return append_response_head(out, head.status, head.reason, head.headers, framing);
}

void append_chunk_header(std::string& out, std::uint64_t size) {
  append_number(out, size, 16);
  out.append("\r\n");
}

void append_chunk(std::string& out, std::string_view data) {
  if (data.empty()) {
    return;
  }
  append_chunk_header(out, data.size());
  out.append(data).append("\r\n");
}

bool append_last_chunk(std::string& out, const http::HeaderMap* trailers) {
  const std::size_t mark = out.size();
  out.append("0\r\n");
  if (trailers != nullptr && !append_fields(out, *trailers)) {
    out.resize(mark);
    return false;
  }
  out.append("\r\n");
  return true;
}

std::string_view status_reason(std::uint16_t status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 426:
      return "Upgrade Required";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

}  // namespace ferry::core::http1
