#include "control/registry_state.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace ferry::control {
namespace {

std::shared_ptr<const Namespace> ns(const std::string& id, const std::string& name) {
  auto out = std::make_shared<Namespace>();
  out->id = id;
  out->name = name;
  return out;
}

std::shared_ptr<const Service> service(const std::string& id, const std::string& ns_id,
                                       const std::string& name) {
  auto out = std::make_shared<Service>();
  out->id = id;
  out->namespace_id = ns_id;
  out->name = name;
  return out;
}

std::shared_ptr<const Instance> instance(const std::string& svc, const std::string& id) {
  Instance i;
  i.service_id = svc;
  i.id = id;
  i.attributes = {{"b", "2"}, {"a", "1"}};
  return make_instance(std::move(i));
}

std::string text(const RegistryState& state) {
  std::string out;
  for (const RecordChange& c : state.dump()) {
    out += c.key + "@" + std::to_string(c.revision) + "=" + encode_record(c.value) + "\n";
  }
  return out;
}

TEST(RegistryState, IndexesNamesCountsAndVersions) {
  RegistryState state;
  ChangeSummary summary;
  state.apply({RecordKind::Namespace, "ns/ns-1", ns("ns-1", "mesh"), 1}, &summary);
  state.apply(touch_namespace("ns-1"), &summary);
  state.apply({RecordKind::Service, "svc/srv-1", service("srv-1", "ns-1", "web"), 2});
  state.apply({RecordKind::Instance, "inst/srv-1/i/1", instance("srv-1", "i/1"), 3}, &summary);
  ASSERT_NE(state.find_namespace_by_name("mesh"), nullptr);
  EXPECT_EQ(state.find_service_by_name("ns-1", "web")->service.value->id, "srv-1");
  EXPECT_EQ(state.find_namespace("ns-1")->service_ids.size(), 1u);
  EXPECT_EQ(state.find_namespace("ns-1")->instance_count, 1u);
  EXPECT_EQ(state.instance_count(), 1u);
  ASSERT_NE(state.find_instance("srv-1", "i/1"), nullptr);
  EXPECT_EQ(state.find_instance("srv-1", "i/1")->value->attributes_json, R"({"a":"1","b":"2"})");
  EXPECT_TRUE(summary.namespaces.count("ns-1"));
  EXPECT_TRUE(summary.instances.count({"srv-1", "i/1"}));
  RecordChange version = touch_namespace("ns-1");
  version.revision = 9;
  state.apply(version);
  EXPECT_EQ(state.namespace_version("ns-1"), 9);
}

TEST(RegistryState, LoadsChildrenBeforeParents) {
  RegistryState in_order;
  RegistryState reversed;
  std::vector<RecordChange> changes = {
      {RecordKind::Namespace, "ns/ns-1", ns("ns-1", "mesh"), 1},
      {RecordKind::Service, "svc/srv-1", service("srv-1", "ns-1", "web"), 2},
      {RecordKind::Instance, "inst/srv-1/a", instance("srv-1", "a"), 3},
      {RecordKind::Instance, "inst/srv-1/b", instance("srv-1", "b"), 4},
  };
  for (const auto& c : changes) {
    in_order.apply(c);
  }
  for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
    reversed.apply(*it);
  }
  EXPECT_EQ(text(in_order), text(reversed));
  EXPECT_EQ(reversed.find_namespace("ns-1")->instance_count, 2u);
  EXPECT_EQ(reversed.find_service("srv-1")->instances.size(), 2u);
}

// Applying the inverses in reverse order restores the exact previous state,
// whatever the changes were (the SQLite writer's undo after a failed commit).
TEST(RegistryState, InversesUndoAnySequence) {
  std::mt19937 rng(3);
  RegistryState state;
  state.apply({RecordKind::Namespace, "ns/ns-1", ns("ns-1", "mesh"), 1});
  state.apply({RecordKind::Service, "svc/srv-1", service("srv-1", "ns-1", "web"), 2});
  for (int round = 0; round < 50; ++round) {
    const std::string before = text(state);
    std::vector<RecordChange> undo;
    for (int i = 0; i < 10; ++i) {
      const std::string id = "i" + std::to_string(rng() % 5);
      RecordChange change = rng() % 3 == 0
                                ? delete_record(RecordKind::Instance, instance_key("srv-1", id))
                                : put_instance(instance("srv-1", id));
      change.revision = 100 + round * 10 + i;
      if (rng() % 4 == 0) {
        change = touch_service_revision("srv-1");
        change.revision = 7;
      }
      undo.push_back(state.apply(change));
    }
    const bool keep = rng() % 2 == 0;
    if (!keep) {
      for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
        state.apply(*it);
      }
      EXPECT_EQ(text(state), before) << "round " << round;
    }
  }
  std::size_t counted = state.find_service("srv-1")->instances.size();
  EXPECT_EQ(state.find_namespace("ns-1")->instance_count, counted);
  EXPECT_EQ(state.instance_count(), counted);
}

TEST(Records, RoundTripThroughTheStorageCodec) {
  Instance i;
  i.service_id = "srv-1";
  i.id = "i:1";
  i.attributes = {{"AWS_INSTANCE_IPV4", "10.0.0.1"}, {"q\"uote", "v\\"}};
  i.health = HealthStatus::Unhealthy;
  i.create_date = 1700000000.123;
  const RecordChange put = put_instance(make_instance(i));
  std::string error;
  auto decoded = decode_record(RecordKind::Instance, put.key, encode_record(put.value), error);
  ASSERT_TRUE(decoded.has_value()) << error;
  EXPECT_EQ(encode_record(*decoded), encode_record(put.value));
  const auto& back = *std::get<std::shared_ptr<const Instance>>(*decoded);
  EXPECT_EQ(back.health, HealthStatus::Unhealthy);
  EXPECT_EQ(back.attributes_json, R"({"AWS_INSTANCE_IPV4":"10.0.0.1","q\"uote":"v\\"})");
  // A record under another key, or a damaged body, is refused.
  EXPECT_FALSE(
      decode_record(RecordKind::Instance, "inst/srv-1/other", encode_record(put.value), error));
  EXPECT_FALSE(decode_record(RecordKind::Instance, put.key, "{\"id\":1}", error));
  EXPECT_FALSE(decode_record(RecordKind::Instance, put.key, "{", error));
  EXPECT_EQ(kind_of_key("inst/srv-1/a/b"), RecordKind::Instance);
  EXPECT_FALSE(kind_of_key("nope/1").has_value());
}

}  // namespace
}  // namespace ferry::control
