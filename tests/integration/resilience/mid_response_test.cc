// RELIABILITY.md FT-14 (HTTP/1 parts): an upstream that dies mid-response
// never yields a response that looks complete, and the attempt is not
// retried once the head went to the client.
#include <gtest/gtest.h>

#include "tests/integration/resilience/resilience_support.h"

namespace ferry::test {
namespace {

using Kind = UpstreamAction::Kind;

std::string retrying_config(const std::string& endpoint) {
  return web_to_backend("[" + endpoint + "]", "    retry_policy: {num_retries: 2}\n");
}

// The raw bytes the client got for one GET (the test reads to EOF).
std::string raw_get(const std::string& address) {
  return http_request(address, "GET", "/download").raw;
}

TEST(MidResponse, AContentLengthBodyCutShortIsNeverCompleted) {
  ScriptedUpstream upstream(
      [](const SeenRequest&) { return UpstreamAction::of(Kind::ResetAfterHead); });
  ProxyProcess proxy({.config_yaml = retrying_config(upstream.address())});
  const std::string raw = raw_get(proxy.listener("web"));
  const HttpResponse r = parse_http_response(raw);
  ASSERT_EQ(r.status, 200) << raw;
  EXPECT_EQ(r.headers.at("content-length"), "1000");
  EXPECT_LT(raw.size() - raw.find("\r\n\r\n") - 4, 1000u) << "the client must see a short body";
  EXPECT_EQ(upstream.requests(), 1u) << "no retry once the response started";
}

TEST(MidResponse, AChunkedBodyCutShortHasNoLastChunk) {
  ScriptedUpstream upstream(
      [](const SeenRequest&) { return UpstreamAction::of(Kind::ResetMidChunked); });
  ProxyProcess proxy({.config_yaml = retrying_config(upstream.address())});
  const std::string raw = raw_get(proxy.listener("web"));
  ASSERT_EQ(raw.rfind("HTTP/1.1 200", 0), 0u) << raw;
  EXPECT_NE(raw.find("partial."), std::string::npos) << raw;
  EXPECT_EQ(raw.find("\r\n0\r\n\r\n"), std::string::npos) << "a last chunk would fake an end";
  EXPECT_EQ(upstream.requests(), 1u);
}

}  // namespace
}  // namespace ferry::test
