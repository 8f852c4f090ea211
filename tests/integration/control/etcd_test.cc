// Two ferry-control replicas on one real etcd (v3 JSON gateway): a change
// acknowledged by one is visible through the other at once, watches deliver
// across replicas, and a replica that fell behind an etcd compaction
// re-lists and catches up.
#include <signal.h>

#include <gtest/gtest.h>

#include <thread>

#include <boost/json.hpp>

#include "tests/integration/control/control_support.h"

namespace ferry::test::control {
namespace {

namespace json = boost::json;

class TwoReplicas : public ::testing::Test {
 protected:
  ControlProcess::Options replica_options(const std::string& url = {},
                                          std::vector<std::string> extra = {}) {
    ControlProcess::Options o = ControlProcess::with_etcd(url.empty() ? etcd_.store_url() : url);
    o.extra = {"--etcd-timeout", "2s"};
    o.extra.insert(o.extra.end(), extra.begin(), extra.end());
    return o;
  }
  std::string text(const ControlProcess& via, std::vector<std::string> args) {
    args.insert(args.end(), {"--output", "text"});
    const CommandResult r = aws(via.endpoint(), args);
    EXPECT_EQ(r.exit_code, 0) << args[0] << ": " << r.err;
    return trim(r.out);
  }
  json::object snapshot(const ControlProcess& via, const std::string& ns) {
    const HttpResponse r = http_get(via.address(), "/v1/watch?namespace=" + ns);
    EXPECT_EQ(r.status, 200) << r.body;
    return parse_json(r.body).as_object();
  }
  std::size_t instance_count(const ControlProcess& via, const std::string& service) {
    std::size_t n = 0;
    std::string token;
    for (int page = 0; page < 50; ++page) {
      std::string body = R"({"ServiceId":")" + service + "\"";
      if (!token.empty()) {
        body += R"(,"NextToken":")" + token + "\"";
      }
      const HttpResponse r = cloudmap_request(via.address(), "ListInstances", body + "}");
      if (r.status != 200) {
        return 0;
      }
      const json::value v = parse_json(r.body);
      n += v.at("Instances").as_array().size();
      if (!v.as_object().contains("NextToken")) {
        break;
      }
      token = std::string(v.at("NextToken").as_string());
    }
    return n;
  }

  EtcdProcess etcd_;
  // Replica two reaches etcd through a relay that can stall its watch.
  WatchRelay relay_{etcd_.client_address()};
  ControlProcess one_{replica_options()};
  ControlProcess two_{replica_options("etcd://" + relay_.address())};
};

TEST_F(TwoReplicas, WriteThroughOneReadAndWatchThroughTheOther) {
  const std::string op =
      text(one_, {"create-http-namespace", "--name", "r.local", "--query", "OperationId"});
  // Read-your-writes across replicas: no waiting.
  const std::string ns =
      text(two_, {"get-operation", "--operation-id", op, "--query", "Operation.Targets.NAMESPACE"});
  ASSERT_EQ(ns.rfind("ns-", 0), 0u);
  const std::string svc =
      text(two_, {"create-service", "--name", "web", "--namespace-id", ns,
                  "--health-check-custom-config", "FailureThreshold=1", "--query", "Service.Id"});
  text(one_, {"register-instance", "--service-id", svc, "--instance-id", "a", "--attributes",
              "AWS_INSTANCE_IPV4=10.0.0.1"});
  EXPECT_EQ(text(two_, {"list-instances", "--service-id", svc, "--query", "Instances[].Id"}), "a");
  const CommandResult found =
      aws_discover(two_.address(), {"discover-instances", "--namespace-name", "r.local",
                                    "--service-name", "web", "--health-status", "ALL", "--query",
                                    "Instances[].InstanceId", "--output", "text"});
  EXPECT_EQ(trim(found.out), "a") << found.err;

  // Both replicas report one epoch and one version.
  const json::object s1 = snapshot(one_, "r.local");
  const json::object s2 = snapshot(two_, "r.local");
  EXPECT_EQ(s1.at("epoch"), s2.at("epoch"));
  EXPECT_EQ(s1.at("version"), s2.at("version"));

  // A watch parked on replica two wakes for a registration through one.
  Socket watcher = Socket::connect(two_.address());
  watcher.send_all(
      "GET /v1/watch?namespace=r.local&epoch=" + std::string(s2.at("epoch").as_string()) +
      "&version=" + std::to_string(s2.at("version").as_int64()) +
      "&timeout=20s HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_TRUE(eventually([&] { return two_.metric("ferry_control_watchers") == 1; }));
  text(one_, {"register-instance", "--service-id", svc, "--instance-id", "b", "--attributes",
              "AWS_INSTANCE_IPV4=10.0.0.2"});
  const HttpResponse woke = parse_http_response(watcher.read_all(std::chrono::seconds(15)));
  ASSERT_EQ(woke.status, 200) << woke.raw;
  const json::value after = parse_json(woke.body);
  EXPECT_GT(after.at("version").as_int64(), s2.at("version").as_int64());
  EXPECT_EQ(after.at("services").at(0).at("instances").as_array().size(), 2u);

  // Health written through two applies at once on one.
  text(two_, {"update-instance-custom-health-status", "--service-id", svc, "--instance-id", "a",
              "--status", "UNHEALTHY"});
  EXPECT_EQ(text(one_, {"get-instances-health-status", "--service-id", svc, "--query", "Status.a"}),
            "UNHEALTHY");
}

TEST_F(TwoReplicas, RacesBetweenReplicasKeepNamesUnique) {
  // The same namespace name through both replicas at once: exactly one wins.
  std::vector<HttpResponse> replies(2);
  std::thread a([&] {
    replies[0] = cloudmap_request(one_.address(), "CreateHttpNamespace", R"({"Name":"u.local"})");
  });
  std::thread b([&] {
    replies[1] = cloudmap_request(two_.address(), "CreateHttpNamespace", R"({"Name":"u.local"})");
  });
  a.join();
  b.join();
  const int wins = (replies[0].status == 200) + (replies[1].status == 200);
  EXPECT_EQ(wins, 1) << replies[0].body << " / " << replies[1].body;
  for (const HttpResponse& r : replies) {
    if (r.status != 200) {
      EXPECT_NE(r.body.find("NamespaceAlreadyExists"), std::string::npos) << r.body;
    }
  }
  const HttpResponse list = cloudmap_request(two_.address(), "ListNamespaces", "{}");
  EXPECT_EQ(parse_json(list.body).at("Namespaces").as_array().size(), 1u);
}

// A replica cut off from etcd's watch while hundreds of changes and a
// compaction happen: resuming from its last revision is refused (compacted),
// so it lists again and converges on what the other replica acknowledged.
TEST_F(TwoReplicas, AReplicaBehindACompactionCatchesUp) {
  const std::string op =
      text(one_, {"create-http-namespace", "--name", "c.local", "--query", "OperationId"});
  const std::string ns =
      text(one_, {"get-operation", "--operation-id", op, "--query", "Operation.Targets.NAMESPACE"});
  const std::string svc = text(
      one_, {"create-service", "--name", "web", "--namespace-id", ns, "--query", "Service.Id"});
  const std::int64_t version_before = snapshot(two_, "c.local").at("version").as_int64();
  relay_.hold_watches(true);
  const CommandResult burst =
      python("register_many.py", {one_.endpoint(), svc, "400", "16"}, std::chrono::seconds(180));
  ASSERT_EQ(burst.exit_code, 0) << burst.err;
  ASSERT_EQ(std::count(burst.out.begin(), burst.out.end(), 'A'), 400) << burst.out.substr(0, 500);
  const CommandResult compacted = etcd_.etcdctl({"compact", std::to_string(etcd_.revision())});
  ASSERT_EQ(compacted.exit_code, 0) << compacted.err;
  // The partition ends with the watch connection cut: the replica resumes
  // from a revision etcd no longer has.
  relay_.drop_watches();
  relay_.hold_watches(false);
  EXPECT_TRUE(
      eventually([&] { return instance_count(two_, svc) == 400; }, std::chrono::seconds(30)))
      << instance_count(two_, svc);
  const json::object after = snapshot(two_, "c.local");
  EXPECT_GT(after.at("version").as_int64(), version_before);
  EXPECT_EQ(after.at("services").at(0).at("instances").as_array().size(), 400u);
  EXPECT_EQ(after.at("version"), snapshot(one_, "c.local").at("version"));
  // It got there by listing again, not by replaying compacted history.
  EXPECT_NE(two_.logs().find("compacted at revision"), std::string::npos)
      << two_.logs().substr(two_.logs().size() > 3000 ? two_.logs().size() - 3000 : 0);
}

// Renewals through one replica keep an instance healthy on both (they share
// heartbeats); silence turns it UNHEALTHY everywhere.
TEST_F(TwoReplicas, TtlRenewalsAreSharedBetweenReplicas) {
  // Two more replicas, with --instance-ttl, on their own prefix.
  const std::vector<std::string> ttl = {"--instance-ttl", "2s", "--etcd-prefix", "/ttl-test/"};
  ControlProcess first(replica_options({}, ttl));
  ControlProcess second(replica_options({}, ttl));
  const std::string op =
      text(first, {"create-http-namespace", "--name", "t.local", "--query", "OperationId"});
  const std::string ns = text(
      first, {"get-operation", "--operation-id", op, "--query", "Operation.Targets.NAMESPACE"});
  const HttpResponse svc = cloudmap_request(
      first.address(), "CreateService",
      R"({"Name":"web","NamespaceId":")" + ns + R"(","HealthCheckCustomConfig":{}})");
  const std::string service(parse_json(svc.body).at("Service").at("Id").as_string());
  const std::string renew =
      R"({"ServiceId":")" + service + R"(","InstanceId":"a","Status":"HEALTHY"})";
  ASSERT_EQ(
      cloudmap_request(first.address(), "RegisterInstance",
                       R"({"ServiceId":")" + service + R"(","InstanceId":"a","Attributes":{}})")
          .status,
      200);
  auto health = [&](const ControlProcess& via) {
    const HttpResponse r = cloudmap_request(via.address(), "GetInstancesHealthStatus",
                                            R"({"ServiceId":")" + service + "\"}");
    return std::string(parse_json(r.body).at("Status").at("a").as_string());
  };
  // Renew through two only, for longer than two TTLs.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_EQ(cloudmap_request(second.address(), "UpdateInstanceCustomHealthStatus", renew).status,
              200);
    EXPECT_EQ(health(first), "HEALTHY");
    eventually([] { return false; }, std::chrono::milliseconds(300));  // the renewal period
  }
  EXPECT_TRUE(eventually([&] { return health(first) == "UNHEALTHY"; }, std::chrono::seconds(10)));
  EXPECT_EQ(health(second), "UNHEALTHY");
}

TEST_F(TwoReplicas, WithoutEtcdWritesAre503AndReadinessFails) {
  ASSERT_EQ(cloudmap_request(one_.address(), "CreateHttpNamespace", R"({"Name":"d.local"})").status,
            200);
  etcd_.etcdctl({"endpoint", "health"});
  // Freeze etcd (this test's own process): requests time out (--etcd-timeout 2s).
  etcd_.freeze();
  const HttpResponse write =
      cloudmap_request(one_.address(), "CreateHttpNamespace", R"({"Name":"e.local"})");
  EXPECT_EQ(write.status, 503) << write.body;
  etcd_.thaw();
  EXPECT_TRUE(eventually(
      [&] {
        return cloudmap_request(one_.address(), "CreateHttpNamespace", R"({"Name":"f.local"})")
                   .status == 200;
      },
      std::chrono::seconds(20)));
  EXPECT_TRUE(eventually([&] { return one_.ready() && two_.ready(); }));
}

}  // namespace
}  // namespace ferry::test::control
