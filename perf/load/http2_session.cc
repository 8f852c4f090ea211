#include "perf/load/http2_session.h"

#include <algorithm>
#include <string_view>

#include <nghttp2/nghttp2.h>

namespace ferry::perf {
namespace {

constexpr std::int32_t kWindow = (1 << 30) - 1;

nghttp2_nv make_nv(std::string_view name, std::string_view value) {
  // The names and values live in the RequestTemplate (or are literals), so
  // nghttp2 may skip copying them.
  return nghttp2_nv{const_cast<std::uint8_t*>(reinterpret_cast<const std::uint8_t*>(name.data())),
                    const_cast<std::uint8_t*>(reinterpret_cast<const std::uint8_t*>(value.data())),
                    name.size(), value.size(),
                    NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE};
}

int parse_status(const std::uint8_t* value, std::size_t size) {
  if (size != 3) {
    return -1;
  }
  int status = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    if (value[i] < '0' || value[i] > '9') {
      return -1;
    }
    status = status * 10 + (value[i] - '0');
  }
  return status;
}

}  // namespace

// nghttp2 calls back into C functions; these forward to the session.
struct Http2Session::Callbacks {
  static Stream* stream_of(nghttp2_session* session, std::int32_t id) {
    return static_cast<Stream*>(nghttp2_session_get_stream_user_data(session, id));
  }

  static int on_header(nghttp2_session* session, const nghttp2_frame* frame,
                       const std::uint8_t* name, std::size_t namelen, const std::uint8_t* value,
                       std::size_t valuelen, std::uint8_t /*flags*/, void* /*user_data*/) {
    if (frame->hd.type != NGHTTP2_HEADERS || namelen != 7 ||
        std::string_view(reinterpret_cast<const char*>(name), namelen) != ":status") {
      return 0;
    }
    if (Stream* stream = stream_of(session, frame->hd.stream_id)) {
      // A 1xx head is followed by the final one; the last :status wins.
      stream->status = parse_status(value, valuelen);
    }
    return 0;
  }

  static int on_frame_recv(nghttp2_session* session, const nghttp2_frame* frame, void* user_data) {
    auto* self = static_cast<Http2Session*>(user_data);
    if (frame->hd.type == NGHTTP2_GOAWAY) {
      self->goaway_ = true;
      return 0;
    }
    if ((frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) ||
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM) == 0) {
      return 0;
    }
    Stream* stream = stream_of(session, frame->hd.stream_id);
    if (stream != nullptr && self->settle(*stream)) {
      self->events_.on_response(stream->timing, stream->status);
    }
    return 0;
  }

  static int on_frame_send(nghttp2_session* /*session*/, const nghttp2_frame* frame,
                           void* user_data) {
    // nghttp2 answers a connection error it detected (a malformed frame,
    // garbage instead of the server's SETTINGS) with a GOAWAY and closes
    // every stream: those are protocol failures, not refusals.
    if (frame->hd.type == NGHTTP2_GOAWAY && frame->goaway.error_code != NGHTTP2_NO_ERROR) {
      static_cast<Http2Session*>(user_data)->local_error_ = true;
    }
    return 0;
  }

  static int on_stream_close(nghttp2_session* session, std::int32_t id, std::uint32_t error_code,
                             void* user_data) {
    auto* self = static_cast<Http2Session*>(user_data);
    Stream* stream = stream_of(session, id);
    if (stream == nullptr) {
      return 0;
    }
    if (self->settle(*stream)) {
      if (self->local_error_) {
        self->events_.on_request_failed(stream->timing, FailureKind::Protocol);
      } else if (error_code == NGHTTP2_REFUSED_STREAM) {
        self->events_.on_request_refused(stream->timing);
      } else {
        self->events_.on_request_failed(stream->timing, FailureKind::Reset);
      }
    }
    self->release(*stream);
    return 0;
  }
};

Http2Session::Http2Session(const RequestTemplate& request, std::uint32_t streams,
                           SessionEvents& events)
    : events_(events), streams_(std::max<std::uint32_t>(streams, 1)) {
  headers_.push_back(make_nv(":method", "GET"));
  headers_.push_back(make_nv(":scheme", "http"));
  headers_.push_back(make_nv(":authority", request.authority));
  headers_.push_back(make_nv(":path", request.path));
  for (const auto& [name, value] : request.headers) {
    headers_.push_back(make_nv(name, value));
  }
  free_.reserve(streams_.size());
  for (std::uint32_t i = static_cast<std::uint32_t>(streams_.size()); i > 0; --i) {
    free_.push_back(i - 1);
  }

  nghttp2_session_callbacks* callbacks = nullptr;
  if (nghttp2_session_callbacks_new(&callbacks) != 0) {
    broken_ = true;
    return;
  }
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &Callbacks::on_header);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &Callbacks::on_frame_recv);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Callbacks::on_stream_close);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, &Callbacks::on_frame_send);
  const int rv = nghttp2_session_client_new(&session_, callbacks, this);
  nghttp2_session_callbacks_del(callbacks);
  if (rv != 0) {
    session_ = nullptr;
    broken_ = true;
    return;
  }
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, kWindow},
  };
  if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings)) != 0 ||
      nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0, kWindow) != 0) {
    broken_ = true;
  }
}

Http2Session::~Http2Session() {
  // Deleting the session may still call on_stream_close for open streams;
  // settle them so nothing is counted twice.
  for (Stream& stream : streams_) {
    settle(stream);
  }
  nghttp2_session_del(session_);
}

std::uint32_t Http2Session::capacity() const {
  if (finished()) {
    return 0;
  }
  const std::uint32_t peer_limit =
      nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  const std::uint32_t limit =
      std::min(static_cast<std::uint32_t>(streams_.size()), std::max<std::uint32_t>(peer_limit, 1));
  return limit > active_ ? limit - active_ : 0;
}

bool Http2Session::submit(const RequestTiming& timing) {
  if (free_.empty() || finished()) {
    return false;
  }
  Stream& stream = streams_[free_.back()];
  const std::int32_t id =
      nghttp2_submit_request(session_, nullptr, headers_.data(), headers_.size(), nullptr, &stream);
  if (id < 0) {
    // Stream ids exhausted (or out of memory): finish this connection.
    broken_ = true;
    return false;
  }
  free_.pop_back();
  stream = Stream{timing, id, 0, true, false};
  ++active_;
  ++pending_;
  return true;
}

bool Http2Session::settle(Stream& stream) {
  if (stream.reported) {
    return false;
  }
  stream.reported = true;
  --pending_;
  return true;
}

void Http2Session::release(Stream& stream) {
  if (!stream.in_use) {
    return;
  }
  stream.in_use = false;
  free_.push_back(static_cast<std::uint32_t>(&stream - streams_.data()));
  --active_;
}

bool Http2Session::on_data(const std::uint8_t* data, std::size_t size) {
  const auto rv = nghttp2_session_mem_recv(session_, data, size);
  if (rv < 0) {
    broken_ = true;
    fail_all(FailureKind::Protocol);
    return false;
  }
  return true;
}

bool Http2Session::produce_output(std::vector<std::uint8_t>& out) {
  if (session_ == nullptr) {
    return false;
  }
  for (;;) {
    const std::uint8_t* chunk = nullptr;
    const auto n = nghttp2_session_mem_send(session_, &chunk);
    if (n < 0) {
      broken_ = true;
      fail_all(FailureKind::Protocol);
      return false;
    }
    if (n == 0) {
      break;
    }
    // Small frames are gathered into one write (nghttp2's own advice with
    // TCP_NODELAY).
    out.insert(out.end(), chunk, chunk + n);
  }
  if (local_error_) {
    broken_ = true;
    fail_all(FailureKind::Protocol);
    return false;
  }
  return true;
}

bool Http2Session::finished() const {
  return broken_ || goaway_ ||
         (nghttp2_session_want_read(session_) == 0 && nghttp2_session_want_write(session_) == 0);
}

void Http2Session::fail_all(FailureKind kind) {
  for (Stream& stream : streams_) {
    if (stream.in_use && settle(stream)) {
      events_.on_request_failed(stream.timing, kind);
    }
  }
}

bool Http2Session::expire(std::uint64_t sent_before_ns) {
  for (Stream& stream : streams_) {
    if (stream.in_use && !stream.reported && stream.timing.sent_ns < sent_before_ns) {
      settle(stream);
      events_.on_request_failed(stream.timing, FailureKind::Timeout);
      // The slot is freed when nghttp2 closes the stream after sending this.
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream.id, NGHTTP2_CANCEL);
    }
  }
  return false;
}

}  // namespace ferry::perf
