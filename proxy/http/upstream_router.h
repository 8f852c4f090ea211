#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "filters/resource_slot.h"
#include "filters/retry_state.h"
#include "proxy/core/config/proxy_config.h"
#include "proxy/http/request_path.h"
#include "proxy/http/upstream_pool.h"

namespace ferry::filters {
class Host;
}

namespace ferry::proxy {

class Cluster;
class HttpStream;

// The last step of the filter chain: sends one request to its cluster and
// brings the response back (request_path.h, steps 3–6). One per HttpStream,
// recycled with it. Worker thread only.
//
// Per request it holds: the cluster's `max_requests` slot; the current
// attempt (a pool waiter, then an UpstreamStream); a bounded copy of the
// request body for replay; the retry bookkeeping (filters::RetryState);
// and the request and per-try deadlines, which the stream's timer watches.
class UpstreamRouter final : public UpstreamCallbacks {
 public:
  explicit UpstreamRouter(HttpStream& stream);
  ~UpstreamRouter();

  // Starts the request on `cluster` following `route` (after the filters).
  // `retry_policy`: the route's or else the cluster's (null: none, only the
  // always-on retry); `per_try_timeout` from the same policy (0: none).
  void start(const Cluster& cluster, const core::RouteConfig& route,
             const filters::RetryPolicyOptions* retry_policy, core::Duration per_try_timeout);
  void on_request_data(std::string_view data);
  void on_request_end();
  void on_batch_end();
  void on_downstream_drained();
  // The stream's timer fired: check the deadlines.
  void on_timer(std::chrono::steady_clock::time_point now);
  // Drops the current attempt (pool waiter or upstream connection) and any
  // pending retry, but keeps the request's cluster so that record_completion
  // still counts it: called before a local reply.
  void stop();
  // Drops the attempt (client gone, stream reset) and forgets the request.
  void reset();
  bool active() const { return cluster_ != nullptr; }
  // Counts the request for its cluster (final status, duration); called once
  // as the stream ends, before reset().
  void record_completion(std::uint16_t status, std::chrono::steady_clock::duration duration);
  const filters::Host* host() const { return host_; }

  // UpstreamCallbacks
  void on_upstream_ready(UpstreamStream& stream) override;
  void on_upstream_headers(core::http::ResponseHead& head, bool end_stream) override;
  void on_upstream_data(std::string_view data) override;
  void on_upstream_end(const core::http::HeaderMap* trailers) override;
  void on_upstream_failure(const UpstreamFailure& failure) override;
  void on_upstream_drained() override;
  void on_upstream_batch_end() override;
  void on_upstream_upgraded() override;

 private:
  void prepare_upstream_head();
  void attempt();
  void send_buffered();
  void fail_request(const UpstreamFailure& failure);
  void schedule_retry(std::chrono::steady_clock::duration backoff);
  void finish_attempt();
  // Feeds the attempt's outcome to the host's counters (and to outlier
  // detection when a consecutive threshold is crossed) and, for a response,
  // its latency to the load balancer.
  void record_attempt_result(const filters::AttemptOutcome& outcome);
  // Whether a response with `status` goes to the retry decision.
  bool retry_candidate(std::uint16_t status) const;
  void count_no_retry(const filters::RetryDecision& decision);
  filters::Duration time_left() const;

  HttpStream& stream_;
  const Cluster* cluster_ = nullptr;
  const core::RouteConfig* route_ = nullptr;
  // The endpoint of the current (or last) attempt. Raw: the snapshot held by
  // the connection keeps it alive, and copying the shared_ptr would bounce
  // its reference count between workers on every request.
  filters::Host* host_ = nullptr;
  UpstreamPool* pool_ = nullptr;
  const filters::RetryPolicyOptions* retry_policy_ = nullptr;
  core::Duration per_try_timeout_{};
  std::optional<UpstreamPool::WaiterHandle> waiter_;
  UpstreamStream* upstream_ = nullptr;
  filters::ResourceSlot request_slot_;
  filters::ResourceSlot retry_slot_;
  std::optional<filters::RetryState> retry_;
  std::string body_;              // unsent body, and the replay copy while replayable
  std::size_t body_sent_ = 0;     // bytes of body_ sent on the current attempt
  std::uint64_t body_total_ = 0;  // body bytes received from the client
  bool body_replayable_ = true;
  bool request_complete_ = false;
  bool response_started_ = false;
  bool fresh_connection_ = false;  // the next attempt must not reuse a connection
  bool paused_downstream_ = false;
  std::uint32_t attempts_ = 0;
  std::chrono::steady_clock::time_point request_deadline_{};
  std::chrono::steady_clock::time_point try_deadline_{};
  std::chrono::steady_clock::time_point retry_at_{};
  std::chrono::steady_clock::time_point attempt_started_{};
  std::chrono::steady_clock::time_point sent_at_{};  // the attempt's head went out
  bool retry_pending_ = false;
};

}  // namespace ferry::proxy
