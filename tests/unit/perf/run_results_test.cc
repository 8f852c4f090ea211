#include "perf/load/run_results.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace ferry::perf {
namespace {

namespace json = boost::json;

TEST(RunResults, JsonHasTheContractShape) {
  RunResults results;
  results.add_response(200, 1'000'000);
  results.add_response(204, 3'000'000);
  results.add_response(404, 2'000'000);
  results.add_response(503, 9'000'000);
  results.add_failure(FailureKind::Reset);
  results.add_failure(FailureKind::Timeout);
  results.add_failure(FailureKind::Timeout);
  RunDescription run;
  run.duration_seconds = 2.0;
  run.protocol = "http/1.1";
  const json::value doc = json::parse(results_json(results, run));
  EXPECT_EQ(doc.at("requests").to_number<std::uint64_t>(), 4u);
  EXPECT_DOUBLE_EQ(doc.at("duration_seconds").to_number<double>(), 2.0);
  EXPECT_DOUBLE_EQ(doc.at("rps").to_number<double>(), 2.0);
  const json::object& errors = doc.at("errors").as_object();
  EXPECT_EQ(errors.at("connect").to_number<int>(), 0);
  EXPECT_EQ(errors.at("reset").to_number<int>(), 1);
  EXPECT_EQ(errors.at("timeout").to_number<int>(), 2);
  EXPECT_EQ(errors.at("status_4xx").to_number<int>(), 1);
  EXPECT_EQ(errors.at("status_5xx").to_number<int>(), 1);
  const json::object& status = doc.at("status").as_object();
  EXPECT_EQ(status.at("1xx").to_number<int>(), 0);
  EXPECT_EQ(status.at("2xx").to_number<int>(), 2);
  EXPECT_EQ(status.at("3xx").to_number<int>(), 0);
  EXPECT_EQ(status.at("4xx").to_number<int>(), 1);
  EXPECT_EQ(status.at("5xx").to_number<int>(), 1);
  const json::object& latency = doc.at("latency_seconds").as_object();
  for (const char* key : {"p50", "p90", "p99", "p999", "p9999", "max"}) {
    ASSERT_TRUE(latency.contains(key)) << key;
  }
  EXPECT_NEAR(latency.at("p50").to_number<double>(), 0.002, 0.002 * 0.01);
  EXPECT_NEAR(latency.at("max").to_number<double>(), 0.009, 1e-12);
  EXPECT_FALSE(doc.as_object().contains("peer_cpu_seconds"));  // only with --cpu-pid
}

TEST(RunResults, MergeAddsEverything) {
  RunResults a;
  RunResults b;
  a.add_response(200, 5'000);
  b.add_response(500, 7'000);
  b.add_response(99, 1'000);  // outside 100–599
  b.add_failure(FailureKind::Connect);
  b.bytes_received = 10;
  a.merge(b);
  EXPECT_EQ(a.requests, 3u);
  EXPECT_EQ(a.status[1], 1u);
  EXPECT_EQ(a.status[4], 1u);
  EXPECT_EQ(a.status_other, 1u);
  EXPECT_EQ(a.failures_of(FailureKind::Connect), 1u);
  EXPECT_EQ(a.latency.count(), 3u);
  EXPECT_EQ(a.bytes_received, 10u);
}

}  // namespace
}  // namespace ferry::perf
