#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/core/http1/header_map.h"

// Protocol-neutral message heads. The HTTP/1 parser produces them, the HTTP/1
// serializers consume them, and HTTP/2 will produce the same ones.
namespace ferry::core::http {

enum class Method : std::uint8_t {
  Get,
  Head,
  Post,
  Put,
  Delete,
  Connect,
  Options,
  Trace,
  Patch,
  Other,  // any other token; the text is in RequestHead::method_text
};

// Maps a method token (case-sensitive, RFC 9110 §9.1) to the enum; Other for
// anything not listed above.
Method method_from_string(std::string_view text);
// The canonical token of a standard method; "" for Other.
std::string_view method_name(Method method);
// RFC 9110 §9.2.2: GET HEAD OPTIONS TRACE PUT DELETE.
bool is_idempotent(Method method);

enum class Version : std::uint8_t { Http10, Http11, Http2 };
std::string_view version_name(Version version);  // "HTTP/1.1"

// How a message body is delimited on the wire.
struct BodyFraming {
  enum class Kind : std::uint8_t {
    None,           // no body follows the head
    ContentLength,  // exactly `length` bytes follow
    Chunked,        // chunked transfer coding
    UntilClose,     // responses only: the body ends when the connection closes
  };
  Kind kind = Kind::None;
  std::uint64_t length = 0;  // ContentLength only

  static BodyFraming none() { return {}; }
  static BodyFraming content_length(std::uint64_t n) { return {Kind::ContentLength, n}; }
  static BodyFraming chunked() { return {Kind::Chunked, 0}; }
  static BodyFraming until_close() { return {Kind::UntilClose, 0}; }
  friend bool operator==(const BodyFraming&, const BodyFraming&) = default;
};

// A comma-separated list of lower-case tokens (the options of a Connection
// header) kept in one string, so recycling a head does not allocate.
class TokenList {
 public:
  // Adds a token (lower-cased); duplicates are kept once.
  void add(std::string_view token);
  bool contains(std::string_view token) const;
  bool empty() const { return text_.empty(); }
  void clear() { text_.clear(); }
  // "close,x-secret"
  std::string_view text() const { return text_; }

  // Calls f(std::string_view) for each token in order.
  template <class F>
  void for_each(F&& f) const {
    std::string_view rest = text_;
    while (!rest.empty()) {
      const auto comma = rest.find(',');
      f(rest.substr(0, comma));
      if (comma == std::string_view::npos) {
        break;
      }
      rest.remove_prefix(comma + 1);
    }
  }

  friend bool operator==(const TokenList&, const TokenList&) = default;

 private:
  std::string text_;
};

// The form of a request-target (RFC 9112 §3.2).
enum class TargetForm : std::uint8_t { Origin, Absolute, Authority, Asterisk };

struct RequestHead {
  Method method = Method::Get;
  std::string method_text;  // the method token as received ("GET", "PURGE")
  std::string target;       // the request-target as received
  // The origin-form part: path and query ("/a?b"); "/" for an absolute-form
  // target without a path, "*" for OPTIONS *, "" for CONNECT.
  std::string path;
  // From an absolute-form or authority-form target (RFC 9112 §3.2.2, §3.2.3),
  // else from Host. The parser sets the Host field to it for absolute-form, so
  // the Host that is forwarded is the authority that was routed on.
  std::string authority;
  TargetForm target_form = TargetForm::Origin;
  Version version = Version::Http11;
  // Without Content-Length and Transfer-Encoding: the parser removes both and
  // records the framing below.
  HeaderMap headers;
  BodyFraming framing;
  bool keep_alive = true;
  // `Expect: 100-continue` on an HTTP/1.1 request.
  bool expect_continue = false;
  // The Upgrade field's value when the request asks for an upgrade (an
  // Upgrade field and "upgrade" among the Connection options); empty if not.
  std::string upgrade;
  // The options listed by Connection (and Proxy-Connection) fields.
  TokenList connection_tokens;
  // Fields whose name has an underscore and were dropped by policy.
  std::uint32_t dropped_underscore_headers = 0;

  bool is_idempotent() const { return http::is_idempotent(method); }
  // Resets every member, keeping string and map capacity.
  void clear();
};

struct ResponseHead {
  std::uint16_t status = 200;
  std::string reason;
  Version version = Version::Http11;
  HeaderMap headers;  // without Content-Length and Transfer-Encoding
  // How the body that follows is delimited; None for a response to HEAD,
  // 1xx, 204, 304 and a 2xx to CONNECT whatever the fields said.
  BodyFraming framing;
  // The Content-Length field's value when there was one, also where no body
  // follows (HEAD, 304): a proxy re-emits it.
  bool has_content_length = false;
  std::uint64_t content_length = 0;
  bool keep_alive = true;
  // A 2xx answer to CONNECT: the connection is a tunnel after the head.
  bool tunnel = false;
  std::string upgrade;  // the Upgrade field of a 101
  TokenList connection_tokens;

  bool is_informational() const { return status >= 100 && status < 200; }
  bool is_upgrade() const { return status == 101; }
  void clear();
};

}  // namespace ferry::core::http
