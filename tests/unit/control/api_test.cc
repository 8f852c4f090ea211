#include "control/api.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/unit/control/test_support.h"

namespace ferry::control {
namespace {

namespace json = boost::json;
using testing::Harness;
using testing::TempDir;

class ApiTest : public ::testing::Test {
 protected:
  TempDir dir_;
  Harness h_{dir_.path()};
};

TEST_F(ApiTest, NamespaceLifecycle) {
  auto op = h_.ok("CreateHttpNamespace",
                  {{"Name", "mesh.local"}, {"Description", "d1"}, {"CreatorRequestId", "t-1"}});
  const std::string op_id(op["OperationId"].as_string());
  auto got = h_.ok("GetOperation", {{"OperationId", op_id}});
  const json::object& operation = got["Operation"].as_object();
  EXPECT_EQ(operation.at("Status"), "SUCCESS");
  EXPECT_EQ(operation.at("Type"), "CREATE_NAMESPACE");
  const std::string ns_id(operation.at("Targets").at("NAMESPACE").as_string());
  EXPECT_EQ(ns_id.rfind("ns-", 0), 0u);
  EXPECT_EQ(ns_id.size(), 19u);

  auto ns = h_.ok("GetNamespace", {{"Id", ns_id}})["Namespace"].as_object();
  EXPECT_EQ(ns.at("Name"), "mesh.local");
  EXPECT_EQ(ns.at("Type"), "HTTP");
  EXPECT_EQ(ns.at("Description"), "d1");
  EXPECT_EQ(ns.at("ServiceCount"), 0);
  EXPECT_EQ(ns.at("Properties").at("HttpProperties").at("HttpName"), "mesh.local");
  EXPECT_EQ(ns.at("Arn"),
            json::value("arn:aws:servicediscovery:us-east-1:000000000000:namespace/" + ns_id));
  // By ARN as well.
  EXPECT_EQ(h_.ok("GetNamespace", {{"Id", ns.at("Arn")}})["Namespace"].at("Id"),
            json::value(ns_id));

  auto update = h_.ok("UpdateHttpNamespace",
                      {{"Id", ns_id}, {"Namespace", json::object{{"Description", "d2"}}}});
  EXPECT_TRUE(update.contains("OperationId"));
  EXPECT_EQ(h_.ok("GetNamespace", {{"Id", ns_id}})["Namespace"].at("Description"), "d2");

  auto del = h_.ok("DeleteNamespace", {{"Id", ns_id}});
  auto del_op = h_.ok("GetOperation", {{"OperationId", del["OperationId"]}});
  EXPECT_EQ(del_op["Operation"].at("Type"), "DELETE_NAMESPACE");
  EXPECT_EQ(h_.error("GetNamespace", {{"Id", ns_id}}), "NamespaceNotFound");
  EXPECT_EQ(h_.error("DeleteNamespace", {{"Id", ns_id}}), "NamespaceNotFound");
}

TEST_F(ApiTest, CreatorRequestIdMakesCreationIdempotent) {
  const json::object body{{"Name", "a.local"}, {"CreatorRequestId", "token-1"}};
  auto first = h_.ok("CreateHttpNamespace", body);
  auto again = h_.ok("CreateHttpNamespace", body);
  EXPECT_EQ(first["OperationId"], again["OperationId"]);
  EXPECT_EQ(h_.ok("ListNamespaces", {})["Namespaces"].as_array().size(), 1u);
  // The same token for another request.
  EXPECT_EQ(h_.error("CreateHttpNamespace", {{"Name", "b.local"}, {"CreatorRequestId", "token-1"}}),
            "DuplicateRequest");
  // Another token, same name.
  ApiReply exists =
      h_.call("CreateHttpNamespace", {{"Name", "a.local"}, {"CreatorRequestId", "token-2"}});
  EXPECT_EQ(exists.error_code, "NamespaceAlreadyExists");
  EXPECT_NE(exists.body.find("\"NamespaceId\":\"ns-"), std::string::npos) << exists.body;
}

TEST_F(ApiTest, ServiceLifecycleAndResourceInUse) {
  const std::string ns = h_.create_namespace("svc.local");
  auto created = h_.ok("CreateService", {{"Name", "backend"},
                                         {"NamespaceId", ns},
                                         {"Description", "b"},
                                         {"HealthCheckCustomConfig", json::object{}}});
  const json::object& service = created["Service"].as_object();
  const std::string id(service.at("Id").as_string());
  EXPECT_EQ(id.rfind("srv-", 0), 0u);
  EXPECT_EQ(id.size(), 20u);
  EXPECT_EQ(service.at("NamespaceId"), json::value(ns));
  EXPECT_TRUE(service.contains("HealthCheckCustomConfig"));
  EXPECT_EQ(h_.error("CreateService", {{"Name", "backend"}, {"NamespaceId", ns}}),
            "ServiceAlreadyExists");
  EXPECT_EQ(h_.error("CreateService", {{"Name", "x"}, {"NamespaceId", "ns-nope"}}),
            "NamespaceNotFound");
  EXPECT_EQ(h_.error("DeleteNamespace", {{"Id", ns}}), "ResourceInUse");

  h_.register_instance(id, "i-1");
  EXPECT_EQ(h_.error("DeleteService", {{"Id", id}}), "ResourceInUse");
  EXPECT_EQ(h_.ok("GetService", {{"Id", id}})["Service"].at("InstanceCount"), 1);
  h_.ok("DeregisterInstance", {{"ServiceId", id}, {"InstanceId", "i-1"}});
  h_.ok("UpdateService", {{"Id", id}, {"Service", json::object{{"Description", "new"}}}});
  EXPECT_EQ(h_.ok("GetService", {{"Id", id}})["Service"].at("Description"), "new");
  EXPECT_EQ(h_.ok("DeleteService", {{"Id", id}}).size(), 0u);
  EXPECT_EQ(h_.error("GetService", {{"Id", id}}), "ServiceNotFound");
  h_.ok("DeleteNamespace", {{"Id", ns}});
}

TEST_F(ApiTest, RefusesDnsFeaturesClearly) {
  const std::string ns = h_.create_namespace("dns.local");
  for (const char* action : {"CreatePrivateDnsNamespace", "CreatePublicDnsNamespace",
                             "UpdatePrivateDnsNamespace", "UpdatePublicDnsNamespace"}) {
    ApiReply r = h_.call(action, {{"Name", "x.example.com"}, {"Vpc", "vpc-1"}});
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.error_code, "InvalidInput");
    EXPECT_NE(r.body.find("HTTP namespaces only"), std::string::npos);
  }
  ApiReply dns = h_.call(
      "CreateService",
      {{"Name", "a"},
       {"NamespaceId", ns},
       {"DnsConfig",
        json::object{{"DnsRecords", json::array{json::object{{"Type", "A"}, {"TTL", 60}}}}}}});
  EXPECT_EQ(dns.error_code, "InvalidInput");
  EXPECT_NE(dns.body.find("DnsConfig"), std::string::npos);
  EXPECT_EQ(h_.error("CreateService", {{"Name", "a"},
                                       {"NamespaceId", ns},
                                       {"HealthCheckConfig", json::object{{"Type", "HTTP"}}}}),
            "InvalidInput");
}

TEST_F(ApiTest, RegisterDiscoverAndHealth) {
  const std::string ns = h_.create_namespace("disc.local");
  const std::string svc = h_.create_service(ns, "web", true);
  h_.register_instance(
      svc, "a", {{"AWS_INSTANCE_IPV4", "10.0.0.1"}, {"AWS_INSTANCE_PORT", "80"}, {"zone", "z1"}});
  h_.register_instance(svc, "b", {{"AWS_INSTANCE_IPV4", "10.0.0.2"}, {"zone", "z2"}});
  h_.register_instance(
      svc, "c", {{"AWS_INSTANCE_IPV4", "10.0.0.3"}, {"AWS_INIT_HEALTH_STATUS", "UNHEALTHY"}});
  auto discover = [&](json::object extra) {
    json::object body{{"NamespaceName", "disc.local"}, {"ServiceName", "web"}};
    for (auto& kv : extra) {
      body[kv.key()] = kv.value();
    }
    auto out = h_.ok("DiscoverInstances", body);
    std::set<std::string> ids;
    for (const auto& i : out["Instances"].as_array()) {
      ids.insert(std::string(i.at("InstanceId").as_string()));
      EXPECT_EQ(i.at("NamespaceName"), "disc.local");
      EXPECT_EQ(i.at("ServiceName"), "web");
    }
    return ids;
  };
  using Ids = std::set<std::string>;
  EXPECT_EQ(discover({}), (Ids{"a", "b"}));  // HEALTHY by default
  EXPECT_EQ(discover({{"HealthStatus", "ALL"}}), (Ids{"a", "b", "c"}));
  EXPECT_EQ(discover({{"HealthStatus", "UNHEALTHY"}}), (Ids{"c"}));
  EXPECT_EQ(discover({{"QueryParameters", json::object{{"zone", "z1"}}}}), (Ids{"a"}));
  EXPECT_EQ(discover({{"QueryParameters", json::object{{"zone", "z9"}}}}), Ids{});
  EXPECT_EQ(discover({{"OptionalParameters", json::object{{"zone", "z2"}}}}), (Ids{"b"}));
  EXPECT_EQ(discover({{"OptionalParameters", json::object{{"zone", "z9"}}}}), (Ids{"a", "b"}));
  EXPECT_EQ(discover({{"MaxResults", 1}}).size(), 1u);

  const auto revision =
      h_.ok("DiscoverInstancesRevision",
            {{"NamespaceName", "disc.local"}, {"ServiceName", "web"}})["InstancesRevision"]
          .as_int64();
  // Health changes apply at once and do not move InstancesRevision.
  h_.ok("UpdateInstanceCustomHealthStatus",
        {{"ServiceId", svc}, {"InstanceId", "a"}, {"Status", "UNHEALTHY"}});
  EXPECT_EQ(discover({}), (Ids{"b"}));
  EXPECT_EQ(h_.ok("DiscoverInstancesRevision",
                  {{"NamespaceName", "disc.local"}, {"ServiceName", "web"}})["InstancesRevision"],
            revision);
  // Everything unhealthy: HEALTHY_OR_ELSE_ALL fails open.
  h_.ok("UpdateInstanceCustomHealthStatus",
        {{"ServiceId", svc}, {"InstanceId", "b"}, {"Status", "UNHEALTHY"}});
  EXPECT_EQ(discover({}), Ids{});
  EXPECT_EQ(discover({{"HealthStatus", "HEALTHY_OR_ELSE_ALL"}}), (Ids{"a", "b", "c"}));

  auto status = h_.ok("GetInstancesHealthStatus", {{"ServiceId", svc}})["Status"].as_object();
  EXPECT_EQ(status.at("a"), "UNHEALTHY");
  EXPECT_EQ(status.at("c"), "UNHEALTHY");
  // A renewal of the current status is not a write.
  const std::size_t batches = h_.batches().size();
  h_.ok("UpdateInstanceCustomHealthStatus",
        {{"ServiceId", svc}, {"InstanceId", "a"}, {"Status", "UNHEALTHY"}});
  EXPECT_EQ(h_.batches().size(), batches);
  h_.ok("UpdateInstanceCustomHealthStatus",
        {{"ServiceId", svc}, {"InstanceId", "a"}, {"Status", "HEALTHY"}});
  h_.ok("UpdateInstanceCustomHealthStatus",
        {{"ServiceId", svc}, {"InstanceId", "a"}, {"Status", "HEALTHY"}});
  ASSERT_FALSE(h_.renewals().empty());
  EXPECT_EQ(h_.renewals().back(), std::make_pair(svc, std::string("a")));

  h_.ok("DeregisterInstance", {{"ServiceId", svc}, {"InstanceId", "c"}});
  EXPECT_GT(h_.ok("DiscoverInstancesRevision",
                  {{"NamespaceName", "disc.local"}, {"ServiceName", "web"}})["InstancesRevision"]
                .as_int64(),
            revision);
}

TEST_F(ApiTest, ServicesWithoutHealthChecksReportUnknownAndIgnoreTheFilter) {
  const std::string ns = h_.create_namespace("plain.local");
  const std::string svc = h_.create_service(ns, "api");
  h_.register_instance(svc, "i1", {{"AWS_INIT_HEALTH_STATUS", "UNHEALTHY"}});
  auto out = h_.ok(
      "DiscoverInstances",
      {{"NamespaceName", "plain.local"}, {"ServiceName", "api"}, {"HealthStatus", "HEALTHY"}});
  ASSERT_EQ(out["Instances"].as_array().size(), 1u);
  EXPECT_EQ(out["Instances"].as_array()[0].at("HealthStatus"), "UNKNOWN");
  EXPECT_EQ(h_.error("UpdateInstanceCustomHealthStatus",
                     {{"ServiceId", svc}, {"InstanceId", "i1"}, {"Status", "HEALTHY"}}),
            "CustomHealthNotFound");
}

TEST_F(ApiTest, ReRegisteringKeepsOneInstanceWithTheLastAttributes) {
  const std::string ns = h_.create_namespace("rr.local");
  const std::string svc = h_.create_service(ns, "web");
  h_.register_instance(svc, "i-1", {{"v", "1"}});
  h_.register_instance(svc, "i-1", {{"v", "2"}});
  auto list = h_.ok("ListInstances", {{"ServiceId", svc}})["Instances"].as_array();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].at("Attributes").at("v"), "2");
  auto got = h_.ok("GetInstance", {{"ServiceId", svc}, {"InstanceId", "i-1"}});
  EXPECT_EQ(got["Instance"].at("Attributes").at("v"), "2");
}

TEST_F(ApiTest, SameRegistrationTokenFiveTimesGivesOneOperation) {
  const std::string ns = h_.create_namespace("idem.local");
  const std::string svc = h_.create_service(ns, "web");
  const json::object body{{"ServiceId", svc},
                          {"InstanceId", "i-1"},
                          {"CreatorRequestId", "tok"},
                          {"Attributes", json::object{{"k", "v"}}}};
  // Five at once: all queued before the writer runs, so some share a batch.
  std::vector<std::optional<ApiReply>> replies(5);
  for (auto& reply : replies) {
    h_.api().handle("RegisterInstance", json::serialize(body), {},
                    [&reply](ApiReply r) { reply = std::move(r); });
  }
  ASSERT_TRUE(h_.loop().run_until([&] {
    return std::all_of(replies.begin(), replies.end(), [](auto& r) { return r.has_value(); });
  }));
  for (const auto& reply : replies) {
    EXPECT_EQ(reply->status, 200) << reply->body;
    EXPECT_EQ(reply->body, replies[0]->body);
  }
  EXPECT_EQ(h_.registry().state().find_service(svc)->instances.size(), 1u);
  json::object other = body;
  other["Attributes"] = json::object{{"k", "w"}};
  ApiReply duplicate = h_.call("RegisterInstance", other);
  EXPECT_EQ(duplicate.error_code, "DuplicateRequest");
  EXPECT_NE(duplicate.body.find("DuplicateOperationId"), std::string::npos);
}

TEST_F(ApiTest, NotFoundErrors) {
  const std::string ns = h_.create_namespace("nf.local");
  const std::string svc = h_.create_service(ns, "web");
  EXPECT_EQ(h_.error("GetInstance", {{"ServiceId", svc}, {"InstanceId", "nope"}}),
            "InstanceNotFound");
  EXPECT_EQ(h_.error("DeregisterInstance", {{"ServiceId", svc}, {"InstanceId", "nope"}}),
            "InstanceNotFound");
  EXPECT_EQ(h_.error("GetInstance", {{"ServiceId", "srv-nope"}, {"InstanceId", "x"}}),
            "ServiceNotFound");
  EXPECT_EQ(
      h_.error("RegisterInstance",
               {{"ServiceId", "srv-nope"}, {"InstanceId", "x"}, {"Attributes", json::object{}}}),
      "ServiceNotFound");
  EXPECT_EQ(h_.error("GetNamespace", {{"Id", "ns-nope"}}), "NamespaceNotFound");
  EXPECT_EQ(h_.error("GetOperation", {{"OperationId", "nope"}}), "OperationNotFound");
  EXPECT_EQ(h_.error("DiscoverInstances", {{"NamespaceName", "nope"}, {"ServiceName", "web"}}),
            "NamespaceNotFound");
  EXPECT_EQ(h_.error("DiscoverInstances", {{"NamespaceName", "nf.local"}, {"ServiceName", "x"}}),
            "ServiceNotFound");
  h_.register_instance(svc, "once");
  h_.ok("DeregisterInstance", {{"ServiceId", svc}, {"InstanceId", "once"}});
  EXPECT_EQ(h_.error("DeregisterInstance", {{"ServiceId", svc}, {"InstanceId", "once"}}),
            "InstanceNotFound");
}

TEST_F(ApiTest, ValidatesInputsAndNamesTheField) {
  const std::string ns = h_.create_namespace("v.local");
  const std::string svc = h_.create_service(ns, "web");
  struct Case {
    json::object attributes;
    std::string instance_id;
    const char* field;
  };
  const std::vector<Case> cases = {
      {{}, std::string(65, 'a'), "InstanceId"},
      {{}, "bad id!", "InstanceId"},
      {{{"AWS_INSTANCE_IPV4", "999.1.1.1"}}, "i", "AWS_INSTANCE_IPV4"},
      {{{"AWS_INSTANCE_IPV4", "1.2.3"}}, "i", "AWS_INSTANCE_IPV4"},
      {{{"AWS_INSTANCE_IPV6", "::g"}}, "i", "AWS_INSTANCE_IPV6"},
      {{{"AWS_INSTANCE_PORT", "0"}}, "i", "AWS_INSTANCE_PORT"},
      {{{"AWS_INSTANCE_PORT", "65536"}}, "i", "AWS_INSTANCE_PORT"},
      {{{"AWS_INIT_HEALTH_STATUS", "MAYBE"}}, "i", "AWS_INIT_HEALTH_STATUS"},
      {{{"k", std::string(1025, 'v')}}, "i", "Attributes.k"},
      {{{"k", " leading space"}}, "i", "Attributes.k"},
      {{{"AWS_EC2_INSTANCE_ID", "i-123"}, {"other", "x"}}, "i", "other"},
  };
  for (const Case& c : cases) {
    ApiReply r =
        h_.call("RegisterInstance",
                {{"ServiceId", svc}, {"InstanceId", c.instance_id}, {"Attributes", c.attributes}});
    EXPECT_EQ(r.error_code, "InvalidInput") << r.body;
    EXPECT_NE(r.body.find(c.field), std::string::npos) << c.field << ": " << r.body;
  }
  json::object many;
  for (int i = 0; i < 31; ++i) {
    many["k" + std::to_string(i)] = "v";
  }
  EXPECT_EQ(
      h_.error("RegisterInstance", {{"ServiceId", svc}, {"InstanceId", "i"}, {"Attributes", many}}),
      "InvalidInput");
  json::object large;
  for (int i = 0; i < 6; ++i) {
    large["k" + std::to_string(i)] = std::string(1000, 'v');
  }
  EXPECT_EQ(h_.error("RegisterInstance",
                     {{"ServiceId", svc}, {"InstanceId", "i"}, {"Attributes", large}}),
            "InvalidInput");
  ApiReply name = h_.call("CreateService", {{"Name", "../../etc"}, {"NamespaceId", ns}});
  EXPECT_EQ(name.error_code, "InvalidInput");
  EXPECT_NE(name.body.find("'Name'"), std::string::npos) << name.body;
  EXPECT_EQ(h_.error("CreateHttpNamespace", {{"Name", "arn:x"}}), "InvalidInput");
  EXPECT_EQ(h_.error("CreateHttpNamespace", {{"Name", 7}}), "InvalidInput");
  EXPECT_EQ(h_.error("CreateHttpNamespace", json::object{}), "InvalidInput");
  EXPECT_EQ(h_.error("ListNamespaces", {{"MaxResults", 0}}), "InvalidInput");
  EXPECT_EQ(h_.error("ListNamespaces", {{"MaxResults", 101}}), "InvalidInput");
  EXPECT_EQ(h_.error("ListNamespaces", {{"NextToken", "garbage"}}), "InvalidInput");
  EXPECT_EQ(h_.error("GetNamespace", {{"Id", "arn:aws:servicediscovery:eu-west-1:1:namespace/x"}}),
            "InvalidInput");
  // Nothing was registered by any of these.
  EXPECT_TRUE(h_.registry().state().find_service(svc)->instances.empty());
}

TEST_F(ApiTest, RefusesMalformedBodiesAndUnknownActions) {
  EXPECT_EQ(h_.call_raw("ListNamespaces", "{").error_code, "InvalidInput");
  EXPECT_EQ(h_.call_raw("ListNamespaces", "[]").error_code, "InvalidInput");
  EXPECT_EQ(h_.call_raw("ListNamespaces", R"({"a":1,"a":2})").error_code, "InvalidInput");
  EXPECT_EQ(h_.call_raw("ListNamespaces", "{\"a\":\"\xff\"}").error_code, "InvalidInput");
  EXPECT_EQ(h_.call_raw("ListNamespaces", std::string(100000, '[')).error_code, "InvalidInput");
  EXPECT_EQ(h_.call_raw("ListNamespaces", "").status, 200);
  ApiReply unknown = h_.call_raw("DropAllTables", "{}");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(unknown.error_code, "UnknownOperationException");
}

TEST_F(ApiTest, PaginatesEveryListing) {
  std::set<std::string> created;
  for (int i = 0; i < 7; ++i) {
    created.insert(h_.create_namespace("p" + std::to_string(i) + ".local"));
  }
  std::set<std::string> seen;
  std::optional<std::string> token;
  int pages = 0;
  do {
    json::object body{{"MaxResults", 3}};
    if (token) {
      body["NextToken"] = *token;
    }
    auto out = h_.ok("ListNamespaces", body);
    for (const auto& ns : out["Namespaces"].as_array()) {
      EXPECT_TRUE(seen.insert(std::string(ns.at("Id").as_string())).second);
    }
    token.reset();
    if (out.contains("NextToken")) {
      token = std::string(out["NextToken"].as_string());
    }
    ++pages;
  } while (token && pages < 10);
  EXPECT_EQ(seen, created);
  EXPECT_EQ(pages, 3);
  // Tokens belong to one listing.
  auto first = h_.ok("ListNamespaces", {{"MaxResults", 1}});
  EXPECT_EQ(h_.error("ListServices", {{"NextToken", first["NextToken"]}}), "InvalidInput");

  const std::string svc = h_.create_service(*created.begin(), "web");
  for (int i = 0; i < 5; ++i) {
    h_.register_instance(svc, "i" + std::to_string(i));
  }
  auto page = h_.ok("ListInstances", {{"ServiceId", svc}, {"MaxResults", 2}});
  EXPECT_EQ(page["Instances"].as_array().size(), 2u);
  auto next = h_.ok("ListInstances",
                    {{"ServiceId", svc}, {"MaxResults", 4}, {"NextToken", page["NextToken"]}});
  EXPECT_EQ(next["Instances"].as_array().size(), 3u);
  EXPECT_FALSE(next.contains("NextToken"));
  auto health = h_.ok("GetInstancesHealthStatus", {{"ServiceId", svc}, {"MaxResults", 4}});
  EXPECT_EQ(health["Status"].as_object().size(), 4u);
  EXPECT_TRUE(health.contains("NextToken"));
}

TEST_F(ApiTest, FiltersListings) {
  const std::string a = h_.create_namespace("alpha.local");
  const std::string b = h_.create_namespace("beta.local");
  h_.create_service(a, "one");
  h_.create_service(b, "two");
  auto by_name = h_.ok("ListNamespaces",
                       {{"Filters", json::array{json::object{{"Name", "NAME"},
                                                             {"Values", json::array{"al"}},
                                                             {"Condition", "BEGINS_WITH"}}}}});
  ASSERT_EQ(by_name["Namespaces"].as_array().size(), 1u);
  EXPECT_EQ(by_name["Namespaces"].as_array()[0].at("Id"), json::value(a));
  auto by_type = h_.ok(
      "ListNamespaces",
      {{"Filters",
        json::array{json::object{{"Name", "TYPE"}, {"Values", json::array{"DNS_PRIVATE"}}}}}});
  EXPECT_TRUE(by_type["Namespaces"].as_array().empty());
  auto services =
      h_.ok("ListServices", {{"Filters", json::array{json::object{{"Name", "NAMESPACE_ID"},
                                                                  {"Values", json::array{b}}}}}});
  ASSERT_EQ(services["Services"].as_array().size(), 1u);
  EXPECT_EQ(services["Services"].as_array()[0].at("Name"), "two");
  EXPECT_EQ(
      h_.error("ListServices", {{"Filters", json::array{json::object{{"Name", "NAMESPACE_ID"},
                                                                     {"Values", json::array{b}},
                                                                     {"Condition", "BETWEEN"}}}}}),
      "InvalidInput");

  auto ops =
      h_.ok("ListOperations", {{"Filters", json::array{json::object{{"Name", "NAMESPACE_ID"},
                                                                    {"Values", json::array{a}}}}}});
  ASSERT_EQ(ops["Operations"].as_array().size(), 1u);
  EXPECT_EQ(ops["Operations"].as_array()[0].at("Status"), "SUCCESS");
  auto by_op_type =
      h_.ok("ListOperations",
            {{"Filters", json::array{json::object{{"Name", "TYPE"},
                                                  {"Condition", "IN"},
                                                  {"Values", json::array{"CREATE_NAMESPACE"}}},
                                     json::object{{"Name", "UPDATE_DATE"},
                                                  {"Condition", "BETWEEN"},
                                                  {"Values", json::array{"0", "99999999999"}}}}}});
  EXPECT_EQ(by_op_type["Operations"].as_array().size(), 2u);
}

TEST_F(ApiTest, TagsNamespacesAndServices) {
  const std::string ns = h_.create_namespace("tags.local");
  const std::string arn(h_.ok("GetNamespace", {{"Id", ns}})["Namespace"].at("Arn").as_string());
  h_.ok("TagResource", {{"ResourceARN", arn},
                        {"Tags", json::array{json::object{{"Key", "team"}, {"Value", "a"}},
                                             json::object{{"Key", "env"}, {"Value", "prod"}}}}});
  h_.ok("TagResource", {{"ResourceARN", arn},
                        {"Tags", json::array{json::object{{"Key", "team"}, {"Value", "b"}}}}});
  h_.ok("UntagResource", {{"ResourceARN", arn}, {"TagKeys", json::array{"env"}}});
  auto tags = h_.ok("ListTagsForResource", {{"ResourceARN", arn}})["Tags"].as_array();
  ASSERT_EQ(tags.size(), 1u);
  EXPECT_EQ(tags[0].at("Key"), "team");
  EXPECT_EQ(tags[0].at("Value"), "b");
  EXPECT_EQ(
      h_.error("ListTagsForResource", {{"ResourceARN",
                                        "arn:aws:servicediscovery:us-east-1:000000000000:service/"
                                        "srv-nope"}}),
      "ResourceNotFoundException");
  json::array many;
  for (int i = 0; i < 51; ++i) {
    many.push_back(json::object{{"Key", "k" + std::to_string(i)}, {"Value", "v"}});
  }
  EXPECT_EQ(h_.error("TagResource", {{"ResourceARN", arn}, {"Tags", many}}),
            "TooManyTagsException");
}

TEST_F(ApiTest, EnforcesQuotasAsResourceLimitExceeded) {
  TempDir dir;
  ApiConfig config;
  config.limits.max_namespaces = 2;
  config.limits.max_instances_per_service = 3;
  Harness h(dir.path(), config);
  const std::string ns = h.create_namespace("q1.local");
  h.create_namespace("q2.local");
  EXPECT_EQ(h.error("CreateHttpNamespace", {{"Name", "q3.local"}}), "ResourceLimitExceeded");
  const std::string svc = h.create_service(ns, "web");
  for (int i = 0; i < 3; ++i) {
    h.register_instance(svc, "i" + std::to_string(i));
  }
  EXPECT_EQ(h.error("RegisterInstance",
                    {{"ServiceId", svc}, {"InstanceId", "i9"}, {"Attributes", json::object{}}}),
            "ResourceLimitExceeded");
  // Updating an existing instance is not a new one.
  h.register_instance(svc, "i0", {{"v", "2"}});
}

}  // namespace
}  // namespace ferry::control
