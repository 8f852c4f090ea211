// RELIABILITY SC-06: with --credentials every API call and watch must be
// signed; refusals are 403 with AWS's codes, change nothing, are counted and
// are logged without the secret.
#include <gtest/gtest.h>

#include "tests/integration/control/control_support.h"

namespace ferry::test::control {
namespace {

constexpr const char* kKey = "AKIDFERRYTEST";
constexpr const char* kSecret = "s3cr3t-never-logged-9f8e7d";

class SigV4Test : public ::testing::Test {
 protected:
  SigV4Test()
      : credentials_(dir_.write("credentials", std::string("[default]\naws_access_key_id = ") +
                                                   kKey + "\naws_secret_access_key = " + kSecret +
                                                   "\n")),
        server_(ControlProcess::with_credentials(credentials_)) {}

  std::string code_of(const HttpResponse& r) {
    return std::string(parse_json(r.body).at("__type").as_string());
  }
  std::size_t namespaces() {
    const HttpResponse r = cloudmap_request(server_.address(), "ListNamespaces", "{}",
                                            std::pair{std::string(kKey), std::string(kSecret)});
    EXPECT_EQ(r.status, 200) << r.body;
    return parse_json(r.body).at("Namespaces").as_array().size();
  }

  TempDir dir_;
  std::string credentials_;
  ControlProcess server_;
};

TEST_F(SigV4Test, TheCliWithTheRightKeyWorks) {
  const CommandResult ok = aws(server_.endpoint(),
                               {"create-http-namespace", "--name", "signed.local", "--query",
                                "OperationId", "--output", "text"},
                               aws_env(kKey, kSecret));
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_FALSE(trim(ok.out).empty());
  const CommandResult found =
      aws_discover(server_.address(),
                   {"discover-instances", "--namespace-name", "signed.local", "--service-name",
                    "none", "--output", "text"},
                   aws_env(kKey, kSecret));
  // Signed with the data- host: authenticated, then the service is unknown.
  EXPECT_NE(found.err.find("(ServiceNotFound)"), std::string::npos) << found.err;
}

TEST_F(SigV4Test, RefusesWhatAwsWouldRefuse) {
  const std::size_t before = namespaces();
  const std::string body = R"({"Name":"attack.local"})";
  // No signature.
  HttpResponse r = cloudmap_request(server_.address(), "CreateHttpNamespace", body);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(code_of(r), "MissingAuthenticationTokenException");
  // A bad signature (wrong secret).
  r = cloudmap_request(server_.address(), "CreateHttpNamespace", body,
                       std::pair{std::string(kKey), std::string("wrong")});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(code_of(r), "InvalidSignatureException");
  // An unknown access key.
  r = cloudmap_request(server_.address(), "CreateHttpNamespace", body,
                       std::pair{std::string("AKIDUNKNOWN"), std::string(kSecret)});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(code_of(r), "UnrecognizedClientException");
  // Dated 20 minutes off, both ways.
  for (auto offset : {std::chrono::minutes(-20), std::chrono::minutes(20)}) {
    r = cloudmap_request(server_.address(), "CreateHttpNamespace", body,
                         std::pair{std::string(kKey), std::string(kSecret)},
                         std::chrono::system_clock::now() + offset);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(code_of(r), "InvalidSignatureException");
    EXPECT_NE(r.body.find("Signature"), std::string::npos) << r.body;
  }
  // A replayed body signed for another X-Amz-Target.
  r = cloudmap_request(server_.address(), "CreateHttpNamespace", body,
                       std::pair{std::string(kKey), std::string(kSecret)},
                       std::chrono::system_clock::now(), "ListNamespaces");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(code_of(r), "InvalidSignatureException");
  // The CLI with a wrong secret.
  const CommandResult cli = aws(server_.endpoint(), {"create-http-namespace", "--name", "x.local"},
                                aws_env(kKey, "wrong-secret"));
  EXPECT_NE(cli.err.find("(InvalidSignatureException)"), std::string::npos) << cli.err;
  const CommandResult unknown =
      aws(server_.endpoint(), {"list-namespaces"}, aws_env("AKIDNOBODY", kSecret));
  EXPECT_NE(unknown.err.find("(UnrecognizedClientException)"), std::string::npos) << unknown.err;

  // Nothing changed, every denial was counted, and the secret is in no log.
  EXPECT_EQ(namespaces(), before);
  EXPECT_EQ(
      server_.metric(
          R"(ferry_control_api_requests_total{action="CreateHttpNamespace",outcome="InvalidSignatureException"})"),
      5);
  EXPECT_EQ(
      server_.metric(
          R"(ferry_control_api_requests_total{action="CreateHttpNamespace",outcome="MissingAuthenticationTokenException"})"),
      1);
  EXPECT_EQ(server_.logs().find(kSecret), std::string::npos);
  EXPECT_NE(server_.logs().find("auth_denied"), std::string::npos);
}

TEST_F(SigV4Test, TheWatchMustBeSignedToo) {
  const HttpResponse unsigned_watch =
      http_get(server_.address(), "/v1/watch?namespace=x.local&timeout=1s");
  EXPECT_EQ(unsigned_watch.status, 403);
  EXPECT_NE(unsigned_watch.body.find("MissingAuthenticationTokenException"), std::string::npos);
  // /ready and /metrics stay open.
  EXPECT_EQ(http_get(server_.address(), "/ready").status, 200);
  EXPECT_EQ(http_get(server_.address(), "/metrics").status, 200);
  // curl's signer on a GET with an empty body.
  const CommandResult signed_watch = run_command(
      {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--aws-sigv4",
       "aws:amz:us-east-1:servicediscovery", "--user", std::string(kKey) + ":" + kSecret,
       server_.endpoint() + "/v1/watch?namespace=nope.local&timeout=1s"});
  EXPECT_EQ(signed_watch.out, "404");  // authenticated; the namespace does not exist
}

}  // namespace
}  // namespace ferry::test::control
