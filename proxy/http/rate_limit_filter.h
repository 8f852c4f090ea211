#pragma once

#include <memory>

#include "filters/token_bucket.h"
#include "proxy/core/stats.h"
#include "proxy/http/request_filter.h"

namespace ferry::proxy {

// A listener's or route's `rate_limit`: a request the process-wide token
// bucket refuses is answered at once with 429 and `Retry-After` (whole
// seconds until a request would be admitted) and counted in
// ferry_local_rate_limited_total{listener}. The bucket is shared by every
// worker, so the rate holds for the whole process; it outlives the snapshot
// (FilterChainBuilder keeps it while its config is unchanged), so a reload
// or a discovery update does not refill it.
class RateLimitFilter final : public RequestFilter {
 public:
  RateLimitFilter(std::shared_ptr<filters::TokenBucket> bucket, core::Counter limited)
      : bucket_(std::move(bucket)), limited_(std::move(limited)) {}

  FilterStatus on_request_headers(FilterCallbacks& callbacks,
                                  core::http::RequestHead& head) const override;

  const filters::TokenBucket& bucket() const { return *bucket_; }

 private:
  std::shared_ptr<filters::TokenBucket> bucket_;
  core::Counter limited_;
};

}  // namespace ferry::proxy
