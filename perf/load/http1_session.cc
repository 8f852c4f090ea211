#include "perf/load/http1_session.h"

#include <stdexcept>
#include <string_view>

#include "proxy/core/http1/header_map.h"
#include "proxy/core/http1/message.h"
#include "proxy/core/http1/serializer.h"

namespace ferry::perf {

using core::http1::ParseEvent;

Http1Session::Http1Session(std::shared_ptr<const std::string> request, SessionEvents& events)
    : request_(std::move(request)), events_(events) {
  parser_.set_request_method(core::http::Method::Get);
}

bool Http1Session::submit(const RequestTiming& timing) {
  if (capacity() == 0) {
    return false;
  }
  timing_ = timing;
  status_ = 0;
  in_flight_ = true;
  request_unwritten_ = true;
  return true;
}

bool Http1Session::produce_output(std::vector<std::uint8_t>& out) {
  if (request_unwritten_) {
    out.insert(out.end(), request_->begin(), request_->end());
    request_unwritten_ = false;
  }
  return true;
}

void Http1Session::complete() {
  in_flight_ = false;
  if (!parser_.head().keep_alive || status_ == 101) {
    finished_ = true;
  }
  events_.on_response(timing_, status_);
}

bool Http1Session::parse(std::string_view& in) {
  // The parser may still owe an event after the last byte was consumed (the
  // end of a Content-Length body comes as Complete on an empty input), so
  // it runs until it asks for more, not until the input is empty.
  while (in_flight_ || !in.empty()) {
    if (!in_flight_) {
      // Bytes nobody asked for: the stream can no longer be trusted.
      finished_ = true;
      return false;
    }
    const core::http1::ParseStep step = parser_.parse(in);
    in.remove_prefix(step.consumed);
    switch (step.event) {
      case ParseEvent::NeedMore:
        return true;
      case ParseEvent::Head:
        status_ = parser_.head().status;
        break;
      case ParseEvent::Data:
      case ParseEvent::Trailers:
        break;
      case ParseEvent::Complete:
        // An interim 1xx (100, 103) is followed by the final response; 101
        // ends HTTP/1.1 on this connection.
        if (status_ >= 200 || status_ == 101) {
          complete();
        }
        break;
      case ParseEvent::Error:
        finished_ = true;
        return false;
    }
  }
  return true;
}

bool Http1Session::on_data(const std::uint8_t* data, std::size_t size) {
  const std::string_view fresh(reinterpret_cast<const char*>(data), size);
  std::string_view in = fresh;
  if (!unparsed_.empty()) {
    // Only a head split across reads gets here: the parser sees it again
    // whole, with the new bytes after it.
    unparsed_.append(fresh);
    in = unparsed_;
  }
  const bool ok = parse(in);
  if (!ok) {
    fail_all(FailureKind::Protocol);
    return false;
  }
  if (in.empty()) {
    unparsed_.clear();
  } else if (in.data() >= unparsed_.data() && in.data() < unparsed_.data() + unparsed_.size()) {
    unparsed_.erase(0, static_cast<std::size_t>(in.data() - unparsed_.data()));
  } else {
    unparsed_.assign(in);
  }
  return true;
}

void Http1Session::on_eof() {
  if (in_flight_ && parser_.finish().event == ParseEvent::Complete && status_ >= 200) {
    complete();  // a body delimited by the close
  }
  finished_ = true;
}

void Http1Session::fail_all(FailureKind kind) {
  if (in_flight_) {
    in_flight_ = false;
    events_.on_request_failed(timing_, kind);
  }
}

bool Http1Session::expire(std::uint64_t sent_before_ns) {
  if (!in_flight_ || timing_.sent_ns >= sent_before_ns) {
    return false;
  }
  // HTTP/1.1 cannot abandon one request and keep the connection.
  finished_ = true;
  fail_all(FailureKind::Timeout);
  return true;
}

std::function<std::unique_ptr<ClientSession>(SessionEvents&)> make_http1_session_factory(
    const RequestTemplate& request) {
  core::http::HeaderMap extra;
  for (const auto& [name, value] : request.headers) {
    extra.add(name, value);
  }
  // Host first, unless the user gave one of their own.
  core::http::HeaderMap headers;
  if (!extra.contains("host")) {
    headers.add("host", request.authority);
  }
  for (const core::http::HeaderField field : extra) {
    headers.add(field.name, field.value);
  }
  auto bytes = std::make_shared<std::string>();
  if (!core::http1::append_request_head(*bytes, "GET", request.path, headers,
                                        core::http::BodyFraming::none())) {
    throw std::runtime_error(
        "the request cannot be serialized (a header or the path holds "
        "characters HTTP/1.1 does not allow)");
  }
  std::shared_ptr<const std::string> shared = std::move(bytes);
  return [shared](SessionEvents& events) -> std::unique_ptr<ClientSession> {
    return std::make_unique<Http1Session>(shared, events);
  };
}

}  // namespace ferry::perf
