#include "discovery/namespace_snapshot.h"

#include <functional>

#include <gtest/gtest.h>

#include "tests/unit/discovery/snapshot_json.h"

namespace ferry::discovery {
namespace {

using test::instance_json;
using test::service_json;
using test::snapshot_json;
namespace json = boost::json;

std::string good() {
  return snapshot_json(
      "mesh.local", 7,
      {service_json("web", "srv-bbbbbbbbbbbbbbbb",
                    {instance_json("i-2", "10.0.0.2", 8080),
                     instance_json("i-1", "10.0.0.1", 8080, "UNHEALTHY", {{"zone", "a"}})}),
       service_json(
           "api", "srv-aaaaaaaaaaaaaaaa",
           {instance_json("v6", "fd00::5", 9000, "UNKNOWN"), instance_json("noaddr", "", 0)})});
}

TEST(NamespaceSnapshotTest, ParsesAndSortsAValidSnapshot) {
  SnapshotParse parsed = parse_snapshot(good(), {}, "mesh.local");
  ASSERT_TRUE(parsed.snapshot) << parsed.error;
  const NamespaceSnapshot& s = *parsed.snapshot;
  EXPECT_EQ(s.namespace_name, "mesh.local");
  EXPECT_EQ(s.epoch, "epoch-1");
  EXPECT_EQ(s.version, 7);
  ASSERT_EQ(s.services.size(), 2u);
  EXPECT_EQ(s.services[0].name, "api");
  EXPECT_EQ(s.instance_count(), 4u);
  const ServiceRecord* web = s.find_service("web");
  ASSERT_NE(web, nullptr);
  EXPECT_EQ(web->instances[0].id, "i-1");
  EXPECT_EQ(web->instances[0].health, filters::HealthStatus::Unhealthy);
  EXPECT_EQ(web->instances[0].endpoint->to_string(), "10.0.0.1:8080");
  EXPECT_EQ(web->instances[0].attributes.at("zone"), "a");
  const ServiceRecord* api = s.find_service("api");
  EXPECT_FALSE(api->instances[0].endpoint);  // "noaddr"
  EXPECT_EQ(api->instances[1].endpoint->to_string(), "[fd00::5]:9000");
  EXPECT_EQ(s.find_service("nope"), nullptr);
}

TEST(NamespaceSnapshotTest, RoundTripsThroughJson) {
  auto first = parse_snapshot(good(), {});
  ASSERT_TRUE(first.snapshot);
  auto second = parse_snapshot(snapshot_to_json(*first.snapshot), {});
  ASSERT_TRUE(second.snapshot) << second.error;
  EXPECT_EQ(snapshot_to_json(*first.snapshot), snapshot_to_json(*second.snapshot));
}

TEST(NamespaceSnapshotTest, EmptyNamespaceIsValid) {
  auto parsed = parse_snapshot(snapshot_json("ns", 0, {}), {});
  ASSERT_TRUE(parsed.snapshot) << parsed.error;
  EXPECT_TRUE(parsed.snapshot->services.empty());
}

// Each case mutates the good snapshot one way; every one must be refused
// as a whole with an error naming the place.
TEST(NamespaceSnapshotTest, RejectsEveryMalformedSnapshot) {
  auto svc = [](json::object& o, std::size_t i) -> json::object& {
    return o["services"].as_array()[i].as_object();
  };
  auto inst = [&](json::object& o, std::size_t s, std::size_t i) -> json::object& {
    return svc(o, s)["instances"].as_array()[i].as_object();
  };
  const std::vector<std::pair<const char*, std::function<void(json::object&)>>> cases = {
      {"namespace",
       [](json::object& o) {
         o.erase("namespace");
       }},
      {"namespace",
       [](json::object& o) {
         o["namespace"] = 5;
       }},
      {"epoch",
       [](json::object& o) {
         o["epoch"] = "";
       }},
      {"version",
       [](json::object& o) {
         o["version"] = -1;
       }},
      {"version",
       [](json::object& o) {
         o["version"] = 1.5;
       }},
      {"version",
       [](json::object& o) {
         o["version"] = "7";
       }},
      {"services",
       [](json::object& o) {
         o["services"] = json::object{};
       }},
      {"services[0]",
       [](json::object& o) {
         o["services"].as_array()[0] = 3;
       }},
      {"services[0].id",
       [&](json::object& o) {
         svc(o, 0)["id"] = "svc-1";
       }},
      {"services[0].id",
       [&](json::object& o) {
         svc(o, 0)["id"] = "srv-";
       }},
      {"services[0].name",
       [&](json::object& o) {
         svc(o, 0).erase("name");
       }},
      {"appears twice",
       [&](json::object& o) {
         svc(o, 1)["name"] = "web";
       }},
      {"appears twice",
       [&](json::object& o) {
         svc(o, 1)["id"] = svc(o, 0)["id"];
       }},
      {"instances",
       [&](json::object& o) {
         svc(o, 0).erase("instances");
       }},
      {".id",
       [&](json::object& o) {
         inst(o, 0, 0)["id"] = "bad id";
       }},
      {".id",
       [&](json::object& o) {
         inst(o, 0, 0)["id"] = std::string(65, 'a');
       }},
      {"appears twice",
       [&](json::object& o) {
         inst(o, 0, 1)["id"] = "i-2";
       }},
      {"health",
       [&](json::object& o) {
         inst(o, 0, 0)["health"] = "OK";
       }},
      {"attributes",
       [&](json::object& o) {
         inst(o, 0, 0)["attributes"] = json::array{};
       }},
      {"AWS_INSTANCE_IPV4",
       [&](json::object& o) {
         inst(o, 0, 0)["attributes"].as_object()["AWS_INSTANCE_IPV4"] = "10.0.0.256";
       }},
      {"AWS_INSTANCE_IPV4",
       [&](json::object& o) {
         inst(o, 0, 0)["attributes"].as_object()["AWS_INSTANCE_IPV4"] = "fd00::1";
       }},
      {"AWS_INSTANCE_IPV6",
       [&](json::object& o) {
         inst(o, 0, 0)["attributes"].as_object()["AWS_INSTANCE_IPV6"] = "10.0.0.1";
       }},
      {"AWS_INSTANCE_PORT",
       [&](json::object& o) {
         inst(o, 0, 0)["attributes"].as_object()["AWS_INSTANCE_PORT"] = "0";
       }},
      {"AWS_INSTANCE_PORT",
       [&](json::object& o) {
         inst(o, 0, 0)["attributes"].as_object()["AWS_INSTANCE_PORT"] = "65536";
       }},
      {"AWS_INSTANCE_PORT",
       [&](json::object& o) {
         inst(o, 0, 0)["attributes"].as_object()["AWS_INSTANCE_PORT"] = "80 ";
       }},
      {"attributes.zone",
       [&](json::object& o) {
         inst(o, 0, 0)["attributes"].as_object()["zone"] = 1;
       }},
      {"attributes.zone",
       [&](json::object& o) {
         inst(o, 0, 0)["attributes"].as_object()["zone"] = std::string(1025, 'z');
       }},
      {"printable",
       [&](json::object& o) {
         inst(o, 0, 0)["attributes"].as_object()["a b"] = "x";
       }},
      {"ferry.aliases",
       [&](json::object& o) {
         inst(o, 0, 0)["attributes"].as_object()["ferry.aliases"] = "x";
       }},
  };
  for (const auto& [where, mutate] : cases) {
    json::value v = json::parse(good());
    mutate(v.as_object());
    SnapshotParse parsed = parse_snapshot(json::serialize(v), {});
    EXPECT_FALSE(parsed.snapshot) << where;
    EXPECT_NE(parsed.error.find(where), std::string::npos) << where << " -> " << parsed.error;
  }
}

TEST(NamespaceSnapshotTest, RejectsTheWrongNamespaceAndNonJson) {
  EXPECT_FALSE(parse_snapshot(good(), {}, "other.local").snapshot);
  EXPECT_FALSE(parse_snapshot("", {}).snapshot);
  EXPECT_FALSE(parse_snapshot("{\"namespace\":", {}).snapshot);
  EXPECT_FALSE(parse_snapshot("[]", {}).snapshot);
  // Deeper than any snapshot.
  EXPECT_FALSE(parse_snapshot(std::string(100, '[') + std::string(100, ']'), {}).snapshot);
}

TEST(NamespaceSnapshotTest, EnforcesEveryLimit) {
  SnapshotLimits limits;
  limits.max_bytes = good().size() - 1;
  EXPECT_FALSE(parse_snapshot(good(), limits).snapshot);
  limits = {};
  limits.max_services = 1;
  EXPECT_FALSE(parse_snapshot(good(), limits).snapshot);
  limits = {};
  limits.max_instances = 3;
  EXPECT_FALSE(parse_snapshot(good(), limits).snapshot);
  limits = {};
  limits.max_attributes = 2;
  EXPECT_FALSE(parse_snapshot(good(), limits).snapshot);
  limits = {};
  limits.max_attribute_value = 3;
  EXPECT_FALSE(parse_snapshot(good(), limits).snapshot);
}

TEST(NamespaceSnapshotTest, UnknownMembersAreIgnored) {
  json::value v = json::parse(good());
  v.as_object()["generated_by"] = "a newer ferry-control";
  v.as_object()["services"].as_array()[0].as_object()["arn"] = "arn:...";
  EXPECT_TRUE(parse_snapshot(json::serialize(v), {}).snapshot);
}

TEST(NamespaceSnapshotTest, PeekMarkerReadsEpochAndVersionOfAnyObject) {
  auto m = peek_marker(R"({"epoch":"e","version":3,"services":"garbage"})", {});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->epoch, "e");
  EXPECT_EQ(m->version, 3);
  EXPECT_FALSE(peek_marker("not json", {}));
  EXPECT_FALSE(peek_marker(R"({"epoch":1,"version":3})", {}));
}

}  // namespace
}  // namespace ferry::discovery
