// Every listed action through Debian's boto3 (/usr/bin/python3), and
// RELIABILITY RG-03 / RG-04 with boto3 threads.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "tests/integration/control/control_support.h"

namespace ferry::test::control {
namespace {

namespace json = boost::json;

TEST(Boto3, DrivesEveryAction) {
  require_executable("/usr/bin/python3");
  ControlProcess server({});
  const CommandResult r = python("all_actions.py", {server.endpoint()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json::object out = parse_json(r.out).as_object();
  EXPECT_EQ(out.at("create_namespace_status"), "SUCCESS");
  EXPECT_EQ(out.at("create_namespace_type"), "CREATE_NAMESPACE");
  EXPECT_EQ(out.at("get_namespace"), "boto.local");
  EXPECT_EQ(out.at("list_namespaces"), json::array{"boto.local"});
  EXPECT_EQ(out.at("namespace_description"), "d2");
  EXPECT_EQ(out.at("get_service"), "api");
  EXPECT_EQ(out.at("list_services"), json::array{"api"});
  EXPECT_EQ(out.at("update_service_type"), "UPDATE_SERVICE");
  EXPECT_EQ(out.at("service_description"), "new");
  EXPECT_EQ(out.at("get_instance"), "10.0.0.2");
  EXPECT_EQ(out.at("list_instances"), (json::array{"i-0", "i-1", "i-2"}));
  EXPECT_EQ(out.at("health").at("i-2"), "UNHEALTHY");
  EXPECT_EQ(out.at("health").at("i-0"), "HEALTHY");
  // zone z0 = i-0 and i-2; i-2 is unhealthy.
  EXPECT_EQ(out.at("discovered"), json::array{"i-0"});
  EXPECT_EQ(out.at("discovered_ip"), "10.0.0.1");
  EXPECT_EQ(out.at("service_operations").as_int64(), 4);  // update + 3 registrations
  EXPECT_EQ(out.at("tags"), (json::array{json::object{{"Key", "k2"}, {"Value", "v2"}}}));
  const json::object& errors = out.at("errors").as_object();
  EXPECT_EQ(errors.at("delete_service_in_use"), "ResourceInUse");
  EXPECT_EQ(errors.at("delete_namespace_in_use"), "ResourceInUse");
  EXPECT_EQ(errors.at("get_unknown_instance"), "InstanceNotFound");
  EXPECT_EQ(errors.at("get_unknown_service"), "ServiceNotFound");
  EXPECT_EQ(errors.at("get_unknown_namespace"), "NamespaceNotFound");
  EXPECT_EQ(errors.at("get_unknown_operation"), "OperationNotFound");
  EXPECT_EQ(errors.at("bad_instance_id"), "InvalidInput");
  EXPECT_EQ(errors.at("bad_ipv4"), "InvalidInput");
  EXPECT_EQ(errors.at("dns_namespace"), "InvalidInput");
  EXPECT_EQ(out.at("deregister_type"), "DEREGISTER_INSTANCE");
  EXPECT_EQ(out.at("deregister_twice"), "InstanceNotFound");
  EXPECT_EQ(out.at("delete_namespace_type"), "DELETE_NAMESPACE");
  EXPECT_EQ(out.at("namespaces_left").as_int64(), 0);
}

// RG-03: the same registration five times at once gives one operation and
// one instance; a re-registration replaces the attributes.
TEST(Boto3, SameTokenConcurrentlyGivesOneInstance) {
  ControlProcess server({});
  const CommandResult r = python("concurrency.py", {"rg03", server.endpoint()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json::object out = parse_json(r.out).as_object();
  EXPECT_EQ(out.at("calls").as_int64(), 5);
  EXPECT_EQ(out.at("operation_ids").as_array().size(), 1u);
  EXPECT_EQ(out.at("instances"), json::array{"i-1"});
  EXPECT_EQ(out.at("attributes").at("v"), "2");
  EXPECT_EQ(out.at("reused_token"), "DuplicateRequest");
}

// RG-04: 1000 concurrent register/deregister calls on 100 services end in
// exactly the state the per-thread models predict.
TEST(Boto3, ConcurrentRegistrationsMatchTheModel) {
  ControlProcess server({});
  const CommandResult r =
      python("concurrency.py", {"rg04", server.endpoint()}, std::chrono::seconds(300));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json::object out = parse_json(r.out).as_object();
  EXPECT_GE(out.at("calls").as_int64(), 1000);
  EXPECT_EQ(out.at("expected"), out.at("actual"));
  EXPECT_TRUE(out.at("lost").as_array().empty()) << r.out;
  EXPECT_TRUE(out.at("ghosts").as_array().empty()) << r.out;
  EXPECT_TRUE(out.at("unexpected").as_array().empty()) << r.out;
}

}  // namespace
}  // namespace ferry::test::control
