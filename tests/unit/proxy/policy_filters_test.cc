// The request filters over filters::TokenBucket and filters::FaultInjector,
// and FilterChainBuilder keeping their state across snapshots.
#include <optional>

#include <gtest/gtest.h>

#include "proxy/core/stats.h"
#include "proxy/http/fault_filter.h"
#include "proxy/http/filter_chain_builder.h"
#include "proxy/http/http_listener_runtime.h"
#include "proxy/http/rate_limit_filter.h"
#include "proxy/proxy_metrics.h"

namespace ferry::proxy {
namespace {

using namespace std::chrono_literals;

// What a filter did to one request, recorded.
class FakeCallbacks final : public FilterCallbacks {
 public:
  void local_reply(std::uint16_t status, std::string_view body, std::string_view name,
                   std::string_view value) override {
    replied = status;
    reply_body = body;
    header_name = name;
    header_value = value;
  }
  void resume_after(std::chrono::steady_clock::duration delay) override { resume = delay; }
  const core::RouteConfig& route() const override { return route_; }
  filters::ResourceSlot& slot() override { return slot_; }
  std::uint32_t& filter_state() override { return state_; }
  std::chrono::steady_clock::time_point now() const override { return clock; }
  filters::Prng& prng() override { return prng_; }

  std::uint16_t replied = 0;
  std::string reply_body;
  std::string header_name;
  std::string header_value;
  std::optional<std::chrono::steady_clock::duration> resume;
  std::chrono::steady_clock::time_point clock{std::chrono::seconds(1000)};
  filters::ResourceSlot slot_;
  std::uint32_t state_ = 0;

 private:
  core::RouteConfig route_;
  filters::Prng prng_{42};
};

struct Stats {
  core::StatsRegistry registry{1};
  ProxyMetrics metrics{registry};
  core::Counter counter(const std::string& listener) {
    return registry.counter(metrics.local_rate_limited, {listener});
  }
};

TEST(RateLimitFilter, RefusesBeyondTheBucketWith429AndRetryAfter) {
  Stats stats;
  auto bucket = std::make_shared<filters::TokenBucket>(
      filters::TokenBucketOptions{.requests_per_second = 0.5, .burst = 1});
  const core::Counter limited = stats.counter("web");
  RateLimitFilter filter(bucket, limited);
  core::http::RequestHead head;
  FakeCallbacks first;
  EXPECT_EQ(filter.on_request_headers(first, head), FilterStatus::Continue);
  EXPECT_EQ(first.replied, 0);
  FakeCallbacks second;
  EXPECT_EQ(filter.on_request_headers(second, head), FilterStatus::Stop);
  EXPECT_EQ(second.replied, 429);
  EXPECT_EQ(second.header_name, "retry-after");
  EXPECT_EQ(second.header_value, "2");
  EXPECT_EQ(limited.value(), 1u);
  FakeCallbacks later;
  later.clock += 2s;
  EXPECT_EQ(filter.on_request_headers(later, head), FilterStatus::Continue);
}

FaultFilter make_fault(const filters::FaultInjectionOptions& o, Stats& stats) {
  return FaultFilter(std::make_shared<filters::FaultInjector>(o), o.header_activation,
                     {stats.registry.counter(stats.metrics.faults_injected, {"web", "delay"}),
                      stats.registry.counter(stats.metrics.faults_injected, {"web", "abort"})});
}

TEST(FaultFilter, DelaysThenAbortsOnResumeAndHoldsTheSlot) {
  Stats stats;
  filters::FaultInjectionOptions o;
  o.delay = filters::FaultDelayOptions{std::chrono::milliseconds(50), 100};
  o.abort = filters::FaultAbortOptions{418, 100};
  const FaultFilter filter = make_fault(o, stats);
  core::http::RequestHead head;
  FakeCallbacks cb;
  EXPECT_EQ(filter.on_request_headers(cb, head), FilterStatus::Stop);
  ASSERT_TRUE(cb.resume);
  EXPECT_EQ(*cb.resume, 50ms);
  EXPECT_EQ(cb.replied, 0);
  EXPECT_TRUE(cb.slot_);
  EXPECT_EQ(filter.injector().active(), 1u);
  EXPECT_EQ(filter.on_resume(cb, head), FilterStatus::Stop);
  EXPECT_EQ(cb.replied, 418);
  cb.slot_.release();
  EXPECT_EQ(filter.injector().active(), 0u);
}

TEST(FaultFilter, HeadersCountOnlyUnderHeaderActivation) {
  Stats stats;
  filters::FaultInjectionOptions on;
  on.header_activation = true;
  const FaultFilter asked = make_fault(on, stats);
  core::http::RequestHead plain;
  FakeCallbacks a;
  EXPECT_EQ(asked.on_request_headers(a, plain), FilterStatus::Continue);
  core::http::RequestHead with_header;
  with_header.headers.add("x-ferry-fault-abort", "503");
  FakeCallbacks b;
  EXPECT_EQ(asked.on_request_headers(b, with_header), FilterStatus::Stop);
  EXPECT_EQ(b.replied, 503);

  filters::FaultInjectionOptions off;
  off.delay = filters::FaultDelayOptions{std::chrono::milliseconds(10), 0};
  const FaultFilter configured = make_fault(off, stats);
  FakeCallbacks c;
  EXPECT_EQ(configured.on_request_headers(c, with_header), FilterStatus::Continue);
  EXPECT_EQ(c.replied, 0);
}

std::shared_ptr<const core::ListenerConfig> listener(double rps, bool fault) {
  auto l = std::make_shared<core::ListenerConfig>();
  l->name = "web";
  l->cluster = "backend";
  l->rate_limit = core::RateLimitConfig{rps, 1};
  core::RouteConfig route;
  route.prefix = "/chaos";
  route.cluster = "backend";
  route.rate_limit = core::RateLimitConfig{rps, 1};
  if (fault) {
    core::FaultConfig f;
    f.abort = core::FaultAbort{503, 100};
    route.fault = f;
  }
  l->routes.push_back(route);
  return l;
}

const RateLimitFilter& listener_limit(const HttpListenerRuntime& runtime) {
  return dynamic_cast<const RateLimitFilter&>(*runtime.filters(0).at(0));
}

TEST(FilterChainBuilder, KeepsBucketsAcrossSnapshotsWhileTheirConfigIsUnchanged) {
  Stats stats;
  FilterChainBuilder builder(stats.metrics);
  HttpListenerRuntime one(listener(1, true), nullptr);
  builder.attach(one);
  builder.prune();
  // Listener limit first, then the route's limit and fault; the default
  // route only has the listener's.
  EXPECT_EQ(one.filters(0).size(), 3u);
  EXPECT_EQ(one.filters(1).size(), 1u);
  EXPECT_EQ(builder.bucket_count(), 2u);
  EXPECT_EQ(builder.injector_count(), 1u);

  HttpListenerRuntime two(listener(1, true), nullptr);
  builder.attach(two);
  builder.prune();
  EXPECT_EQ(&listener_limit(one).bucket(), &listener_limit(two).bucket());

  HttpListenerRuntime three(listener(2, false), nullptr);
  builder.attach(three);
  builder.prune();
  EXPECT_NE(&listener_limit(two).bucket(), &listener_limit(three).bucket());
  EXPECT_EQ(builder.injector_count(), 0u) << "the route's fault is gone";

  builder.prune();  // nothing attached since: everything is forgotten
  EXPECT_EQ(builder.bucket_count(), 0u);
}

}  // namespace
}  // namespace ferry::proxy
