#include "proxy/http/upstream_router.h"

#include <algorithm>

#include "filters/attempt_recorder.h"
#include "filters/host.h"
#include "proxy/cluster.h"
#include "proxy/core/http1/hop_by_hop.h"
#include "proxy/core/log.h"
#include "proxy/http/http_listener_runtime.h"
#include "proxy/http/http_stream.h"
#include "proxy/http/request_id.h"
#include "proxy/listener.h"
#include "proxy/worker.h"

namespace ferry::proxy {
namespace {

using Clock = std::chrono::steady_clock;
using Resource = filters::CircuitBreakers::Resource;
using FailureKind = UpstreamFailure::Kind;

constexpr Clock::time_point kNever{};

filters::AttemptOutcome to_outcome(const UpstreamFailure& f) {
  switch (f.kind) {
    case FailureKind::ConnectFailed:
      return filters::AttemptOutcome::connect_failure();
    case FailureKind::ClosedBeforeResponse:
      // The keep-alive race: a reused connection closed before one response
      // byte. Retried once (idempotent methods) even without a policy.
      return filters::AttemptOutcome::reset(/*stale=*/f.reused_connection);
    case FailureKind::ResetDuringResponse:
      return filters::AttemptOutcome::reset();
    case FailureKind::ProtocolError:
      return filters::AttemptOutcome::response(502);
    case FailureKind::PerTryTimeout:
      return filters::AttemptOutcome::per_try_timeout();
    case FailureKind::Overflow:
      break;
  }
  return filters::AttemptOutcome::reset();
}

// True when the Upgrade value lists the h2c protocol (case-insensitive).
bool names_h2c(std::string_view upgrade) {
  std::size_t pos = 0;
  while (pos < upgrade.size()) {
    std::size_t end = upgrade.find(',', pos);
    if (end == std::string_view::npos) {
      end = upgrade.size();
    }
    std::string_view token = upgrade.substr(pos, end - pos);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) {
      token.remove_prefix(1);
    }
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) {
      token.remove_suffix(1);
    }
    if (token.size() == 3 && (token[0] | 0x20) == 'h' && token[1] == '2' &&
        (token[2] | 0x20) == 'c') {
      return true;
    }
    pos = end + 1;
  }
  return false;
}

}  // namespace

UpstreamRouter::UpstreamRouter(HttpStream& stream) : stream_(stream) {}

UpstreamRouter::~UpstreamRouter() {
  reset();
}

void UpstreamRouter::start(const Cluster& cluster, const core::RouteConfig& route,
                           const filters::RetryPolicyOptions* retry_policy,
                           core::Duration per_try_timeout) {
  cluster_ = &cluster;
  route_ = &route;
  retry_policy_ = retry_policy;
  per_try_timeout_ = per_try_timeout;
  request_slot_ = cluster.shared().breakers().try_acquire(Resource::Requests);
  if (!request_slot_) {
    cluster.shared().stats().pending_overflow.inc();
    stream_.add_flag("UO");
    stream_.local_reply(503, "upstream overloaded", "x-ferry-overloaded", "true");
    return;
  }
  const core::http::RequestHead& head = stream_.head();
  retry_.emplace(retry_policy,
                 filters::RequestFacts{head.is_idempotent(), /*body_replayable=*/true},
                 stream_.worker().random());
  const auto now = Clock::now();
  if (route.timeout.count() > 0) {
    request_deadline_ = now + route.timeout;
    stream_.arm_timer(request_deadline_);
  }
  prepare_upstream_head();
  if (head.expect_continue) {
    stream_.send_continue();
  }
  attempt();
}

void UpstreamRouter::prepare_upstream_head() {
  core::http::RequestHead& head = stream_.head();
  // An HTTP/2 upgrade (h2c) is never offered upstream: ferry would have to
  // speak HTTP/2 on the tunnel (RELIABILITY H1-12). Other upgrades
  // (WebSocket) become a tunnel after the upstream's 101.
  const bool upgrade = !head.upgrade.empty() && route_->allow_upgrade && !names_h2c(head.upgrade);
  core::http::remove_hop_by_hop(head.headers, {.keep_upgrade = upgrade, .keep_te_trailers = true});
  if (upgrade) {
    head.headers.add("connection", "upgrade");
  } else {
    head.headers.remove("upgrade");
  }
  // Expect is answered by ferry itself; headers ferry sets or consumes
  // (x-ferry-*) are never taken from the client. One pass.
  head.headers.remove_if([](std::string_view name, std::string_view) {
    return name == "expect" || name.rfind("x-ferry-", 0) == 0;
  });
  const core::ListenerConfig& listener = stream_.context().listener->config();
  const std::string_view peer = stream_.context().peer_ip;
  switch (listener.x_forwarded_for) {
    case core::XForwardedFor::Append:
      if (auto xff = head.headers.get("x-forwarded-for")) {
        std::string value(*xff);
        value += ", ";
        value += peer;
        head.headers.set("x-forwarded-for", value);
      } else {
        head.headers.add("x-forwarded-for", peer);
      }
      break;
    case core::XForwardedFor::Replace:
      head.headers.set("x-forwarded-for", peer);
      break;
    case core::XForwardedFor::Off:
      break;
  }
  if (!head.headers.contains("x-forwarded-proto")) {
    head.headers.add("x-forwarded-proto", "http");
  }
}

void UpstreamRouter::attempt() {
  filters::Host* picked = cluster_->pick(stream_.worker().index(), host_);
  if (picked == nullptr) {
    stream_.add_flag("UH");
    stream_.local_reply(503, "no healthy upstream");
    return;
  }
  ++attempts_;
  host_ = picked;
  host_->stats.active_requests.fetch_add(1, std::memory_order_relaxed);
  attempt_started_ = Clock::now();
  sent_at_ = kNever;
  if (per_try_timeout_.count() > 0) {
    try_deadline_ = attempt_started_ + per_try_timeout_;
    stream_.arm_timer(try_deadline_);
  }
  body_sent_ = 0;
  pool_ = &stream_.worker().pools().get(*host_, cluster_->shared_ptr());
  const bool fresh = fresh_connection_;
  fresh_connection_ = false;
  pool_->request(*this, fresh, &waiter_);
}

void UpstreamRouter::on_upstream_ready(UpstreamStream& stream) {
  waiter_.reset();
  upstream_ = &stream;
  sent_at_ = Clock::now();
  const core::http::RequestHead& head = stream_.head();
  const bool no_body = head.framing.kind == core::http::BodyFraming::Kind::None;
  upstream_->send_request_headers(head, head.framing, no_body);
  if (upstream_ == nullptr) {
    return;  // the head could not be written: the failure was reported
  }
  send_buffered();
  upstream_->flush();
}

void UpstreamRouter::send_buffered() {
  if (body_sent_ < body_.size()) {
    upstream_->send_request_data(std::string_view(body_).substr(body_sent_));
    body_sent_ = body_.size();
  }
  if (!body_replayable_) {
    body_.clear();
    body_sent_ = 0;
  }
  const bool has_body = stream_.head().framing.kind != core::http::BodyFraming::Kind::None;
  if (request_complete_ && has_body) {
    upstream_->send_request_end();
  }
}

void UpstreamRouter::on_request_data(std::string_view data) {
  body_total_ += data.size();
  if (body_replayable_ && !retry_->on_request_body(body_total_)) {
    body_replayable_ = false;
  }
  if (upstream_ != nullptr) {
    upstream_->send_request_data(data);
    if (body_replayable_) {
      body_.append(data);
      body_sent_ = body_.size();
    } else {
      body_.clear();
      body_sent_ = 0;
    }
    if (upstream_->request_buffer_full() && !paused_downstream_) {
      paused_downstream_ = true;
      stream_.downstream().pause_request_body();
    }
    return;
  }
  // Not connected yet (or between attempts): keep the bytes until sent.
  body_.append(data);
  const auto limit = cluster_->shared().config().per_connection_buffer_limit;
  if (body_.size() >= limit && !paused_downstream_) {
    paused_downstream_ = true;
    stream_.downstream().pause_request_body();
  }
}

void UpstreamRouter::on_request_end() {
  request_complete_ = true;
  if (upstream_ != nullptr && stream_.head().framing.kind != core::http::BodyFraming::Kind::None) {
    upstream_->send_request_end();
  }
}

void UpstreamRouter::on_batch_end() {
  if (upstream_ != nullptr) {
    upstream_->flush();
  }
}

void UpstreamRouter::on_upstream_drained() {
  if (paused_downstream_) {
    paused_downstream_ = false;
    stream_.downstream().resume_request_body();
  }
}

void UpstreamRouter::on_downstream_drained() {
  if (upstream_ != nullptr) {
    upstream_->resume_response();
  }
}

void UpstreamRouter::on_upstream_headers(core::http::ResponseHead& head, bool end_stream) {
  const auto outcome = filters::AttemptOutcome::response(head.status);
  record_attempt_result(outcome);
  if (!response_started_ && retry_candidate(head.status) && !head.is_upgrade()) {
    auto decision = retry_->on_attempt(outcome, time_left());
    count_no_retry(decision);
    if (auto* retry = std::get_if<filters::Retry>(&decision)) {
      filters::ResourceSlot slot = cluster_->shared().breakers().try_acquire_retry();
      if (slot) {
        cluster_->shared().stats().retries.inc();
        finish_attempt();  // gives back the previous retry's slot, not this one
        retry_slot_ = std::move(slot);
        UpstreamStream* old = upstream_;
        upstream_ = nullptr;
        old->abandon();  // its response is discarded; the connection closes
        schedule_retry(retry->backoff);
        return;
      }
      cluster_->shared().stats().retry_overflow.inc();
    }
  }
  response_started_ = true;
  core::http::remove_hop_by_hop(head.headers, {.keep_upgrade = head.is_upgrade()});
  stream_.send_response_headers(head, end_stream);
  if (upstream_ != nullptr && stream_.downstream().response_buffer_full()) {
    upstream_->pause_response();
  }
}

void UpstreamRouter::on_upstream_data(std::string_view data) {
  stream_.send_response_data(data);
  if (upstream_ != nullptr && stream_.downstream().response_buffer_full()) {
    upstream_->pause_response();
  }
}

void UpstreamRouter::on_upstream_end(const core::http::HeaderMap* trailers) {
  finish_attempt();
  upstream_ = nullptr;  // the connection goes back to its pool by itself
  stream_.send_response_end(trailers);
}

void UpstreamRouter::on_upstream_batch_end() {
  stream_.downstream().flush();
}

void UpstreamRouter::on_upstream_upgraded() {
  UpstreamStream* upstream = upstream_;
  finish_attempt();
  upstream_ = nullptr;
  stream_.downstream().start_tunnel(*upstream);
}

void UpstreamRouter::on_upstream_failure(const UpstreamFailure& failure) {
  FERRY_LOG_LIMITED(spdlog::level::debug,
                    "cluster {}: attempt failed (kind {}, reused {}, response started {})",
                    cluster_ != nullptr ? cluster_->name() : "?", static_cast<int>(failure.kind),
                    failure.reused_connection, response_started_);
  waiter_.reset();
  upstream_ = nullptr;
  if (failure.kind == FailureKind::Overflow) {
    stream_.add_flag("UO");
    stream_.local_reply(503, "upstream overloaded", "x-ferry-overloaded", "true");
    return;
  }
  const filters::AttemptOutcome outcome = to_outcome(failure);
  if (response_started_) {
    // The head was recorded as this attempt's outcome already.
    finish_attempt();
    stream_.reset_stream(StreamResetReason::UpstreamFailure);
    return;
  }
  record_attempt_result(outcome);
  finish_attempt();
  auto decision = retry_->on_attempt(outcome, time_left());
  count_no_retry(decision);
  auto* retry = std::get_if<filters::Retry>(&decision);
  if (retry == nullptr) {
    fail_request(failure);
    return;
  }
  if (!retry->always_on) {
    retry_slot_ = cluster_->shared().breakers().try_acquire_retry();
    if (!retry_slot_) {
      cluster_->shared().stats().retry_overflow.inc();
      fail_request(failure);
      return;
    }
    cluster_->shared().stats().retries.inc();
  } else {
    cluster_->shared().stats().safe_retries.inc();
  }
  // After the keep-alive race, a fresh connection; after a connect failure,
  // attempt() prefers another endpoint (host_ is excluded).
  fresh_connection_ = failure.kind == FailureKind::ClosedBeforeResponse;
  schedule_retry(retry->backoff);
}

void UpstreamRouter::schedule_retry(std::chrono::steady_clock::duration backoff) {
  // Never on this stack: failures arrive from inside pool and connection code.
  retry_pending_ = true;
  retry_at_ = Clock::now() + backoff;
  stream_.arm_timer(retry_at_);
}

void UpstreamRouter::fail_request(const UpstreamFailure& failure) {
  switch (failure.kind) {
    case FailureKind::ConnectFailed:
      stream_.add_flag("UF");
      stream_.local_reply(503, "upstream connect error");
      return;
    case FailureKind::ProtocolError:
      stream_.add_flag("UPE");
      stream_.local_reply(502, "upstream sent a malformed response");
      return;
    case FailureKind::PerTryTimeout:
      stream_.add_flag("UT");
      stream_.local_reply(504, "upstream request timeout");
      return;
    case FailureKind::ClosedBeforeResponse:
    case FailureKind::ResetDuringResponse:
    case FailureKind::Overflow:
      break;
  }
  stream_.add_flag("UC");
  stream_.local_reply(503, "upstream connection closed before the response");
}

void UpstreamRouter::on_timer(Clock::time_point now) {
  if (!active()) {
    return;
  }
  if (request_deadline_ != kNever && now >= request_deadline_) {
    request_deadline_ = kNever;
    if (upstream_ != nullptr) {
      UpstreamStream* old = upstream_;
      upstream_ = nullptr;
      if (!response_started_) {
        // Sent and never answered: a timeout for the host's outlier counters.
        record_attempt_result(filters::AttemptOutcome::per_try_timeout());
      }
      finish_attempt();
      old->abandon();
    }
    stream_.add_flag("UT");
    if (response_started_) {
      stream_.reset_stream(StreamResetReason::Timeout);
    } else {
      stream_.local_reply(504, "upstream request timeout");
    }
    return;
  }
  if (try_deadline_ != kNever && now >= try_deadline_ && !response_started_) {
    try_deadline_ = kNever;
    if (upstream_ != nullptr || waiter_) {
      if (waiter_) {
        pool_->cancel(*waiter_);
        waiter_.reset();
      }
      UpstreamStream* old = upstream_;
      upstream_ = nullptr;
      if (old != nullptr) {
        old->abandon();
      }
      UpstreamFailure timeout;
      timeout.kind = FailureKind::PerTryTimeout;
      on_upstream_failure(timeout);
      return;
    }
  }
  if (retry_pending_ && now >= retry_at_) {
    retry_pending_ = false;
    attempt();
    return;
  }
  for (auto deadline : {request_deadline_, try_deadline_, retry_pending_ ? retry_at_ : kNever}) {
    if (deadline != kNever) {
      stream_.arm_timer(deadline);
    }
  }
}

void UpstreamRouter::record_completion(std::uint16_t status, Clock::duration duration) {
  if (cluster_ == nullptr) {
    return;
  }
  ClusterStats& stats = cluster_->shared().stats();
  stats.requests[code_class_index(status)].inc();
  stats.request_duration.observe(
      static_cast<std::uint64_t>(std::chrono::nanoseconds(duration).count()));
}

void UpstreamRouter::finish_attempt() {
  try_deadline_ = kNever;
  if (host_ != nullptr && attempt_started_ != Clock::time_point{}) {
    host_->stats.active_requests.fetch_sub(1, std::memory_order_relaxed);
    attempt_started_ = Clock::time_point{};
  }
  retry_slot_.release();
}

void UpstreamRouter::record_attempt_result(const filters::AttemptOutcome& outcome) {
  if (host_ == nullptr) {
    return;
  }
  const auto now = Clock::now();
  const auto latency = now - (sent_at_ != kNever ? sent_at_ : attempt_started_);
  const ClusterShared& shared = cluster_->shared();
  if (auto crossed =
          filters::record_attempt(*host_, outcome, latency, shared.outlier_thresholds())) {
    shared.report_outlier(*host_, *crossed);
  }
  if (outcome.result == filters::AttemptResult::Response) {
    cluster_->record_response(stream_.worker().index(), *host_, latency, now);
  }
}

bool UpstreamRouter::retry_candidate(std::uint16_t status) const {
  if (status >= 500) {
    return true;
  }
  // retriable-status-codes may name codes below 500 (409, 429, ...).
  if (retry_policy_ == nullptr ||
      !retry_policy_->retry_on.contains(filters::RetryOn::RetriableStatusCodes)) {
    return false;
  }
  const auto& codes = retry_policy_->retriable_status_codes;
  return std::find(codes.begin(), codes.end(), status) != codes.end();
}

void UpstreamRouter::count_no_retry(const filters::RetryDecision& decision) {
  if (const auto* no = std::get_if<filters::NoRetry>(&decision)) {
    cluster_->shared().stats().retry_skipped[static_cast<std::size_t>(no->reason)].inc();
  }
}

filters::Duration UpstreamRouter::time_left() const {
  if (request_deadline_ == kNever) {
    return filters::Duration::max();
  }
  return std::chrono::duration_cast<filters::Duration>(request_deadline_ - Clock::now());
}

void UpstreamRouter::stop() {
  if (waiter_) {
    pool_->cancel(*waiter_);
    waiter_.reset();
  }
  if (upstream_ != nullptr) {
    UpstreamStream* old = upstream_;
    upstream_ = nullptr;
    old->abandon();
  }
  finish_attempt();
  retry_pending_ = false;
  request_deadline_ = try_deadline_ = retry_at_ = kNever;
}

void UpstreamRouter::reset() {
  stop();
  cluster_ = nullptr;
  route_ = nullptr;
  host_ = nullptr;
  pool_ = nullptr;
  retry_policy_ = nullptr;
  per_try_timeout_ = {};
  request_slot_.release();
  retry_.reset();
  if (body_.capacity() > 64 * 1024) {
    std::string().swap(body_);
  }
  body_.clear();
  body_sent_ = 0;
  body_total_ = 0;
  body_replayable_ = true;
  request_complete_ = false;
  response_started_ = false;
  fresh_connection_ = false;
  paused_downstream_ = false;
  attempts_ = 0;
  request_deadline_ = try_deadline_ = retry_at_ = sent_at_ = kNever;
  retry_pending_ = false;
}

}  // namespace ferry::proxy
