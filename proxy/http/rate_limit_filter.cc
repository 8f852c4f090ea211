#include "proxy/http/rate_limit_filter.h"

#include <charconv>

namespace ferry::proxy {

FilterStatus RateLimitFilter::on_request_headers(FilterCallbacks& callbacks,
                                                 core::http::RequestHead& /*head*/) const {
  const filters::RateLimitDecision decision = bucket_->try_acquire(callbacks.now());
  if (decision.allowed) {
    return FilterStatus::Continue;
  }
  limited_.inc();
  char seconds[16];
  const auto end =
      std::to_chars(seconds, seconds + sizeof seconds, decision.retry_after_seconds).ptr;
  callbacks.local_reply(429, "rate limited", "retry-after",
                        std::string_view(seconds, static_cast<std::size_t>(end - seconds)));
  return FilterStatus::Stop;
}

}  // namespace ferry::proxy
