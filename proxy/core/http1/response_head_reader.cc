#include <boost/beast/http/basic_parser.hpp>

#include "proxy/core/http1/beast_text.h"
#include "proxy/core/http1/char_class.h"
#include "proxy/core/http1/field_rules.h"
#include "proxy/core/http1/head_reader.h"

namespace ferry::core::http1 {

namespace {

namespace beast_http = boost::beast::http;
using boost::beast::error_code;
using BeastView = boost::beast::string_view;

// Beast's response parser as a tokenizer; see RequestReader. An upstream
// that breaks a rule here makes the proxy answer 502 and drop the connection.
class ResponseReader final : public beast_http::basic_parser<false> {
 public:
  ResponseReader(const ParserOptions& options, http::Method request_method,
                 http::ResponseHead& head)
      : options_(options), request_method_(request_method), head_(head) {
    skip(true);
  }

  std::optional<RejectReason> read(std::string_view block) {
    header_limit(static_cast<std::uint32_t>(block.size() + 1));
    error_code ec;
    put(boost::asio::const_buffer(block.data(), block.size()), ec);
    if (error_) {
      return error_;
    }
    if (ec || !is_done()) {
      return classify_beast_error(ec);
    }
    return finish();
  }

 private:
  void on_request_impl(beast_http::verb, BeastView, BeastView, int, error_code& ec) override {
    ec = beast_http::error::bad_method;
  }

  void on_response_impl(int code, BeastView reason, int version, error_code&) override {
    status_seen_ = true;
    head_.status = static_cast<std::uint16_t>(code);
    head_.reason.assign(reason.data(), reason.size());
    head_.version = version == 11 ? http::Version::Http11 : http::Version::Http10;
  }

  void on_field_impl(beast_http::field f, BeastView name_view, BeastView value_view,
                     error_code& ec) override {
    const std::string_view name = sv(name_view);
    const std::string_view value = sv(value_view);
    if (name.find('_') != std::string_view::npos &&
        options_.underscores != UnderscorePolicy::Allow) {
      if (options_.underscores == UnderscorePolicy::Reject) {
        error_ = RejectReason::UnderscoreHeader;
        ec = beast_http::error::bad_value;
      }
      return;
    }
    switch (f) {
      case beast_http::field::content_length:
        ++content_lengths_;
        content_length_ = value;
        return;
      case beast_http::field::transfer_encoding:
        ++transfer_encodings_;
        transfer_encoding_ = value;
        return;
      case beast_http::field::connection:
      case beast_http::field::proxy_connection:
        if (!rules::add_connection_tokens(value, head_.connection_tokens)) {
          error_ = RejectReason::BadHeader;
          ec = beast_http::error::bad_value;
          return;
        }
        break;
      case beast_http::field::upgrade:
        upgrade_ = value;
        break;
      default:
        break;
    }
    head_.headers.add(name, value);
  }

  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(BeastView, error_code&) override { return 0; }
  void on_chunk_header_impl(std::uint64_t, BeastView, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, BeastView, error_code&) override { return 0; }
  void on_finish_impl(error_code&) override {}

  // Beast refused a framing field (CL with TE, differing CLs, TE after CL):
  // every such upstream is broken the same way for the proxy.
  RejectReason classify_beast_error(error_code ec) const {
    if (!status_seen_) {
      return RejectReason::BadStatusLine;
    }
    if (ec == beast_http::error::bad_content_length ||
        ec == beast_http::error::multiple_content_length) {
      return transfer_encodings_ > 0 ? RejectReason::ClTe : RejectReason::BadContentLength;
    }
    if (ec == beast_http::error::bad_transfer_encoding) {
      return content_lengths_ > 0 ? RejectReason::ClTe : RejectReason::BadTransferEncoding;
    }
    return RejectReason::BadHeader;
  }

  std::optional<RejectReason> check_framing_fields();
  std::optional<RejectReason> finish();

  const ParserOptions& options_;
  http::Method request_method_;
  http::ResponseHead& head_;
  std::optional<RejectReason> error_;
  bool status_seen_ = false;
  std::uint32_t content_lengths_ = 0;
  std::uint32_t transfer_encodings_ = 0;
  std::string_view content_length_;
  std::string_view transfer_encoding_;
  std::optional<std::string_view> upgrade_;
};

// The framing fields must be valid whatever the status says about the body:
// an upstream that sends CL+TE or two lengths is never trusted again.
std::optional<RejectReason> ResponseReader::check_framing_fields() {
  if (transfer_encodings_ > 0) {
    if (head_.version == http::Version::Http10) {
      return RejectReason::TeHttp10;
    }
    if (content_lengths_ > 0) {
      return RejectReason::ClTe;
    }
    if (transfer_encodings_ > 1) {
      return RejectReason::BadTransferEncoding;
    }
    return rules::check_transfer_encoding(transfer_encoding_, false);
  }
  if (content_lengths_ > 0) {
    const auto length = rules::parse_content_length(content_length_);
    if (content_lengths_ > 1 || !length) {
      return RejectReason::BadContentLength;
    }
    head_.has_content_length = true;
    head_.content_length = *length;
  }
  return std::nullopt;
}

std::optional<RejectReason> ResponseReader::finish() {
  if (auto bad = check_framing_fields()) {
    return bad;
  }
  const std::uint16_t status = head_.status;
  const bool chunked = transfer_encodings_ > 0;
  const http::TokenList& tokens = head_.connection_tokens;
  const bool http11 = head_.version == http::Version::Http11;
  head_.keep_alive = http11 ? !tokens.contains("close")
                            : tokens.contains("keep-alive") && !tokens.contains("close");
  // RFC 9110 §8.6, RFC 9112 §6.1: no framing fields on 1xx; none or a zero
  // length on 204. A 204 that declares a body is an upstream that will desync.
  if (head_.is_informational() || status == 204) {
    if (chunked ||
        (head_.has_content_length && (head_.is_informational() || head_.content_length != 0))) {
      return RejectReason::UnexpectedBody;
    }
    head_.framing = http::BodyFraming::none();
    if (status == 101) {
      head_.upgrade.assign(upgrade_.value_or(std::string_view()));
      head_.keep_alive = false;  // the connection is no longer HTTP/1
    }
    return std::nullopt;
  }
  // RFC 9112 §6.3 rules 1-2: HEAD and 304 have no body; a 2xx to CONNECT
  // turns the connection into a tunnel (its framing fields are ignored).
  if (request_method_ == http::Method::Head || status == 304) {
    head_.framing = http::BodyFraming::none();
    return std::nullopt;
  }
  if (request_method_ == http::Method::Connect && status / 100 == 2) {
    head_.framing = http::BodyFraming::none();
    head_.tunnel = true;
    head_.keep_alive = false;
    return std::nullopt;
  }
  if (chunked) {
    head_.framing = http::BodyFraming::chunked();
  } else if (head_.has_content_length) {
    head_.framing = http::BodyFraming::content_length(head_.content_length);
  } else {
    head_.framing = http::BodyFraming::until_close();
    head_.keep_alive = false;
  }
  return std::nullopt;
}

}  // namespace

std::optional<RejectReason> read_response_head(std::string_view block, const ParserOptions& options,
                                               http::Method request_method,
                                               http::ResponseHead& head) {
  head.clear();
  ResponseReader reader(options, request_method, head);
  return reader.read(block);
}

}  // namespace ferry::core::http1
