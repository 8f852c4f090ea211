#include "proxy/http/http_stream.h"

#include <spdlog/logger.h>

#include "proxy/cluster.h"
#include "proxy/core/http1/serializer.h"
#include "proxy/http/access_log.h"
#include "proxy/http/http_listener_runtime.h"
#include "proxy/http/request_id.h"
#include "proxy/listener.h"
#include "proxy/snapshot.h"
#include "proxy/worker.h"

namespace ferry::proxy {

using Clock = std::chrono::steady_clock;

HttpStream::HttpStream(Worker& worker, DownstreamStream& downstream, std::weak_ptr<void> owner)
    : worker_(worker),
      downstream_(downstream),
      owner_(std::move(owner)),
      router_(*this),
      timer_(worker.context()) {}

HttpStream::~HttpStream() {
  finish();
}

Clock::time_point HttpStream::now() const {
  return Clock::now();
}

filters::Prng& HttpStream::prng() {
  return worker_.prng();
}

void HttpStream::start(const Context& context) {
  context_ = context;
  active_ = true;
  ++generation_;
  started_at_ = Clock::now();
  if (context.listener->access_log() != nullptr) {
    started_wall_ = std::chrono::system_clock::now();
  }
  status_ = 0;
  flags_.clear();
  request_complete_ = false;
  response_started_ = false;
  filters_done_ = false;
  filter_index_ = 0;
  filter_states_.fill(0);
  request_bytes_ = 0;
  response_bytes_ = 0;
  context.listener_state->begin_work();

  if (auto id = head_.headers.get("x-request-id"); id && !id->empty()) {
    request_id_.assign(*id);
  } else {
    auto next = [this] {
      return worker_.random();
    };
    make_request_id(request_id_, next);
    head_.headers.add("x-request-id", request_id_);
  }
  const auto& routes = context.listener->routes();
  // CONNECT (authority-form) and `OPTIONS *` have no path: they match as
  // "/", so routes select them by authority (and prefix "/" catches them).
  const std::string_view path = !head_.path.empty() && head_.path.front() == '/'
                                    ? std::string_view(head_.path)
                                    : std::string_view("/");
  route_index_ = routes.match(head_.authority, path);
  if (route_index_ == filters::RouteTable::kNoRoute) {
    add_flag("NR");
    local_reply(404, "no route");
    return;
  }
  route_ = &routes.route(route_index_);
  if (head_.method == core::http::Method::Connect && !route_->allow_connect) {
    local_reply(405, "CONNECT is not allowed on this route", "allow",
                "GET, HEAD, POST, PUT, DELETE, OPTIONS, TRACE, PATCH");
    return;
  }
  run_filters();
}

void HttpStream::run_filters() {
  const auto& chain = context_.listener->filters(route_index_);
  while (filter_index_ < chain.size() && filter_index_ < kMaxFilters) {
    const FilterStatus status = chain[filter_index_]->on_request_headers(*this, head_);
    if (!active_) {
      return;  // it answered locally
    }
    if (status == FilterStatus::Stop) {
      downstream_.pause_request_body();
      return;  // resume_after() continues it
    }
    ++filter_index_;
  }
  filters_done_ = true;
  const Cluster* cluster = context_.snapshot->find_cluster(route_->cluster);
  if (cluster == nullptr) {
    add_flag("NC");
    local_reply(503, "cluster not found");
    return;
  }
  // A route's retry_policy replaces the cluster's.
  const filters::RetryPolicyOptions* policy = context_.listener->retry_policy(route_index_);
  core::Duration per_try{};
  if (route_->retry_policy) {
    per_try = route_->retry_policy->per_try_timeout;
  } else if (const auto& cluster_policy = cluster->shared().config().retry_policy) {
    policy = cluster->shared().retry_policy();
    per_try = cluster_policy->per_try_timeout;
  }
  router_.start(*cluster, *route_, policy, per_try);
  if (active_ && request_complete_) {
    router_.on_request_end();
  }
}

void HttpStream::resume_filters() {
  const auto& chain = context_.listener->filters(route_index_);
  const FilterStatus status = chain[filter_index_]->on_resume(*this, head_);
  if (!active_ || status == FilterStatus::Stop) {
    return;  // answered locally, or waiting again
  }
  ++filter_index_;
  run_filters();
  if (active_ && filters_done_) {
    downstream_.resume_request_body();
  }
}

void HttpStream::on_request_data(std::string_view data) {
  request_bytes_ += data.size();
  if (!active_ || !router_.active()) {
    return;  // answered already: the rest of the body is read and dropped
  }
  router_.on_request_data(data);
}

void HttpStream::on_request_end() {
  request_complete_ = true;
  if (active_ && filters_done_ && router_.active()) {
    router_.on_request_end();
  }
}

void HttpStream::on_batch_end() {
  if (active_ && router_.active()) {
    router_.on_batch_end();
  }
}

void HttpStream::on_downstream_closed() {
  if (!active_) {
    return;
  }
  add_flag("DC");
  finish();
}

void HttpStream::on_downstream_drained() {
  if (active_ && router_.active()) {
    router_.on_downstream_drained();
  }
}

void HttpStream::send_response_headers(core::http::ResponseHead& head, bool end_stream) {
  status_ = head.status;
  response_started_ = true;
  const auto& chain = context_.listener->filters(route_index_);
  for (std::size_t i = std::min(filter_index_, chain.size()); i > 0; --i) {
    chain[i - 1]->on_response_headers(*this, head);
  }
  downstream_.send_response_headers(head, end_stream);
}

void HttpStream::send_response_data(std::string_view data) {
  response_bytes_ += data.size();
  downstream_.send_response_data(data);
}

void HttpStream::send_response_end(const core::http::HeaderMap* trailers) {
  downstream_.send_response_end(trailers);
  finish();
}

void HttpStream::reset_stream(StreamResetReason reason) {
  switch (reason) {
    case StreamResetReason::UpstreamFailure:
      add_flag("UR");
      break;
    case StreamResetReason::Timeout:
      add_flag("UT");
      break;
    default:
      add_flag("LR");
      break;
  }
  downstream_.reset_stream(reason);
  finish();
}

void HttpStream::send_continue() {
  downstream_.send_continue();
}

void HttpStream::local_reply(std::uint16_t status, std::string_view body,
                             std::string_view extra_header_name,
                             std::string_view extra_header_value) {
  if (!active_) {
    return;
  }
  if (response_started_) {
    reset_stream(StreamResetReason::ProtocolError);
    return;
  }
  // The attempt stops, but the request stays the router's until finish():
  // a local reply for a request it took on (503, 504) counts for its cluster.
  router_.stop();
  core::http::ResponseHead head;
  head.status = status;
  head.headers.add("content-type", "text/plain; charset=utf-8");
  head.headers.add("x-request-id", request_id_);
  if (!extra_header_name.empty()) {
    head.headers.add(extra_header_name, extra_header_value);
  }
  head.framing = core::http::BodyFraming::content_length(body.size() + 1);
  status_ = status;
  response_started_ = true;
  downstream_.send_response_headers(head, /*end_stream=*/false);
  downstream_.send_response_data(body);
  downstream_.send_response_data("\n");
  response_bytes_ += body.size() + 1;
  downstream_.send_response_end(nullptr);
  downstream_.flush();
  finish();
}

void HttpStream::resume_after(Clock::duration delay) {
  resume_at_ = Clock::now() + delay;
  resume_pending_ = true;
  arm_timer(resume_at_);
}

void HttpStream::arm_timer(Clock::time_point deadline) {
  if (timer_armed_ && timer_at_ <= deadline) {
    return;
  }
  timer_armed_ = true;
  timer_at_ = deadline;
  timer_.expires_at(deadline);
  timer_.async_wait(
      [owner = owner_, this, generation = generation_](const boost::system::error_code& ec) {
        if (owner.expired()) {
          return;  // the connection (and this stream) is gone
        }
        on_timer(ec, generation);
      });
}

void HttpStream::on_timer(const boost::system::error_code& ec, std::uint64_t /*generation*/) {
  if (ec == boost::asio::error::operation_aborted) {
    return;  // re-armed earlier: a newer wait is pending
  }
  timer_armed_ = false;
  if (!active_) {
    return;
  }
  const auto now = Clock::now();
  if (resume_pending_) {
    if (now >= resume_at_) {
      resume_pending_ = false;
      resume_filters();
    } else {
      arm_timer(resume_at_);
    }
  }
  if (active_) {
    router_.on_timer(now);
  }
}

void HttpStream::add_flag(const char* flag) {
  if (!flags_.empty()) {
    flags_ += ',';
  }
  flags_ += flag;
}

void HttpStream::finish() {
  if (!active_) {
    return;
  }
  active_ = false;
  resume_pending_ = false;
  ListenerStats& ls = context_.listener_state->stats();
  const std::size_t code_class = code_class_index(status_);
  ls.requests[code_class].inc();
  // Requests the router took on count for their cluster, local replies
  // (503 overflow, 504 timeout) included.
  router_.record_completion(status_, Clock::now() - started_at_);
  log_access();
  router_.reset();
  for (auto& slot : filter_slots_) {
    slot.release();
  }
  context_.listener_state->end_work();
}

void HttpStream::log_access() const {
  spdlog::logger* log = context_.listener->access_log();
  if (log == nullptr) {
    return;
  }
  AccessLogEntry entry;
  entry.start = started_wall_;
  entry.duration = Clock::now() - started_at_;
  entry.method = head_.method_text;
  entry.path = head_.path;
  entry.authority = head_.authority;
  entry.protocol = core::http::version_name(head_.version);
  entry.status = status_;
  entry.flags = flags_;
  entry.bytes_received = request_bytes_;
  entry.bytes_sent = response_bytes_;
  entry.upstream = router_.host() != nullptr ? router_.host()->address_text() : std::string();
  entry.request_id = request_id_;
  entry.listener = context_.listener->name();
  entry.route_cluster = route_ != nullptr ? route_->cluster : std::string();
  log->info(format_access_log(entry));
}

}  // namespace ferry::proxy
