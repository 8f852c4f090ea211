#pragma once

#include <cstdint>
#include <string_view>

#include <string>

#include <boost/asio/ip/tcp.hpp>

#include "proxy/core/http1/message.h"

// The protocol-neutral request path. Codecs (HTTP/1 today, HTTP/2 later) turn
// bytes into events; routing, filters and upstream attempts see only events.
//
// ## The life of one request
//
//  1. A downstream codec connection (Http1ServerConnection) parses a request
//     head and starts a Stream (stream.h), the per-request object it owns and
//     recycles. The stream implements DownstreamEvents toward the rest of the
//     path and talks back to the codec through DownstreamStream.
//  2. The stream runs the listener's filter chain on the head
//     (RequestFilter::on_request_headers). A filter may answer locally (rate
//     limit → 429), or stop iteration and resume later (a fault delay); while
//     the chain is stopped the codec stops reading the request body
//     (back-pressure).
//  3. The last step is the router (UpstreamRouter): it matches a route, takes
//     the cluster from the worker's snapshot, checks the circuit breakers,
//     picks an endpoint and asks that endpoint's per-worker pool for an
//     UpstreamStream: an idle kept-alive HTTP/1 connection, a new one, or (for
//     HTTP/2) a stream on a shared connection. The request waits in the pool's
//     pending queue if the cluster is at max_connections.
//  4. Request body chunks flow codec → stream → router → UpstreamStream; each
//     hop copies what it cannot send at once into a bounded buffer, and says
//     "stop" (pause) to the one before it above the watermark.
//  5. The upstream answers through UpstreamCallbacks: headers, data, end, or
//     a failure (UpstreamFailure says where it failed and whether the request
//     may have reached the application). The router decides: forward the
//     response, retry (always once when the request provably never reached an
//     application; more under a retry policy), or answer locally (502/503/504).
//  6. Response events run the filter chain back and reach the codec through
//     DownstreamStream. Once response bytes went out, a failure can only reset
//     the stream (HTTP/1: close the connection, never a fake end).
//  7. When both directions ended, the stream logs and counts the request, the
//     upstream connection goes back to its pool (if reusable), and the codec
//     recycles the stream for the next request.
//
// Threads: everything here runs on one worker thread. Objects are owned by
// their connection; callbacks between them are raw pointers valid until the
// stream's `reset`/completion, which every side observes.

namespace ferry::proxy {

// Why a request ended early; also the access-log response flags.
enum class StreamResetReason : std::uint8_t {
  None,
  DownstreamClosed,  // the client went away
  UpstreamFailure,   // the upstream failed after the response started
  Timeout,           // a timeout fired after the response started
  ProtocolError,     // malformed data from either side after the response started
  Draining,          // process shutdown
};

// What went wrong with one upstream attempt. The router's retry decision
// reads these fields, never strings.
struct UpstreamFailure {
  enum class Kind : std::uint8_t {
    ConnectFailed,         // refused, unreachable, or connect timeout
    ClosedBeforeResponse,  // EOF/reset before any response byte
    ResetDuringResponse,   // EOF/reset after response bytes arrived
    ProtocolError,         // malformed response → 502, connection not reused
    PerTryTimeout,         // the attempt's own timeout
    Overflow,              // circuit breaker / pending queue full
  };
  Kind kind = Kind::ConnectFailed;
  // True when the request cannot have reached an application: a connect
  // failure, or a kept-alive connection that was closed by the peer before
  // any byte of this request was accepted... or before any response byte on
  // a reused connection (the keep-alive race).
  bool provably_unprocessed = false;
  // The connection had served earlier requests (keep-alive reuse).
  bool reused_connection = false;
  bool connect_timeout = false;
};

class UpstreamStream;

// The codec side of one request, as the stream sees it.
class DownstreamStream {
 public:
  // Response head toward the client. `end_stream`: no body follows.
  virtual void send_response_headers(core::http::ResponseHead& head, bool end_stream) = 0;
  virtual void send_response_data(std::string_view data) = 0;
  // The response body ended (trailers may be null).
  virtual void send_response_end(const core::http::HeaderMap* trailers) = 0;
  // Ends the response abnormally: HTTP/1 closes the connection after what
  // was already sent (the client never sees a complete-looking response).
  virtual void reset_stream(StreamResetReason reason) = 0;
  // Writes what the send_* calls buffered (they only append, so one event
  // batch costs one system call).
  virtual void flush() = 0;
  // Flow control: stop / resume delivering request body events.
  virtual void pause_request_body() = 0;
  virtual void resume_request_body() = 0;
  // True when the response buffer toward the client is above its watermark;
  // the router then pauses the upstream until on_downstream_drained().
  virtual bool response_buffer_full() const = 0;
  // "100 Continue" to a client that sent `Expect: 100-continue` (when its
  // body is wanted).
  virtual void send_continue() = 0;
  // The upstream answered 101 (or 2xx to CONNECT) and the head was sent
  // with send_response_headers: both connections become one byte tunnel.
  // The request ends here; `upstream` gives up its socket.
  virtual void start_tunnel(UpstreamStream& upstream) = 0;

 protected:
  ~DownstreamStream() = default;
};

// One request attempt on an upstream connection (or HTTP/2 stream).
class UpstreamStream {
 public:
  // The head is serialized with the framing given; `end_stream` = no body.
  virtual void send_request_headers(const core::http::RequestHead& head,
                                    core::http::BodyFraming framing, bool end_stream) = 0;
  virtual void send_request_data(std::string_view data) = 0;
  virtual void send_request_end() = 0;
  // Writes what the send_* calls buffered.
  virtual void flush() = 0;
  // Abandons the attempt: the connection is closed (HTTP/1) or the stream
  // reset (HTTP/2); no callback follows.
  virtual void abandon() = 0;
  // Flow control of the response toward the router.
  virtual void pause_response() = 0;
  virtual void resume_response() = 0;
  // True when the request buffer toward the upstream is above its watermark.
  virtual bool request_buffer_full() const = 0;
  // Gives up the socket for a tunnel, with the bytes already read past the
  // response head; the stream is finished afterwards.
  virtual boost::asio::ip::tcp::socket detach_socket(std::string& leftover) = 0;

 protected:
  ~UpstreamStream() = default;
};

// What an UpstreamStream reports, implemented by the router.
class UpstreamCallbacks {
 public:
  // The pool has a stream for this request (possibly after connecting).
  virtual void on_upstream_ready(UpstreamStream& stream) = 0;
  virtual void on_upstream_headers(core::http::ResponseHead& head, bool end_stream) = 0;
  virtual void on_upstream_data(std::string_view data) = 0;
  virtual void on_upstream_end(const core::http::HeaderMap* trailers) = 0;
  virtual void on_upstream_failure(const UpstreamFailure& failure) = 0;
  // The request buffer toward the upstream drained below its watermark.
  virtual void on_upstream_drained() = 0;
  // The upstream connection processed everything one read gave it: the
  // router flushes what it forwarded downstream (one write per batch).
  virtual void on_upstream_batch_end() = 0;
  // 101 Switching Protocols / CONNECT 2xx: the connection becomes a tunnel.
  virtual void on_upstream_upgraded() {}

 protected:
  ~UpstreamCallbacks() = default;
};

}  // namespace ferry::proxy
