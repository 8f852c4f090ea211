// What operators see after mixed traffic: /metrics passes promtool and
// counts what happened; the access log has one valid JSON line per request
// with the documented fields.
#include <boost/json.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/http/http_test_support.h"

namespace ferry::test {
namespace {

class ObservabilityTest : public ProxyTest {
 protected:
  void mixed_traffic() {
    EXPECT_EQ(exchange(get_request(host(), "/ok?q=\"quoted\"")).status, 200);
    EXPECT_EQ(exchange(make_request("POST", "/post", host(), {}, "some body")).status, 200);
    EXPECT_EQ(exchange("GET / HTTP/1.1\r\nHost : bad\r\n\r\n").status, 400);
    EXPECT_EQ(exchange(make_request("CONNECT", "a:443", "a:443")).status, 405);
    EXPECT_EQ(exchange(get_request(host(), "/fail")).status, 503);
  }
  RecordingUpstream upstream_;
};

TEST_F(ObservabilityTest, MetricsPassPromtoolAfterTraffic) {
  const std::string promtool = require_tool("promtool");
  upstream_.set_handler([](const RecordedRequest& r) {
    UpstreamReply reply;
    reply.reset = r.target == "/fail";
    return reply;
  });
  start_proxy(upstream_);
  mixed_traffic();
  // A request is counted as its stream ends, just after its last byte went
  // out: the last one may still be on its way into the counters.
  ASSERT_TRUE(eventually([&] {
    return proxy().metric("ferry_downstream_requests_total{listener=\"web\",code_class=\"5xx\"}") ==
           1;
  }));
  const HttpResponse metrics = proxy().admin_get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  const CommandResult check = run_command({promtool, "check", "metrics"}, 30s, {}, metrics.body);
  EXPECT_EQ(check.exit_code, 0) << check.out << check.err;
  EXPECT_EQ(check.out + check.err, "") << "promtool lint findings";
  const auto& text = metrics.body;
  EXPECT_EQ(
      metric_value(text, "ferry_downstream_requests_total{listener=\"web\",code_class=\"2xx\"}"),
      2);
  EXPECT_EQ(
      metric_value(text, "ferry_downstream_requests_total{listener=\"web\",code_class=\"4xx\"}"),
      2);
  EXPECT_EQ(
      metric_value(text, "ferry_downstream_requests_total{listener=\"web\",code_class=\"5xx\"}"),
      1);
  EXPECT_EQ(
      metric_value(text, "ferry_upstream_requests_total{cluster=\"backend\",code_class=\"2xx\"}"),
      2);
  EXPECT_EQ(
      metric_value(text, "ferry_upstream_request_duration_seconds_count{cluster=\"backend\"}"), 3);
  EXPECT_GT(metric_value(text, "ferry_bytes_received_total{listener=\"web\"}"), 0);
  EXPECT_GT(metric_value(text, "ferry_bytes_sent_total{listener=\"web\"}"), 0);
  EXPECT_EQ(metric_value(text, "ferry_downstream_connections_total{listener=\"web\"}"), 5);
  // No label takes its value from a request.
  EXPECT_EQ(text.find("/ok"), std::string::npos);
  EXPECT_EQ(text.find("quoted"), std::string::npos);
}

TEST_F(ObservabilityTest, AccessLogLinesAreJsonWithTheDocumentedFields) {
  upstream_.set_handler([](const RecordedRequest& r) {
    UpstreamReply reply;
    reply.reset = r.target == "/fail";
    return reply;
  });
  ProxySetup setup;
  setup.endpoints = {upstream_.address()};
  setup.access_log = true;
  start_proxy(setup);
  mixed_traffic();
  std::vector<boost::json::object> lines;
  ASSERT_TRUE(eventually(
      [&] {
        lines.clear();
        std::ifstream in(access_log_path());
        std::string line;
        while (std::getline(in, line)) {
          boost::system::error_code ec;
          const boost::json::value v = boost::json::parse(line, ec);
          EXPECT_FALSE(ec) << "not JSON: " << line;
          if (!ec && v.is_object()) {
            lines.push_back(v.as_object());
          }
        }
        // The request refused before its head was parsed has no line.
        return lines.size() >= 4;
      },
      10s))
      << lines.size() << " lines";
  for (const auto& o : lines) {
    for (const char* field : {"start_time", "method", "path", "protocol", "authority", "status",
                              "response_flags", "bytes_received", "bytes_sent", "duration_ms",
                              "upstream_host", "request_id", "listener", "cluster"}) {
      EXPECT_TRUE(o.contains(field)) << field << " missing in " << boost::json::serialize(o);
    }
  }
  const auto& ok = lines[0];
  EXPECT_EQ(ok.at("method").as_string(), "GET");
  EXPECT_EQ(ok.at("path").as_string(), "/ok?q=\"quoted\"");
  EXPECT_EQ(ok.at("status").as_int64(), 200);
  EXPECT_EQ(ok.at("protocol").as_string(), "HTTP/1.1");
  EXPECT_EQ(ok.at("upstream_host").as_string(), upstream_.address());
  EXPECT_EQ(ok.at("listener").as_string(), "web");
  EXPECT_EQ(ok.at("cluster").as_string(), "backend");
  EXPECT_FALSE(ok.at("request_id").as_string().empty());
  const auto& post = lines[1];
  EXPECT_EQ(post.at("bytes_received").as_int64(), 9);
  EXPECT_EQ(post.at("bytes_sent").as_int64(), 2);
  const auto& fail = lines.back();
  EXPECT_EQ(fail.at("status").as_int64(), 503);
  EXPECT_FALSE(fail.at("response_flags").as_string().empty());
}

}  // namespace
}  // namespace ferry::test
