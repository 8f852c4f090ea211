#include "proxy/http/fault_filter.h"

namespace ferry::proxy {

FilterStatus FaultFilter::on_request_headers(FilterCallbacks& callbacks,
                                             core::http::RequestHead& head) const {
  filters::FaultHeaders headers;
  if (header_activation_) {
    headers.delay = head.headers.get(filters::kFaultDelayHeader);
    headers.abort = head.headers.get(filters::kFaultAbortHeader);
  }
  filters::FaultDecision decision = injector_->decide(headers, callbacks.prng());
  if (!decision.any()) {
    return FilterStatus::Continue;
  }
  callbacks.slot() = std::move(decision.slot);
  if (decision.delay > filters::Duration::zero()) {
    counters_.delays.inc();
    // on_resume() answers with it after the delay.
    callbacks.filter_state() = decision.abort_status;
    callbacks.resume_after(decision.delay);
    return FilterStatus::Stop;
  }
  return abort(callbacks, decision.abort_status);
}

FilterStatus FaultFilter::on_resume(FilterCallbacks& callbacks,
                                    core::http::RequestHead& /*head*/) const {
  const std::uint32_t status = callbacks.filter_state();
  if (status == 0) {
    return FilterStatus::Continue;
  }
  return abort(callbacks, static_cast<std::uint16_t>(status));
}

FilterStatus FaultFilter::abort(FilterCallbacks& callbacks, std::uint16_t status) const {
  counters_.aborts.inc();
  callbacks.local_reply(status, "fault injected");
  return FilterStatus::Stop;
}

}  // namespace ferry::proxy
