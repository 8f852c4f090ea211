// Every listed action through Debian's AWS CLI v2.9 (/usr/bin/aws), the CLI a
// fresh Debian 12 machine has, asserting on the printed fields.
#include <gtest/gtest.h>

#include "tests/integration/control/control_support.h"

namespace ferry::test::control {
namespace {

class AwsCliTest : public ::testing::Test {
 protected:
  void SetUp() override { require_executable("/usr/bin/aws"); }

  // Runs one command with --output text and returns its trimmed stdout.
  std::string text(std::vector<std::string> args) {
    args.insert(args.end(), {"--output", "text"});
    const CommandResult r = aws(server_.endpoint(), args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    return trim(r.out);
  }
  // The Cloud Map error code a command failed with ("" if it succeeded).
  std::string error(const std::vector<std::string>& args) {
    const CommandResult r = aws(server_.endpoint(), args);
    const auto open = r.err.find("An error occurred (");
    if (open == std::string::npos) {
      return "";
    }
    EXPECT_EQ(r.exit_code, 254) << r.err;
    const auto start = open + 19;
    return r.err.substr(start, r.err.find(')', start) - start);
  }

  ControlProcess server_{{}};
};

TEST_F(AwsCliTest, DrivesEveryAction) {
  const std::string op = text({"create-http-namespace", "--name", "cli.local", "--description",
                               "d1", "--query", "OperationId"});
  ASSERT_FALSE(op.empty());
  EXPECT_EQ(text({"get-operation", "--operation-id", op, "--query", "Operation.[Status,Type]"}),
            "SUCCESS\tCREATE_NAMESPACE");
  const std::string ns =
      text({"get-operation", "--operation-id", op, "--query", "Operation.Targets.NAMESPACE"});
  ASSERT_EQ(ns.rfind("ns-", 0), 0u) << ns;
  EXPECT_EQ(text({"get-namespace", "--id", ns, "--query", "Namespace.[Name,Type,Description]"}),
            "cli.local\tHTTP\td1");
  EXPECT_EQ(text({"list-namespaces", "--query", "Namespaces[].Name"}), "cli.local");
  const std::string update = text({"update-http-namespace", "--id", ns, "--namespace",
                                   "Description=d2", "--query", "OperationId"});
  EXPECT_EQ(text({"get-operation", "--operation-id", update, "--query", "Operation.Type"}),
            "UPDATE_NAMESPACE");
  EXPECT_EQ(text({"get-namespace", "--id", ns, "--query", "Namespace.Description"}), "d2");

  const std::string svc =
      text({"create-service", "--name", "web", "--namespace-id", ns, "--health-check-custom-config",
            "FailureThreshold=1", "--query", "Service.Id"});
  ASSERT_EQ(svc.rfind("srv-", 0), 0u) << svc;
  EXPECT_EQ(text({"get-service", "--id", svc, "--query", "Service.[Name,NamespaceId]"}),
            "web\t" + ns);
  EXPECT_EQ(text({"list-services", "--filters", "Name=NAMESPACE_ID,Values=" + ns + ",Condition=EQ",
                  "--query", "Services[].Name"}),
            "web");
  const std::string svc_update = text(
      {"update-service", "--id", svc, "--service", "Description=new", "--query", "OperationId"});
  EXPECT_EQ(text({"get-operation", "--operation-id", svc_update, "--query", "Operation.Type"}),
            "UPDATE_SERVICE");

  for (const char* id : {"i-1", "i-2", "i-3"}) {
    const std::string reg =
        text({"register-instance", "--service-id", svc, "--instance-id", id, "--attributes",
              std::string("AWS_INSTANCE_IPV4=10.0.0.") + id[2] + ",AWS_INSTANCE_PORT=8080",
              "--query", "OperationId"});
    EXPECT_EQ(text({"get-operation", "--operation-id", reg, "--query",
                    "Operation.[Type,Targets.INSTANCE]"}),
              std::string("REGISTER_INSTANCE\t") + id);
  }
  EXPECT_EQ(text({"get-instance", "--service-id", svc, "--instance-id", "i-2", "--query",
                  "Instance.Attributes.AWS_INSTANCE_IPV4"}),
            "10.0.0.2");
  // Two pages of two: the CLI follows NextToken and prints a line per page.
  EXPECT_EQ(text({"list-instances", "--service-id", svc, "--page-size", "2", "--query",
                  "Instances[].Id"}),
            "i-1\ti-2\ni-3");
  // Health: applies at once.
  EXPECT_EQ(text({"update-instance-custom-health-status", "--service-id", svc, "--instance-id",
                  "i-3", "--status", "UNHEALTHY"}),
            "");
  EXPECT_EQ(text({"get-instances-health-status", "--service-id", svc, "--query", "Status.\"i-3\""}),
            "UNHEALTHY");
  // DiscoverInstances: CLI v2 insists on the data- host prefix.
  const CommandResult found = aws_discover(
      server_.address(), {"discover-instances", "--namespace-name", "cli.local", "--service-name",
                          "web", "--query", "sort(Instances[].InstanceId)", "--output", "text"});
  EXPECT_EQ(found.exit_code, 0) << found.err;
  EXPECT_EQ(trim(found.out), "i-1\ti-2");

  EXPECT_EQ(text({"list-operations", "--filters", "Name=STATUS,Values=SUCCESS,Condition=EQ",
                  "--query", "length(Operations)"}),
            "6");
  const std::string arn = text({"get-service", "--id", svc, "--query", "Service.Arn"});
  text({"tag-resource", "--resource-arn", arn, "--tags", "Key=team,Value=a", "Key=env,Value=b"});
  text({"untag-resource", "--resource-arn", arn, "--tag-keys", "env"});
  EXPECT_EQ(
      text({"list-tags-for-resource", "--resource-arn", arn, "--query", "Tags[].[Key,Value]"}),
      "team\ta");

  EXPECT_EQ(error({"delete-service", "--id", svc}), "ResourceInUse");
  EXPECT_EQ(error({"delete-namespace", "--id", ns}), "ResourceInUse");
  for (const char* id : {"i-1", "i-2", "i-3"}) {
    const std::string dereg = text({"deregister-instance", "--service-id", svc, "--instance-id", id,
                                    "--query", "OperationId"});
    EXPECT_EQ(text({"get-operation", "--operation-id", dereg, "--query", "Operation.Type"}),
              "DEREGISTER_INSTANCE");
  }
  text({"delete-service", "--id", svc});
  const std::string del = text({"delete-namespace", "--id", ns, "--query", "OperationId"});
  EXPECT_EQ(text({"get-operation", "--operation-id", del, "--query", "Operation.Type"}),
            "DELETE_NAMESPACE");
  EXPECT_EQ(text({"list-namespaces", "--query", "length(Namespaces)"}), "0");
}

// RELIABILITY RG-06 and RG-02 through the CLI.
TEST_F(AwsCliTest, ReportsCloudMapErrors) {
  const std::string op =
      text({"create-http-namespace", "--name", "err.local", "--query", "OperationId"});
  const std::string ns =
      text({"get-operation", "--operation-id", op, "--query", "Operation.Targets.NAMESPACE"});
  const std::string svc =
      text({"create-service", "--name", "web", "--namespace-id", ns, "--query", "Service.Id"});
  EXPECT_EQ(error({"get-instance", "--service-id", svc, "--instance-id", "nope"}),
            "InstanceNotFound");
  EXPECT_EQ(error({"deregister-instance", "--service-id", svc, "--instance-id", "nope"}),
            "InstanceNotFound");
  EXPECT_EQ(error({"get-service", "--id", "srv-0000000000000000"}), "ServiceNotFound");
  EXPECT_EQ(error({"list-instances", "--service-id", "srv-0000000000000000"}), "ServiceNotFound");
  EXPECT_EQ(error({"get-namespace", "--id", "ns-0000000000000000"}), "NamespaceNotFound");
  EXPECT_EQ(error({"delete-namespace", "--id", "ns-0000000000000000"}), "NamespaceNotFound");
  EXPECT_EQ(error({"get-operation", "--operation-id", "nope"}), "OperationNotFound");
  text({"register-instance", "--service-id", svc, "--instance-id", "twice", "--attributes", "a=b"});
  text({"deregister-instance", "--service-id", svc, "--instance-id", "twice"});
  EXPECT_EQ(error({"deregister-instance", "--service-id", svc, "--instance-id", "twice"}),
            "InstanceNotFound");
  // RG-02: invalid inputs name the field.
  const CommandResult bad_ip =
      aws(server_.endpoint(), {"register-instance", "--service-id", svc, "--instance-id", "x",
                               "--attributes", "AWS_INSTANCE_IPV4=999.1.1.1"});
  EXPECT_NE(bad_ip.err.find("(InvalidInput)"), std::string::npos) << bad_ip.err;
  EXPECT_NE(bad_ip.err.find("AWS_INSTANCE_IPV4"), std::string::npos) << bad_ip.err;
  for (const char* port : {"0", "65536"}) {
    const CommandResult r =
        aws(server_.endpoint(), {"register-instance", "--service-id", svc, "--instance-id", "x",
                                 "--attributes", std::string("AWS_INSTANCE_PORT=") + port});
    EXPECT_NE(r.err.find("AWS_INSTANCE_PORT"), std::string::npos) << r.err;
  }
  const CommandResult name =
      aws(server_.endpoint(), {"create-service", "--name", "../../etc", "--namespace-id", ns});
  EXPECT_NE(name.err.find("(InvalidInput)"), std::string::npos) << name.err;
  EXPECT_NE(name.err.find("'Name'"), std::string::npos) << name.err;
  EXPECT_EQ(error({"create-private-dns-namespace", "--name", "x.internal", "--vpc", "vpc-1"}),
            "InvalidInput");
  EXPECT_EQ(text({"list-instances", "--service-id", svc, "--query", "length(Instances)"}), "0");
}

// DiscoverInstancesRevision is newer than Debian's CLI 2.9 and boto3 1.26:
// curl's own SigV4 signer drives it.
TEST_F(AwsCliTest, DiscoverInstancesRevisionThroughCurl) {
  require_tool("curl");
  const std::string op =
      text({"create-http-namespace", "--name", "rev.local", "--query", "OperationId"});
  const std::string ns =
      text({"get-operation", "--operation-id", op, "--query", "Operation.Targets.NAMESPACE"});
  const std::string svc =
      text({"create-service", "--name", "web", "--namespace-id", ns, "--query", "Service.Id"});
  auto revision = [&] {
    const CommandResult r = run_command(
        {"curl", "-s", "--aws-sigv4", "aws:amz:us-east-1:servicediscovery", "--user",
         "AKIDEXAMPLE:dummy-secret", "-H", "Content-Type: application/x-amz-json-1.1", "-H",
         "X-Amz-Target: Route53AutoNaming_v20170314.DiscoverInstancesRevision", "--data",
         R"({"NamespaceName":"rev.local","ServiceName":"web"})", server_.endpoint() + "/"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return parse_json(r.out).at("InstancesRevision").as_int64();
  };
  const auto before = revision();
  text({"register-instance", "--service-id", svc, "--instance-id", "a", "--attributes", "k=v"});
  const auto after = revision();
  EXPECT_GT(after, before);
}

}  // namespace
}  // namespace ferry::test::control
