#pragma once

#include <chrono>
#include <cstdint>
#include <string_view>

#include "filters/resource_slot.h"
#include "proxy/core/config/proxy_config.h"
#include "proxy/core/http1/message.h"

namespace ferry::proxy {

// The filter chain of an HTTP listener: policies that act on a request
// before the router sends it upstream (rate limiting, fault injection, ...).
//
// A filter object is shared by every request of its listener or route (it
// is part of the snapshot, built on main, used on workers) and keeps no
// per-request state of its own: what it needs per request lives in the
// stream (a ResourceSlot, a resume timer) and is reached through
// FilterCallbacks. Filters run in order on the request head; each returns
// Continue, or Stop after either answering locally (local_reply) or
// arranging to resume (resume_after). While the chain is stopped the codec
// reads no request body (back-pressure). Body bytes are not filtered: every
// filter ferry has decides on the head.
enum class FilterStatus : std::uint8_t { Continue, Stop };

class FilterCallbacks {
 public:
  // Ends the request with a response made here (the router is never
  // involved). `extra_header` may be empty.
  virtual void local_reply(std::uint16_t status, std::string_view body,
                           std::string_view extra_header_name = {},
                           std::string_view extra_header_value = {}) = 0;
  // Continues the chain with the next filter after `delay` (0: on the next
  // loop turn), unless the request ended first.
  virtual void resume_after(std::chrono::steady_clock::duration delay) = 0;
  // The matched route (never null while filters run).
  virtual const core::RouteConfig& route() const = 0;
  // A per-request resource this filter holds until the request ends (an
  // active-fault slot, ...). One slot per filter position.
  virtual filters::ResourceSlot& slot() = 0;
  virtual std::chrono::steady_clock::time_point now() const = 0;

 protected:
  ~FilterCallbacks() = default;
};

class RequestFilter {
 public:
  virtual ~RequestFilter() = default;
  // Called on a worker with the request head (headers may be changed).
  virtual FilterStatus on_request_headers(FilterCallbacks& callbacks,
                                          core::http::RequestHead& head) const = 0;
  // The response head on its way to the client (all filters that saw the
  // request, in reverse order).
  virtual void on_response_headers(FilterCallbacks& /*callbacks*/,
                                   core::http::ResponseHead& /*head*/) const {}
};

}  // namespace ferry::proxy
