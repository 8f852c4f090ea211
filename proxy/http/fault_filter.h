#pragma once

#include <memory>

#include "filters/fault_injector.h"
#include "proxy/core/stats.h"
#include "proxy/http/request_filter.h"

namespace ferry::proxy {

// A route's `fault`: chaos experiments on live traffic. For each request
// the route matches, the process-wide FaultInjector draws (with the worker's
// Prng) a delay and an abort; the delay runs on the stream's timer
// (resume_after, the request body is not read meanwhile), then the abort
// answers locally with its status, or the request goes on. The decision's
// slot is held in the stream until the request ends (max_active). Headers
// x-ferry-fault-* are read only under header_activation and never reach the
// upstream (the router strips every x-ferry-* request header). Injections
// are counted in ferry_faults_injected_total{listener,kind}.
class FaultFilter final : public RequestFilter {
 public:
  struct Counters {
    core::Counter delays;
    core::Counter aborts;
  };
  FaultFilter(std::shared_ptr<filters::FaultInjector> injector, bool header_activation,
              Counters counters)
      : injector_(std::move(injector)),
        header_activation_(header_activation),
        counters_(std::move(counters)) {}

  FilterStatus on_request_headers(FilterCallbacks& callbacks,
                                  core::http::RequestHead& head) const override;
  FilterStatus on_resume(FilterCallbacks& callbacks, core::http::RequestHead& head) const override;

  const filters::FaultInjector& injector() const { return *injector_; }

 private:
  FilterStatus abort(FilterCallbacks& callbacks, std::uint16_t status) const;

  std::shared_ptr<filters::FaultInjector> injector_;
  bool header_activation_;
  Counters counters_;
};

}  // namespace ferry::proxy
