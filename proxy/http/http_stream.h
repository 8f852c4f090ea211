#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/steady_timer.hpp>

#include "proxy/core/address.h"
#include "proxy/core/http1/message.h"
#include "proxy/http/request_filter.h"
#include "proxy/http/request_path.h"
#include "proxy/http/upstream_router.h"

namespace ferry::proxy {

class HttpListenerRuntime;
class Listener;
class RuntimeSnapshot;
class Worker;

// One request as it crosses the proxy (see request_path.h for its life).
// Owned and recycled by its downstream connection: one object per
// connection, reused for every request on it, so a request costs no
// allocation in steady state. Runs the filter chain, then hands the request
// to its UpstreamRouter, and sends the response (from the router or a local
// reply) back through the DownstreamStream. Counts and logs the request when
// it ends. Worker thread only.
class HttpStream final : public FilterCallbacks {
 public:
  // `owner` keeps the connection (and so this stream) alive in timer handlers.
  HttpStream(Worker& worker, DownstreamStream& downstream, std::weak_ptr<void> owner);
  ~HttpStream();
  HttpStream(const HttpStream&) = delete;
  HttpStream& operator=(const HttpStream&) = delete;

  struct Context {
    const HttpListenerRuntime* listener = nullptr;
    const RuntimeSnapshot* snapshot = nullptr;
    Listener* listener_state = nullptr;
    core::SocketAddress peer;
    // The peer's IP as text, formatted once per connection (x-forwarded-for).
    std::string_view peer_ip;
  };

  // The codec fills head() and calls start() when a request head arrived.
  core::http::RequestHead& head() { return head_; }
  void start(const Context& context);
  void on_request_data(std::string_view data);
  void on_request_end();
  // The codec handled everything one read gave it.
  void on_batch_end();
  // The client went away (or the connection is being closed) mid-request.
  void on_downstream_closed();
  // The codec's response buffer drained below its watermark.
  void on_downstream_drained();
  // Between start() and the end of the response (or a reset).
  bool active() const { return active_; }
  bool response_started() const { return response_started_; }
  std::uint16_t status() const { return status_; }

  // --- used by the router ---
  void send_response_headers(core::http::ResponseHead& head, bool end_stream);
  void send_response_data(std::string_view data);
  void send_response_end(const core::http::HeaderMap* trailers);
  void reset_stream(StreamResetReason reason);
  void send_continue();
  DownstreamStream& downstream() { return downstream_; }
  Worker& worker() { return worker_; }
  const Context& context() const { return context_; }
  // Arms the stream's timer for `deadline` (no-op if an earlier one is armed).
  void arm_timer(std::chrono::steady_clock::time_point deadline);
  std::chrono::steady_clock::time_point started_at() const { return started_at_; }
  // Response flags for the access log ("UF", "UT", ...), set by the router.
  void add_flag(const char* flag);

  // FilterCallbacks
  void local_reply(std::uint16_t status, std::string_view body,
                   std::string_view extra_header_name = {},
                   std::string_view extra_header_value = {}) override;
  void resume_after(std::chrono::steady_clock::duration delay) override;
  const core::RouteConfig& route() const override { return *route_; }
  filters::ResourceSlot& slot() override { return filter_slots_[filter_index_]; }
  std::uint32_t& filter_state() override { return filter_states_[filter_index_]; }
  std::chrono::steady_clock::time_point now() const override;
  filters::Prng& prng() override;

 private:
  static constexpr std::size_t kMaxFilters = 8;

  void run_filters();
  void resume_filters();
  void on_timer(const boost::system::error_code& ec, std::uint64_t generation);
  void finish();
  void log_access() const;

  Worker& worker_;
  DownstreamStream& downstream_;
  std::weak_ptr<void> owner_;
  core::http::RequestHead head_;
  Context context_;
  const core::RouteConfig* route_ = nullptr;
  std::size_t route_index_ = 0;
  UpstreamRouter router_;
  std::array<filters::ResourceSlot, kMaxFilters> filter_slots_;
  std::array<std::uint32_t, kMaxFilters> filter_states_{};
  std::size_t filter_index_ = 0;
  bool filters_done_ = false;
  boost::asio::steady_timer timer_;
  std::chrono::steady_clock::time_point timer_at_{};
  bool timer_armed_ = false;
  std::chrono::steady_clock::time_point resume_at_{};
  bool resume_pending_ = false;
  std::uint64_t generation_ = 0;
  std::chrono::steady_clock::time_point started_at_{};
  std::chrono::system_clock::time_point started_wall_{};
  std::uint16_t status_ = 0;
  std::uint64_t request_bytes_ = 0;
  std::uint64_t response_bytes_ = 0;
  std::string flags_;
  std::string request_id_;
  bool active_ = false;
  bool request_complete_ = false;
  bool response_started_ = false;
};

}  // namespace ferry::proxy
