#include "proxy/core/config/config_json.h"

#include <string>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "config_test_support.h"

namespace ferry::core {
namespace {

namespace json = boost::json;

ProxyConfig everything() {
  return testing::parse_ok(testing::kEverything);
}

const json::value& at(const json::value& root, std::initializer_list<std::string_view> keys) {
  const json::value* node = &root;
  for (std::string_view key : keys) {
    node = &node->as_object().at(key);
  }
  return *node;
}

TEST(ConfigJson, EffectiveValuesWithTheFileKeys) {
  const json::value j = to_json_value(testing::parse_ok(testing::kMinimal));
  EXPECT_EQ(at(j, {"admin", "address"}), "127.0.0.1:9901");
  EXPECT_EQ(at(j, {"workers"}), 0);
  EXPECT_EQ(at(j, {"drain", "propagation_delay"}), "2s");
  EXPECT_EQ(at(j, {"drain", "timeout"}), "20s");
  EXPECT_TRUE(at(j, {"control_plane"}).is_null());
  EXPECT_TRUE(at(j, {"service_connect"}).is_null());

  const json::object& listener = at(j, {"listeners"}).as_array()[0].as_object();
  EXPECT_EQ(listener.at("protocol"), "tcp");
  EXPECT_EQ(listener.at("idle_timeout"), "1h");
  EXPECT_EQ(listener.at("per_connection_buffer_limit"), 1048576);
  EXPECT_TRUE(listener.at("access_log").is_null());
  // HTTP-only keys do not appear on a tcp listener.
  EXPECT_FALSE(listener.contains("routes"));
  EXPECT_FALSE(listener.contains("request_timeout"));

  const json::object& cluster = at(j, {"clusters"}).as_array()[0].as_object();
  EXPECT_EQ(cluster.at("endpoints").as_array()[0], "127.0.0.1:8080");
  EXPECT_EQ(cluster.at("lb_policy"), "round_robin");
  EXPECT_TRUE(cluster.at("retry_policy").is_null());
  EXPECT_EQ(at(cluster.at("circuit_breakers"), {"max_retries"}), 3);
  EXPECT_EQ(cluster.at("healthy_panic_threshold"), 50.0);
  EXPECT_EQ(at(cluster.at("tcp_keepalive"), {"time"}), "1m");
}

TEST(ConfigJson, PoliciesEnumsAndServiceConnect) {
  const json::value j = to_json_value(everything());
  const json::object& web = at(j, {"listeners"}).as_array()[0].as_object();
  EXPECT_EQ(web.at("x_forwarded_for"), "replace");
  EXPECT_EQ(web.at("max_request_headers_size"), 32768);
  const json::object& route = web.at("routes").as_array()[0].as_object();
  EXPECT_EQ(route.at("authority"), "api.local");
  const json::array& retry_on = at(route.at("retry_policy"), {"retry_on"}).as_array();
  ASSERT_EQ(retry_on.size(), 2u);
  EXPECT_EQ(retry_on[1], "retriable-status-codes");
  EXPECT_EQ(at(route.at("fault"), {"abort", "percent"}), 0.5);
  EXPECT_EQ(at(route.at("fault"), {"abort", "status"}), 503);
  // Header-activated: the header gives the status, so none is shown.
  const json::object& chaos = web.at("routes").as_array()[1].as_object();
  EXPECT_EQ(at(chaos.at("fault"), {"header_activation"}), true);
  EXPECT_FALSE(at(chaos.at("fault"), {"abort"}).as_object().contains("status"));
  EXPECT_TRUE(at(chaos.at("fault"), {"delay"}).is_null());

  const json::object& api = at(j, {"clusters"}).as_array()[1].as_object();
  EXPECT_FALSE(api.contains("endpoints"));  // uses discovery
  EXPECT_EQ(at(api.at("discovery"), {"query_parameters", "version"}), "v2");
  EXPECT_FALSE(api.at("health_check").as_object().contains("path"));  // tcp check

  const json::object& sc = at(j, {"service_connect"}).as_object();
  const json::object& service = sc.at("services").as_array()[0].as_object();
  EXPECT_EQ(service.at("portName"), "http");
  EXPECT_EQ(at(service.at("timeout"), {"perRequestTimeoutSeconds"}), 10);
  const json::object& db = sc.at("services").as_array()[1].as_object();
  EXPECT_EQ(db.at("appProtocol"), "tcp");
  EXPECT_FALSE(db.at("timeout").as_object().contains("perRequestTimeoutSeconds"));
}

TEST(ConfigJson, PrettyPrintsNumbersWithoutExponents) {
  const std::string text = to_json(everything());
  EXPECT_NE(text.find("\"max_ejection_percent\": 33.3,"), std::string::npos) << text;
  EXPECT_NE(text.find("\"budget_percent\": 25.5,"), std::string::npos);
  EXPECT_NE(text.find("\"threshold_factor\": 4\n"), std::string::npos);
  EXPECT_NE(text.find("\"healthy_panic_threshold\": 0,"), std::string::npos);
  EXPECT_EQ(text.find("E1"), std::string::npos);
  EXPECT_EQ(text.find("E0"), std::string::npos);
  // Valid JSON: parsing and printing it again gives the same text.
  EXPECT_EQ(format_json(json::parse(text)), text);
}

TEST(ConfigJson, OutputLoadsBackAsTheSameConfig) {
  for (std::string_view source : {testing::kMinimal, testing::kEverything}) {
    const std::string first = to_json(testing::parse_ok(source));
    // JSON is YAML: the dump is itself a config file.
    const LoadResult reloaded = testing::parse("\n" + first);
    ASSERT_TRUE(reloaded.ok()) << testing::describe(reloaded.errors) << first;
    EXPECT_EQ(to_json(*reloaded.config), first);
  }
}

TEST(ConfigJson, CredentialsFileIsAPathNotASecret) {
  const std::string text = to_json(everything());
  EXPECT_NE(text.find("\"credentials_file\": \"/etc/ferry/creds\""), std::string::npos);
  EXPECT_EQ(text.find("[redacted]"), std::string::npos);
  EXPECT_TRUE(secret_paths().empty());
}

TEST(ConfigJson, SecretPathsAreRedacted) {
  constexpr std::string_view kSecrets[] = {"control_plane.region", "listeners[].access_log",
                                           "clusters[].endpoints[]"};
  const json::value j = json::parse(to_json(everything(), kSecrets));
  EXPECT_EQ(at(j, {"control_plane", "region"}), "[redacted]");
  EXPECT_EQ(at(j, {"control_plane", "credentials_file"}), "/etc/ferry/creds");
  const json::array& listeners = at(j, {"listeners"}).as_array();
  EXPECT_EQ(at(listeners[0], {"access_log"}), "[redacted]");
  EXPECT_TRUE(at(listeners[1], {"access_log"}).is_null());  // absent stays null
  for (const json::value& endpoint :
       at(j, {"clusters"}).as_array()[0].as_object().at("endpoints").as_array()) {
    EXPECT_EQ(endpoint, "[redacted]");
  }
}

}  // namespace
}  // namespace ferry::core
