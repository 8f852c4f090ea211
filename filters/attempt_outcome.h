#pragma once

#include <cstdint>
#include <string_view>

namespace ferry::filters {

// How one upstream attempt ended, as the runtime saw it. The same value feeds
// the request's RetryState (retry or not) and the host's outlier counters
// (record_attempt). The kinds differ in one thing retry safety depends on:
// whether the upstream application may have processed the request.
enum class AttemptResult : std::uint8_t {
  // TCP (or TLS) connect failed or timed out: nothing was sent. Provably
  // unprocessed.
  ConnectFailure,
  // The upstream provably did not process the request: HTTP/2 REFUSED_STREAM,
  // a stream above a GOAWAY's last-stream-id, or a reused keep-alive
  // connection found closed before any request byte was written.
  Refused,
  // The connection or stream was reset / closed after (part of) the request
  // was sent and before a complete response head arrived. The application
  // may have processed it.
  Reset,
  // No response head within the per-try timeout. May have been processed.
  PerTryTimeout,
  // A response head arrived; `status` holds its code.
  Response,
};

struct AttemptOutcome {
  AttemptResult result = AttemptResult::Response;
  std::uint16_t status = 0;  // Response only
  // Reset only: the attempt went out on a reused keep-alive connection that
  // closed without sending a single response byte (the RFC 9112 §9.3.1 race
  // where the server closed an idle connection as we wrote). Lets the
  // always-on rule retry idempotent requests once.
  bool stale_connection = false;

  static constexpr AttemptOutcome connect_failure() { return {AttemptResult::ConnectFailure}; }
  static constexpr AttemptOutcome refused() { return {AttemptResult::Refused}; }
  static constexpr AttemptOutcome reset(bool stale = false) {
    return {AttemptResult::Reset, 0, stale};
  }
  static constexpr AttemptOutcome per_try_timeout() { return {AttemptResult::PerTryTimeout}; }
  static constexpr AttemptOutcome response(std::uint16_t code) {
    return {AttemptResult::Response, code};
  }

  // The request never reached an application.
  constexpr bool provably_unprocessed() const {
    return result == AttemptResult::ConnectFailure || result == AttemptResult::Refused;
  }
  // A failure that says the endpoint (or the path to it) is in trouble:
  // connect failure, reset, timeout, 502/503/504. A refused stream is not one
  // (the peer is alive and shedding or draining).
  constexpr bool gateway_failure() const {
    switch (result) {
      case AttemptResult::ConnectFailure:
      case AttemptResult::Reset:
      case AttemptResult::PerTryTimeout:
        return true;
      case AttemptResult::Response:
        return status == 502 || status == 503 || status == 504;
      case AttemptResult::Refused:
        break;
    }
    return false;
  }
};

// RFC 9110 §9.2.2: GET, HEAD, OPTIONS, TRACE, PUT, DELETE. Case-sensitive, as
// methods are.
bool is_idempotent_method(std::string_view method);

}  // namespace ferry::filters
