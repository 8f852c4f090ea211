#include "proxy/core/config/not_implemented.h"

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json/value.hpp>

#include "config_test_support.h"
#include "proxy/core/config/config_json.h"
#include "proxy/core/config/source_map.h"

namespace ferry::core {
namespace {

using testing::has_error;

// Parses with the real not-implemented table (what ferry-proxy does).
LoadResult parse_default(std::string_view text) {
  return parse_proxy_config(testing::yaml(text), "test.yaml");
}

LoadResult parse_with(std::string_view text, std::span<const std::string_view> entries) {
  LoadOptions options;
  options.not_implemented = entries;
  return parse_proxy_config(testing::yaml(text), "test.yaml", options);
}

void collect_paths(const boost::json::value& node, const std::string& path,
                   std::set<std::string>& out) {
  if (!path.empty()) {
    out.insert(normalize_path(path));
  }
  if (const auto* object = node.if_object()) {
    for (const auto& entry : *object) {
      collect_paths(entry.value(),
                    path.empty() ? std::string(entry.key()) : path + "." + std::string(entry.key()),
                    out);
    }
  } else if (const auto* array = node.if_array()) {
    for (std::size_t i = 0; i < array->size(); ++i) {
      collect_paths((*array)[i], path + "[" + std::to_string(i) + "]", out);
    }
  }
}

TEST(NotImplemented, TheFirstRuntimeTakesATcpProxyConfig) {
  const LoadResult result = parse_default(testing::kMinimal);
  EXPECT_TRUE(result.ok()) << testing::describe(result.errors);
}

// A table like the live one, so these tests keep proving the mechanism as
// the live table shrinks to nothing.
constexpr std::string_view kExampleTable[] = {
    "listeners[].protocol=http", "control_plane",
    "clusters[].protocol=http2", "clusters[].lb_policy=ewma",
    "clusters[].retry_policy",   "clusters[].outlier_detection",
    "clusters[].health_check",   "clusters[].max_idle_connections",
    "clusters[].discovery",      "service_connect",
};

TEST(NotImplemented, ValueEntriesApplyToDefaultsToo) {
  const LoadResult result = parse_with(R"(
listeners:
  - name: web
    address: 127.0.0.1:0
    cluster: backend
  - name: api
    address: 127.0.0.1:0
    protocol: http
    cluster: backend
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080]}
)",
                                       kExampleTable);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(
      has_error(result.errors, 2, "listeners[0].protocol",
                "\"http\" is not implemented yet (it is the default when the key is absent)"));
  EXPECT_TRUE(
      has_error(result.errors, 7, "listeners[1].protocol", "\"http\" is not implemented yet"));
  EXPECT_EQ(result.errors[1].message, "\"http\" is not implemented yet");
}

TEST(NotImplemented, TheLiveTableAcceptsHttpListeners) {
  const LoadResult result = parse_default(R"(
listeners:
  - {name: web, address: 127.0.0.1:0, cluster: backend}
clusters:
  - {name: backend, endpoints: [127.0.0.1:8080], lb_policy: ewma,
     retry_policy: {num_retries: 2}, max_idle_connections: 4}
)");
  EXPECT_TRUE(result.ok()) << testing::describe(result.errors);
}

TEST(NotImplemented, TheLiveTableAcceptsTheResiliencePolicies) {
  const LoadResult result = parse_default(R"(
listeners:
  - name: web
    address: 127.0.0.1:0
    cluster: backend
    rate_limit: {requests_per_second: 100}
    routes:
      - {prefix: /chaos, cluster: backend, rate_limit: {requests_per_second: 5, burst: 2},
         fault: {delay: {duration: 10ms, percent: 50}, abort: {status: 503, percent: 1}}}
clusters:
  - name: backend
    endpoints: [127.0.0.1:8080]
    outlier_detection: {success_rate: {}, latency: {}}
    health_check: {path: /ready, interval_jitter_percent: 20, host: backend.local}
)");
  EXPECT_TRUE(result.ok()) << testing::describe(result.errors);
}

TEST(NotImplemented, RefusesTheListedFeatures) {
  const LoadResult result = parse_with(R"(
control_plane: {addresses: [127.0.0.1:9000]}
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - name: backend
    endpoints: [127.0.0.1:8080]
    protocol: http2
    lb_policy: ewma
    retry_policy: {num_retries: 2}
    outlier_detection: {}
    health_check: {}
    max_idle_connections: 4
  - name: found
    discovery: {namespace: mesh, service: found}
service_connect: {namespace: mesh.local}
)",
                                       kExampleTable);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(has_error(result.errors, 1, "control_plane", "not implemented yet"));
  EXPECT_TRUE(
      has_error(result.errors, 7, "clusters[0].protocol", "\"http2\" is not implemented yet"));
  EXPECT_TRUE(
      has_error(result.errors, 8, "clusters[0].lb_policy", "\"ewma\" is not implemented yet"));
  EXPECT_TRUE(has_error(result.errors, 9, "clusters[0].retry_policy", "not implemented yet"));
  EXPECT_TRUE(has_error(result.errors, 10, "clusters[0].outlier_detection", "not implemented yet"));
  EXPECT_TRUE(has_error(result.errors, 11, "clusters[0].health_check", "not implemented yet"));
  EXPECT_TRUE(
      has_error(result.errors, 12, "clusters[0].max_idle_connections", "not implemented yet"));
  EXPECT_TRUE(has_error(result.errors, 14, "clusters[1].discovery", "not implemented yet"));
  EXPECT_TRUE(has_error(result.errors, 15, "service_connect", "not implemented yet"));
  EXPECT_EQ(result.errors.size(), 9u) << testing::describe(result.errors);
}

TEST(NotImplemented, AKeyInsideARefusedKeyIsNotReportedTwice) {
  constexpr std::string_view kTable[] = {
      "clusters[].retry_policy", "clusters[].retry_policy.max_body_size",
      "clusters[].retry_policy.retry_on[]=retriable-status-codes"};
  const LoadResult result = parse_with(R"(
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - name: backend
    endpoints: [127.0.0.1:8080]
    retry_policy:
      max_body_size: 1MiB
      retry_on: [retriable-status-codes]
      retriable_status_codes: [503]
)",
                                       kTable);
  ASSERT_EQ(result.errors.size(), 1u) << testing::describe(result.errors);
  EXPECT_EQ(result.errors[0].to_string(),
            "test.yaml:6: clusters[0].retry_policy: not implemented yet");
}

TEST(NotImplemented, KeyEntriesMatchOnlyWrittenKeys) {
  constexpr std::string_view kTable[] = {"clusters[].connect_timeout"};
  EXPECT_TRUE(parse_with(testing::kMinimal, kTable).ok());
  const LoadResult result = parse_with(R"(
listeners:
  - {name: web, address: 127.0.0.1:0, protocol: tcp, cluster: backend}
clusters:
  - {name: other, endpoints: [127.0.0.1:8081]}
  - name: backend
    endpoints: [127.0.0.1:8080]
    connect_timeout: 1s
)",
                                       kTable);
  ASSERT_EQ(result.errors.size(), 1u) << testing::describe(result.errors);
  EXPECT_TRUE(has_error(result.errors, 7, "clusters[1].connect_timeout", "not implemented yet"));
}

TEST(NotImplemented, ValueEntriesMatchEffectiveValues) {
  constexpr std::string_view kTable[] = {"clusters[].lb_policy=round_robin",
                                         "listeners[].max_connections=16384",
                                         "clusters[].endpoints[]=127.0.0.1:8080"};
  const LoadResult result = parse_with(testing::kMinimal, kTable);
  ASSERT_EQ(result.errors.size(), 3u) << testing::describe(result.errors);
  EXPECT_TRUE(has_error(result.errors, 2, "listeners[0].max_connections",
                        "\"16384\" is not implemented yet (it is the default"));
  EXPECT_TRUE(has_error(result.errors, 7, "clusters[0].lb_policy",
                        "\"round_robin\" is not implemented yet (it is the default"));
  EXPECT_TRUE(has_error(result.errors, 8, "clusters[0].endpoints[0]",
                        "\"127.0.0.1:8080\" is not implemented yet"));
}

TEST(NotImplemented, AnEmptyTableRefusesNothing) {
  EXPECT_TRUE(parse_with(testing::kEverything, {}).ok())
      << testing::describe(parse_with(testing::kEverything, {}).errors);
}

// Guards the table against typos: each entry names a path the schema has.
TEST(NotImplemented, EveryEntryNamesASchemaPath) {
  const LoadResult everything = testing::parse(testing::kEverything);
  ASSERT_TRUE(everything.ok()) << testing::describe(everything.errors);
  std::set<std::string> paths;
  collect_paths(to_json_value(*everything.config), {}, paths);
  for (std::string_view entry : not_implemented_entries()) {
    const std::string path(entry.substr(0, entry.find('=')));
    EXPECT_TRUE(paths.count(path) == 1) << "not a schema path: " << entry;
  }
}

TEST(NotImplemented, TheLiveTableAcceptsDiscoveryAndServiceConnect) {
  const LoadResult result = parse_default(R"(
control_plane:
  addresses: [127.0.0.1:9000]
  region: eu-west-1
  watch_timeout: 20s
  request_timeout: 2s
  reconnect_backoff: {base_interval: 100ms, max_interval: 5s}
  heartbeat_interval: 3s
listeners:
  - {name: web, address: 127.0.0.1:0, cluster: backend}
clusters:
  - name: backend
    discovery: {namespace: mesh, service: backend, query_parameters: {stage: prod}}
service_connect:
  namespace: mesh
  hosts_file: /tmp/hosts
  advertise_address: 127.0.0.2
  services:
    - {portName: api, port: 8080, appProtocol: http, clientAliases: [{port: 80, dnsName: api}]}
)");
  EXPECT_TRUE(result.ok()) << testing::describe(result.errors);
}

// Whatever the live table still lists is the only reason the config that
// uses every key is refused; once the table is empty it loads.
TEST(NotImplemented, TheEverythingConfigIsRefusedOnlyByTheTable) {
  const LoadResult result = parse_default(testing::kEverything);
  if (not_implemented_entries().empty()) {
    EXPECT_TRUE(result.ok()) << testing::describe(result.errors);
    return;
  }
  ASSERT_FALSE(result.ok());
  for (const ConfigError& error : result.errors) {
    EXPECT_NE(error.message.find("not implemented yet"), std::string::npos) << error.to_string();
  }
}

}  // namespace
}  // namespace ferry::core
