// RELIABILITY.md FT-10 (HTTP/1 parts): what is retried, what is not, and
// every "no retry" counted by reason.
#include <atomic>

#include <gtest/gtest.h>

#include "tests/integration/resilience/resilience_support.h"

namespace ferry::test {
namespace {

using namespace std::chrono_literals;
using Kind = UpstreamAction::Kind;

const std::string kFastRetries =
    "    retry_policy: {num_retries: 1, retry_back_off: {base_interval: 1ms, max_interval: 5ms}}\n";

std::string skipped(const std::string& reason) {
  return "ferry_upstream_retry_skipped_total{cluster=\"backend\",reason=\"" + reason + "\"}";
}

// Answers the first request with `first`, every later one with 200.
ScriptedUpstream::Script first_then_ok(UpstreamAction first) {
  auto seen = std::make_shared<std::atomic<int>>(0);
  return [seen, first](const SeenRequest&) {
    return seen->fetch_add(1) == 0 ? first : UpstreamAction::respond(200);
  };
}

TEST(Retries, A503OnceThen200IsRetriedOnce) {
  ScriptedUpstream upstream(first_then_ok(UpstreamAction::respond(503)));
  ProxyProcess proxy({.config_yaml = web_to_backend("[" + upstream.address() + "]", kFastRetries)});
  const HttpResponse r = http_get(proxy.listener("web"), "/item");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(upstream.requests(), 2u);
  EXPECT_EQ(proxy.metric("ferry_upstream_retries_total{cluster=\"backend\"}"), 1);
  // The request counters move when the exchange finishes, just after the
  // last byte went to the client.
  const std::string ok_series =
      "ferry_upstream_requests_total{cluster=\"backend\",code_class=\"2xx\"}";
  EXPECT_TRUE(eventually([&] { return proxy.metric(ok_series) == 1; }, 5s))
      << proxy.metric(ok_series);
  EXPECT_EQ(proxy.metric("ferry_upstream_requests_total{cluster=\"backend\",code_class=\"5xx\"}"),
            0);
}

TEST(Retries, APostResetAfterItWasSentIsNotRetried) {
  ScriptedUpstream upstream([](const SeenRequest&) { return UpstreamAction::of(Kind::Reset); });
  ProxyProcess proxy({.config_yaml = web_to_backend("[" + upstream.address() + "]", kFastRetries)});
  const HttpResponse r = http_request(proxy.listener("web"), "POST", "/orders", "{\"qty\": 1}");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(upstream.requests(), 1u) << "a POST that may have been processed is never re-sent";
  EXPECT_EQ(proxy.metric("ferry_upstream_retries_total{cluster=\"backend\"}"), 0);
  EXPECT_EQ(proxy.metric(skipped("not_idempotent")), 1);
}

TEST(Retries, AGetResetAfterItWasSentIsRetriedUntilTheRetriesAreSpent) {
  ScriptedUpstream upstream([](const SeenRequest&) { return UpstreamAction::of(Kind::Reset); });
  ProxyProcess proxy({.config_yaml = web_to_backend("[" + upstream.address() + "]", kFastRetries)});
  EXPECT_EQ(http_get(proxy.listener("web"), "/item").status, 503);
  EXPECT_EQ(upstream.requests(), 2u);
  EXPECT_EQ(proxy.metric("ferry_upstream_retries_total{cluster=\"backend\"}"), 1);
  EXPECT_EQ(proxy.metric(skipped("retries_exhausted")), 1);
}

TEST(Retries, AResetAfterTheResponseStartedIsNeverRetried) {
  ScriptedUpstream upstream(
      [](const SeenRequest&) { return UpstreamAction::of(Kind::ResetAfterHead); });
  ProxyProcess proxy({.config_yaml = web_to_backend("[" + upstream.address() + "]", kFastRetries)});
  const HttpResponse r = http_get(proxy.listener("web"), "/item");
  // The head went to the client: the connection is closed without a
  // complete body, never a fake end.
  EXPECT_EQ(upstream.requests(), 1u);
  EXPECT_EQ(r.status, 200);
  EXPECT_LT(r.body.size(), 1000u) << "the announced body must never look complete";
  EXPECT_EQ(proxy.metric("ferry_upstream_retries_total{cluster=\"backend\"}"), 0);
}

TEST(Retries, ARefusedConnectionIsRetriedOnAnotherEndpointEvenWithoutAPolicy) {
  ScriptedUpstream refused;
  refused.stop_listening();
  ScriptedUpstream good;
  ProxyProcess proxy(
      {.config_yaml = web_to_backend("[" + refused.address() + ", " + good.address() + "]", "")});
  const Tally tally = fire(proxy.listener("web"), 40, 4);
  EXPECT_EQ(tally.count(200), 40) << tally.describe();
  EXPECT_EQ(good.requests(), 40u);
  EXPECT_GT(proxy.metric("ferry_upstream_safe_retries_total{cluster=\"backend\"}"), 0);
  EXPECT_GT(proxy.metric("ferry_upstream_connect_failures_total{cluster=\"backend\"}"), 0);
  // A POST too: a refused connection provably never reached an application.
  RequestSpec post{.method = "POST", .path = "/orders", .body = "x"};
  EXPECT_EQ(fire(proxy.listener("web"), 10, 2, post).count(200), 10);
}

TEST(Retries, RetriableStatusCodesBelow500AreRetried) {
  ScriptedUpstream upstream(first_then_ok(UpstreamAction::respond(409)));
  ProxyProcess proxy({.config_yaml = web_to_backend(
                          "[" + upstream.address() + "]",
                          "    retry_policy: {retry_on: [retriable-status-codes], "
                          "retriable_status_codes: [409], retry_back_off: {base_interval: 1ms, "
                          "max_interval: 2ms}}\n")});
  EXPECT_EQ(http_get(proxy.listener("web"), "/item").status, 200);
  EXPECT_EQ(upstream.requests(), 2u);
  EXPECT_EQ(proxy.metric("ferry_upstream_retries_total{cluster=\"backend\"}"), 1);
}

TEST(Retries, ABodyLargerThanTheReplayBufferIsNotRetried) {
  ScriptedUpstream upstream([](const SeenRequest&) { return UpstreamAction::respond(503); });
  ProxyProcess proxy(
      {.config_yaml = web_to_backend("[" + upstream.address() + "]",
                                     "    retry_policy: {max_body_size: 1KiB, retry_back_off: "
                                     "{base_interval: 1ms, max_interval: 2ms}}\n")});
  const HttpResponse big =
      http_request(proxy.listener("web"), "PUT", "/blob", std::string(4096, 'b'));
  EXPECT_EQ(big.status, 503);
  EXPECT_EQ(upstream.requests(), 1u);
  EXPECT_EQ(proxy.metric(skipped("body_too_large")), 1);
  // A small body is kept and replayed.
  const HttpResponse small = http_request(proxy.listener("web"), "PUT", "/blob", "small");
  EXPECT_EQ(small.status, 503);
  EXPECT_EQ(upstream.requests(), 3u);
  for (const SeenRequest& seen : upstream.seen()) {
    if (seen.index > 0) {
      EXPECT_EQ(seen.body_size, 5u);
    }
  }
}

TEST(Retries, APerTryTimeoutMovesOnAndTheNextAttemptAnswers) {
  ScriptedUpstream upstream(first_then_ok(UpstreamAction::respond(200, 2s)));
  ProxyProcess proxy(
      {.config_yaml = web_to_backend("[" + upstream.address() + "]",
                                     "    retry_policy: {per_try_timeout: 200ms, retry_back_off: "
                                     "{base_interval: 1ms, max_interval: 2ms}}\n")});
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(http_get(proxy.listener("web"), "/slow-once").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
  EXPECT_EQ(upstream.requests(), 2u);
}

TEST(Retries, ANonRetriableStatusIsCountedAsNotRetriable) {
  ScriptedUpstream upstream([](const SeenRequest&) { return UpstreamAction::respond(500); });
  ProxyProcess proxy(
      {.config_yaml = web_to_backend("[" + upstream.address() + "]",
                                     "    retry_policy: {retry_on: [gateway-error]}\n")});
  EXPECT_EQ(http_get(proxy.listener("web"), "/").status, 500);
  EXPECT_EQ(upstream.requests(), 1u);
  EXPECT_EQ(proxy.metric(skipped("not_retriable")), 1);
}

}  // namespace
}  // namespace ferry::test
