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

// The field a failed Beast parse stopped at: line `index` of the block
// (line 0 is the start line). Only used on the error path.
std::string_view field_name_of_line(std::string_view block, std::size_t index) {
  for (std::size_t i = 0; i < index; ++i) {
    const std::size_t eol = block.find("\r\n");
    if (eol == std::string_view::npos) {
      return {};
    }
    block.remove_prefix(eol + 2);
  }
  return block.substr(0, block.find(':'));
}

// Beast's request parser as a tokenizer: every field goes into the head's
// HeaderMap, except the framing fields, which are only recorded.
class RequestReader final : public beast_http::basic_parser<true> {
 public:
  RequestReader(const ParserOptions& options, http::RequestHead& head)
      : options_(options), head_(head) {
    skip(true);  // ferry decodes bodies itself (ChunkedDecoder, counters)
  }

  std::optional<RejectReason> read(std::string_view block) {
    header_limit(static_cast<std::uint32_t>(block.size() + 1));
    error_code ec;
    put(boost::asio::const_buffer(block.data(), block.size()), ec);
    if (error_) {
      return error_;
    }
    if (ec || !is_done()) {
      return classify_beast_error(block);
    }
    return finish();
  }

 private:
  void on_request_impl(beast_http::verb, BeastView method, BeastView target, int version,
                       error_code&) override {
    head_.method_text.assign(method.data(), method.size());
    head_.method = http::method_from_string(sv(method));
    head_.target.assign(target.data(), target.size());
    head_.version = version == 11 ? http::Version::Http11 : http::Version::Http10;
  }

  void on_response_impl(int, BeastView, int, error_code& ec) override {
    ec = beast_http::error::bad_version;
  }

  void on_field_impl(beast_http::field f, BeastView name_view, BeastView value_view,
                     error_code& ec) override {
    ++fields_seen_;
    const std::string_view name = sv(name_view);
    const std::string_view value = sv(value_view);
    if (name.find('_') != std::string_view::npos) {
      if (options_.underscores == UnderscorePolicy::Reject) {
        return stop(ec, RejectReason::UnderscoreHeader);
      }
      if (options_.underscores == UnderscorePolicy::Drop) {
        ++head_.dropped_underscore_headers;
        return;
      }
    }
    switch (f) {
      case beast_http::field::content_length:
        ++content_lengths_;
        content_length_ = value;
        return;  // framing is recorded, never forwarded raw
      case beast_http::field::transfer_encoding:
        ++transfer_encodings_;
        transfer_encoding_ = value;
        return;
      case beast_http::field::host:
        ++hosts_;
        host_ = value;
        break;
      case beast_http::field::connection:
      case beast_http::field::proxy_connection:
        if (!rules::add_connection_tokens(value, head_.connection_tokens)) {
          return stop(ec, RejectReason::BadHeader);
        }
        break;
      case beast_http::field::expect:
        expect_continue_ = expect_continue_ || chars::iequals(value, "100-continue");
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

  void stop(error_code& ec, RejectReason reason) {
    error_ = reason;
    ec = beast_http::error::bad_value;
  }

  // Beast refused a field before handing it to us (its own Content-Length /
  // Transfer-Encoding / Connection checks): name the reason from that field.
  RejectReason classify_beast_error(std::string_view block) const {
    if (!is_header_done() && fields_seen_ == 0 && head_.target.empty()) {
      return RejectReason::BadRequestLine;
    }
    const std::string_view name = field_name_of_line(block, fields_seen_ + 1);
    const bool http10 = head_.version == http::Version::Http10;
    if (chars::iequals(name, "content-length")) {
      if (transfer_encodings_ > 0) {
        return http10 ? RejectReason::TeHttp10 : RejectReason::ClTe;
      }
      return RejectReason::BadContentLength;
    }
    if (chars::iequals(name, "transfer-encoding")) {
      if (http10) {
        return RejectReason::TeHttp10;
      }
      return content_lengths_ > 0 ? RejectReason::ClTe : RejectReason::BadTransferEncoding;
    }
    return RejectReason::BadHeader;
  }

  std::optional<RejectReason> finish();
  std::optional<RejectReason> finish_framing();

  const ParserOptions& options_;
  http::RequestHead& head_;
  std::optional<RejectReason> error_;
  std::size_t fields_seen_ = 0;
  std::uint32_t content_lengths_ = 0;
  std::uint32_t transfer_encodings_ = 0;
  std::uint32_t hosts_ = 0;
  bool expect_continue_ = false;
  std::string_view content_length_;
  std::string_view transfer_encoding_;
  std::string_view host_;
  std::optional<std::string_view> upgrade_;
};

std::optional<RejectReason> RequestReader::finish_framing() {
  const bool http10 = head_.version == http::Version::Http10;
  if (transfer_encodings_ > 0) {
    if (http10) {
      return RejectReason::TeHttp10;  // RFC 9112 §6.1
    }
    if (content_lengths_ > 0) {
      return RejectReason::ClTe;  // RFC 9112 §6.1: refuse, never guess
    }
    if (transfer_encodings_ > 1) {
      return RejectReason::BadTransferEncoding;
    }
    if (auto bad = rules::check_transfer_encoding(transfer_encoding_, true)) {
      return bad;
    }
    head_.framing = http::BodyFraming::chunked();
    return std::nullopt;
  }
  if (content_lengths_ > 0) {
    const auto length = rules::parse_content_length(content_length_);
    if (content_lengths_ > 1 || !length) {
      return RejectReason::BadContentLength;
    }
    head_.framing = http::BodyFraming::content_length(*length);
    return std::nullopt;
  }
  head_.framing = http::BodyFraming::none();
  return std::nullopt;
}

std::optional<RejectReason> RequestReader::finish() {
  if (auto bad = finish_framing()) {
    return bad;
  }
  const bool http11 = head_.version == http::Version::Http11;
  // RFC 9112 §3.2: exactly one valid Host, required in HTTP/1.1.
  if (hosts_ > 1) {
    return RejectReason::BadHost;
  }
  if (hosts_ == 0 && http11) {
    return RejectReason::MissingHost;
  }
  if (hosts_ == 1 && !rules::valid_authority(host_, false)) {
    return RejectReason::BadHost;
  }
  if (auto bad = rules::parse_target(head_)) {
    return bad;
  }
  if (head_.target_form == http::TargetForm::Absolute) {
    // RFC 9112 §3.2.2: the target's authority wins; forward it as Host.
    head_.headers.set("host", head_.authority);
  } else if (head_.target_form != http::TargetForm::Authority) {
    head_.authority.assign(host_);
  }
  const http::TokenList& tokens = head_.connection_tokens;
  head_.keep_alive = http11 ? !tokens.contains("close")
                            : tokens.contains("keep-alive") && !tokens.contains("close");
  // RFC 9110 §10.1.1: an HTTP/1.0 100-continue expectation is ignored.
  head_.expect_continue = http11 && expect_continue_;
  // RFC 9110 §7.8: Upgrade counts only when Connection lists it; HTTP/1.0
  // upgrades are ignored.
  if (upgrade_ && http11 && tokens.contains("upgrade")) {
    head_.upgrade.assign(*upgrade_);
  }
  return std::nullopt;
}

}  // namespace

std::optional<RejectReason> read_request_head(std::string_view block, const ParserOptions& options,
                                              http::RequestHead& head) {
  head.clear();
  RequestReader reader(options, head);
  return reader.read(block);
}

}  // namespace ferry::core::http1
