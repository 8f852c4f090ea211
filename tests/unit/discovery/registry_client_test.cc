#include "discovery/registry_client.h"

#include <gtest/gtest.h>

#include "proxy/core/sigv4/credentials_file.h"
#include "tests/unit/discovery/fake_registry.h"

namespace ferry::discovery {
namespace {

using namespace std::chrono_literals;
using test::FakeRegistry;
using test::ManualScheduler;
using test::no_credentials;
using test::run_until;

CredentialsSource credentials(const std::string& id, const std::string& secret) {
  std::string error;
  auto source =
      CredentialsSource::create(std::nullopt, error, [id, secret](const char* name) -> const char* {
        static thread_local std::string value;
        if (std::string_view(name) == "AWS_ACCESS_KEY_ID") {
          value = id;
        } else if (std::string_view(name) == "AWS_SECRET_ACCESS_KEY") {
          value = secret;
        } else {
          return nullptr;
        }
        return value.c_str();
      });
  return std::move(*source);
}

RegistryClientOptions options(std::vector<core::HostPort> addresses) {
  RegistryClientOptions o;
  o.addresses = std::move(addresses);
  o.request_timeout = 2s;
  o.watch_timeout = 5s;
  o.backoff = {100ms, 1s};
  return o;
}

struct Capture {
  std::optional<RegistryReply> reply;
  RegistryClient::ReplyCallback callback() {
    return [this](RegistryReply r) {
      reply = std::move(r);
    };
  }
};

class RegistryClientTest : public ::testing::Test {
 protected:
  boost::asio::io_context io;
  ManualScheduler scheduler;

  RegistryReply wait(Capture& c) {
    EXPECT_TRUE(run_until(io, &scheduler, [&] { return c.reply.has_value(); }));
    return c.reply.value_or(RegistryReply{});
  }
};

TEST_F(RegistryClientTest, SignedActionsAndWatchesPassSigV4Verification) {
  FakeRegistry registry(io);
  std::string error;
  auto keys = core::CredentialsFile::parse(
      "[default]\naws_access_key_id = AKIDTEST\naws_secret_access_key = secret/key\n", "test",
      error);
  ASSERT_TRUE(keys) << error;
  registry.require_signature(std::make_shared<core::SigV4Verifier>(
      std::make_shared<const core::CredentialsFile>(*keys), core::SigV4Verifier::Options{}));
  registry.namespaces["mesh.local"] = "ns-1";
  registry.set_snapshot("mesh.local",
                        R"({"namespace":"mesh.local","epoch":"e","version":1,"services":[]})");

  RegistryClient client(io, scheduler, options({registry.host_port()}),
                        credentials("AKIDTEST", "secret/key"), 1);
  Capture list;
  client.send("ListNamespaces", R"({"Filters":[{"Name":"NAME","Values":["mesh.local"]}]})",
              list.callback());
  RegistryReply r = wait(list);
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_NE(r.body.find("ns-1"), std::string::npos);
  const auto& sent = registry.requests().back();
  EXPECT_EQ(sent.headers.at("x-amz-target"), "Route53AutoNaming_v20170314.ListNamespaces");
  EXPECT_EQ(sent.headers.at("content-type"), "application/x-amz-json-1.1");
  EXPECT_TRUE(
      sent.headers.at("authorization").starts_with("AWS4-HMAC-SHA256 Credential=AKIDTEST/"));
  EXPECT_NE(sent.headers.at("authorization").find("/us-east-1/servicediscovery/aws4_request"),
            std::string::npos);

  Capture watch;
  client.watch("mesh.local", "", std::nullopt, watch.callback());
  r = wait(watch);
  EXPECT_EQ(r.status, 200) << r.describe();

  // The same requests with a wrong secret are refused, and that is not a
  // replica failure.
  RegistryClient wrong(io, scheduler, options({registry.host_port()}),
                       credentials("AKIDTEST", "not-the-secret"), 1);
  Capture refused;
  wrong.send("ListNamespaces", "{}", refused.callback());
  r = wait(refused);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.error_type, "InvalidSignatureException");
  EXPECT_FALSE(r.retryable());
  EXPECT_EQ(wrong.stats().failovers, 0u);
}

TEST_F(RegistryClientTest, WatchQueryCarriesEveryParameterEncoded) {
  FakeRegistry registry(io);
  RegistryClient client(io, scheduler, options({registry.host_port()}), no_credentials(), 1);
  Capture c;
  client.watch("odd name/ns", "ep och", 42, c.callback());
  wait(c);
  ASSERT_FALSE(registry.requests().empty());
  EXPECT_EQ(registry.requests().back().target,
            "/v1/watch?namespace=odd%20name%2Fns&epoch=ep%20och&version=42&timeout=5s");
  EXPECT_FALSE(registry.requests().back().headers.contains("authorization"));
  EXPECT_EQ(c.reply->status, 404);  // the fake knows no such namespace
  EXPECT_EQ(c.reply->error_type, "NamespaceNotFound");
}

TEST_F(RegistryClientTest, ErrorTypesLoseTheirNamespacePrefix) {
  FakeRegistry registry(io);
  registry.fail_next("*", 1, 400, "com.amazonaws.servicediscovery#InvalidInput");
  RegistryClient client(io, scheduler, options({registry.host_port()}), no_credentials(), 1);
  Capture c;
  client.send("ListNamespaces", "{}", c.callback());
  RegistryReply r = wait(c);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.error_type, "InvalidInput");
  EXPECT_EQ(r.error_message, "scripted failure");
  EXPECT_FALSE(r.retryable());
}

TEST_F(RegistryClientTest, AFailedReplicaMovesTheNextRequestToTheNextOne) {
  FakeRegistry down(io);
  FakeRegistry up(io);
  down.stop();
  RegistryClient client(io, scheduler, options({down.host_port(), up.host_port()}),
                        no_credentials(), 1);
  EXPECT_EQ(client.current_replica(), down.address());
  Capture first;
  client.send("ListNamespaces", "{}", first.callback());
  RegistryReply r = wait(first);
  EXPECT_TRUE(r.transport) << r.describe();
  EXPECT_TRUE(r.retryable());
  EXPECT_EQ(r.replica, down.address());
  EXPECT_EQ(client.current_replica(), up.address());
  Capture second;
  client.send("ListNamespaces", "{}", second.callback());
  r = wait(second);
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.replica, up.address());
  EXPECT_EQ(client.stats().failovers, 1u);
  // A 503 from the healthy-looking replica moves on too (round robin).
  up.fail_next("*", 1, 503);
  Capture third;
  client.send("ListNamespaces", "{}", third.callback());
  EXPECT_EQ(wait(third).status, 503);
  EXPECT_EQ(client.current_replica(), down.address());
}

TEST_F(RegistryClientTest, CallFailsOverAtOnceThenBacksOffWithJitter) {
  FakeRegistry a(io);
  FakeRegistry b(io);
  a.fail_next("*", 100, 503);
  b.stop();
  RegistryClient client(io, scheduler, options({a.host_port(), b.host_port()}), no_credentials(),
                        1);
  Capture c;
  client.call("ListNamespaces", "{}", {}, c.callback());
  // a: 503, then b at once: refused; then a pause in [50ms, 100ms].
  ASSERT_TRUE(run_until(
      io, &scheduler, [&] { return a.count("ListNamespaces") == 1 && scheduler.pending() == 1; }));
  auto pause = scheduler.next_delay();
  ASSERT_TRUE(pause);
  EXPECT_GE(*pause, 50ms);
  EXPECT_LE(*pause, 100ms);
  EXPECT_FALSE(c.reply);
  // Second round: a again (503), b (refused), then a longer pause.
  scheduler.advance(*pause);
  ASSERT_TRUE(run_until(
      io, &scheduler, [&] { return a.count("ListNamespaces") == 2 && scheduler.pending() == 1; }));
  pause = scheduler.next_delay();
  EXPECT_GE(*pause, 100ms);
  EXPECT_LE(*pause, 200ms);
  // a recovers: the next attempt succeeds and the caller hears only that.
  a.clear_failures();
  scheduler.advance(*pause);
  RegistryReply r = wait(c);
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(a.count("ListNamespaces"), 3);
}

TEST_F(RegistryClientTest, CallStopsAtMaxAttemptsOrDeadlineAndNeverRetriesClientErrors) {
  FakeRegistry a(io);
  RegistryClient client(io, scheduler, options({a.host_port()}), no_credentials(), 1);
  a.fail_next("*", 10, 503);
  Capture limited;
  CallPolicy policy;
  policy.max_attempts = 2;
  client.call("ListNamespaces", "{}", policy, limited.callback());
  ASSERT_TRUE(run_until(io, &scheduler, [&] { return scheduler.pending() == 1; }));
  scheduler.advance(*scheduler.next_delay());
  RegistryReply r = wait(limited);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(a.count("ListNamespaces"), 2);

  // Draining: no backoff, and the deadline ends it.
  Capture draining;
  CallPolicy drain;
  drain.backoff = false;
  drain.max_attempts = 3;
  client.call("DeregisterInstance", "{}", drain, draining.callback());
  r = wait(draining);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(a.count("DeregisterInstance"), 3);

  a.clear_failures();
  a.fail_next("*", 5, 400, "InvalidInput");
  Capture client_error;
  client.call("ListNamespaces", "{}", {}, client_error.callback());
  r = wait(client_error);
  EXPECT_EQ(r.error_type, "InvalidInput");
  EXPECT_EQ(a.count("ListNamespaces"), 3);  // one attempt only
}

TEST_F(RegistryClientTest, NamesAreResolvedAndEveryAddressTried) {
  FakeRegistry registry(io);
  RegistryClient client(io, scheduler, options({{"localhost", registry.host_port().port}}),
                        no_credentials(), 1);
  Capture c;
  CallPolicy policy;
  policy.backoff = false;
  policy.max_attempts = 4;  // localhost may resolve to ::1 first, where nothing listens
  client.call("ListNamespaces", "{}", policy, c.callback());
  RegistryReply r = wait(c);
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(r.replica, "localhost:" + std::to_string(registry.host_port().port));
  EXPECT_EQ(registry.requests().back().headers.at("host"), r.replica);
}

TEST_F(RegistryClientTest, AnUnresolvableNameFailsOverLikeADeadReplica) {
  FakeRegistry registry(io);
  RegistryClient client(io, scheduler,
                        options({{"no-such-host.invalid", 9000}, registry.host_port()}),
                        no_credentials(), 1);
  Capture c;
  client.call("ListNamespaces", "{}", {}, c.callback());
  RegistryReply r = wait(c);
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(client.stats().failovers, 1u);
}

TEST_F(RegistryClientTest, CancelledAndOrphanedRequestsNeverCallBack) {
  FakeRegistry registry(io);
  registry.set_snapshot("ns", R"({"namespace":"ns","epoch":"e","version":1,"services":[]})");
  bool called = false;
  {
    RegistryClient client(io, scheduler, options({registry.host_port()}), no_credentials(), 1);
    auto id = client.send("ListNamespaces", "{}", [&](RegistryReply) { called = true; });
    client.cancel(id);
    // A parked watch outlives its client.
    client.watch("ns", "e", 1, [&](RegistryReply) { called = true; });
    ASSERT_TRUE(run_until(io, &scheduler, [&] { return registry.parked_watches() == 1; }));
  }
  registry.set_snapshot("ns", R"({"namespace":"ns","epoch":"e","version":2,"services":[]})");
  run_until(
      io, &scheduler, [] { return false; }, 100ms);
  EXPECT_FALSE(called);
}

TEST_F(RegistryClientTest, NoReplicasIsATransportErrorNotAHang) {
  RegistryClient client(io, scheduler, options({}), no_credentials(), 1);
  Capture c;
  client.send("ListNamespaces", "{}", c.callback());
  EXPECT_FALSE(c.reply);  // never inside send()
  RegistryReply r = wait(c);
  EXPECT_TRUE(r.transport);
}

}  // namespace
}  // namespace ferry::discovery
