#include "proxy/core/sigv4/verifier.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proxy/core/sigv4/signer.h"

namespace ferry::core {
namespace {

using std::chrono::minutes;

constexpr std::string_view kNow = "20261122T004615Z";

std::chrono::system_clock::time_point time_at(std::string_view amz_date) {
  return *parse_amz_date(amz_date);
}

std::shared_ptr<const CredentialsFile> keys() {
  std::string error;
  auto file = CredentialsFile::parse(
      "[default]\naws_access_key_id = AKIDEXAMPLE\n"
      "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n"
      "[session]\naws_access_key_id = ASIASESSION\naws_secret_access_key = s3cr3t\n"
      "aws_session_token = tok\n",
      "test", error);
  EXPECT_TRUE(file.has_value()) << error;
  return std::make_shared<const CredentialsFile>(*file);
}

// A signed Cloud Map request whose parts a test may change before verifying.
struct Request {
  std::string method = "POST";
  std::string path = "/";
  std::string query;
  std::string body = "{}";
  std::vector<std::pair<std::string, std::string>> headers = {
      {"Host", "127.0.0.1:9000"},
      {"Content-Type", "application/x-amz-json-1.1"},
      {"X-Amz-Target", "Route53AutoNaming_v20170314.ListNamespaces"},
  };

  std::vector<HeaderField> fields() const {
    std::vector<HeaderField> out;
    for (const auto& [n, v] : headers) {
      out.push_back({n, v});
    }
    return out;
  }
  void sign(const AwsCredentials& credentials, std::string_view when,
            std::string_view region = "us-east-1") {
    const auto f = fields();
    const SigV4Headers s = sign_request({method, path, query, f, body}, credentials, region,
                                        "servicediscovery", time_at(when));
    headers.emplace_back("Authorization", s.authorization);
    headers.emplace_back("X-Amz-Date", s.amz_date);
    if (!s.security_token.empty()) {
      headers.emplace_back("X-Amz-Security-Token", s.security_token);
    }
  }
  void set(std::string_view name, std::string value) {
    for (auto& [n, v] : headers) {
      if (n == name) {
        v = std::move(value);
        return;
      }
    }
    headers.emplace_back(std::string(name), std::move(value));
  }
  SigV4Verdict verify(const SigV4Verifier& verifier, std::string_view now = kNow) const {
    const auto f = fields();
    return verifier.verify({method, path, query, f, body}, time_at(now));
  }
};

const AwsCredentials kGood{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};

TEST(SigV4Verifier, AcceptsACorrectlySignedRequest) {
  SigV4Verifier verifier(keys(), {});
  Request r;
  r.sign(kGood, kNow);
  const SigV4Verdict v = r.verify(verifier);
  EXPECT_TRUE(v.ok()) << v.message;
  EXPECT_EQ(v.access_key_id, "AKIDEXAMPLE");
  // Same request again hits the derived-key cache.
  EXPECT_TRUE(r.verify(verifier).ok());
}

TEST(SigV4Verifier, AcceptsHeaderNamesInAnyCase) {
  SigV4Verifier verifier(keys(), {});
  Request r;
  r.headers = {{"host", "data-localhost:9000"},
               {"content-type", "application/x-amz-json-1.1"},
               {"x-amz-target", "Route53AutoNaming_v20170314.DiscoverInstances"}};
  r.sign(kGood, kNow);
  for (auto& [name, value] : r.headers) {
    if (name == "Authorization") {
      name = "authorization";
    }
  }
  EXPECT_TRUE(r.verify(verifier).ok());
}

TEST(SigV4Verifier, RefusesAMissingSignature) {
  SigV4Verifier verifier(keys(), {});
  Request r;
  const SigV4Verdict v = r.verify(verifier);
  EXPECT_EQ(v.status, SigV4Status::MissingAuthenticationToken);
  EXPECT_EQ(sigv4_error_code(v.status), "MissingAuthenticationTokenException");
}

TEST(SigV4Verifier, RefusesABadSignature) {
  SigV4Verifier verifier(keys(), {});
  Request r;
  r.sign({"AKIDEXAMPLE", "not-the-secret", ""}, kNow);
  const SigV4Verdict v = r.verify(verifier);
  EXPECT_EQ(v.status, SigV4Status::InvalidSignature);
  EXPECT_EQ(sigv4_error_code(v.status), "InvalidSignatureException");
  EXPECT_EQ(v.message.find("not-the-secret"), std::string::npos);
}

TEST(SigV4Verifier, RefusesAnUnknownAccessKey) {
  SigV4Verifier verifier(keys(), {});
  Request r;
  r.sign({"AKIDUNKNOWN", "whatever", ""}, kNow);
  const SigV4Verdict v = r.verify(verifier);
  EXPECT_EQ(v.status, SigV4Status::UnrecognizedClient);
  EXPECT_EQ(sigv4_error_code(v.status), "UnrecognizedClientException");
  EXPECT_EQ(v.access_key_id, "AKIDUNKNOWN");
}

TEST(SigV4Verifier, RefusesARequestTwentyMinutesOff) {
  SigV4Verifier verifier(keys(), {});
  for (const char* signed_at : {"20261122T002615Z", "20261122T010615Z"}) {
    Request r;
    r.sign(kGood, signed_at);
    const SigV4Verdict v = r.verify(verifier);
    EXPECT_EQ(v.status, SigV4Status::SignatureExpired) << signed_at;
    EXPECT_EQ(sigv4_error_code(v.status), "InvalidSignatureException");
  }
  // Four minutes is within the default five.
  Request near;
  near.sign(kGood, "20261122T004215Z");
  EXPECT_TRUE(near.verify(verifier).ok());
  // And the skew is configurable.
  SigV4Verifier strict(keys(), {.max_clock_skew = minutes(1)});
  EXPECT_EQ(near.verify(strict).status, SigV4Status::SignatureExpired);
}

TEST(SigV4Verifier, RefusesAReplayedBodyWithAnotherTarget) {
  SigV4Verifier verifier(keys(), {});
  Request r;
  r.sign(kGood, kNow);
  r.set("X-Amz-Target", "Route53AutoNaming_v20170314.DeleteNamespace");
  EXPECT_EQ(r.verify(verifier).status, SigV4Status::InvalidSignature);

  Request body;
  body.sign(kGood, kNow);
  body.body = R"({"Id":"ns-1"})";
  EXPECT_EQ(body.verify(verifier).status, SigV4Status::InvalidSignature);
}

TEST(SigV4Verifier, RequiresTheTargetToBeSigned) {
  SigV4Verifier verifier(keys(), {});
  Request r;
  r.headers = {{"Host", "127.0.0.1:9000"}};
  r.sign(kGood, kNow);
  r.headers.emplace_back("X-Amz-Target", "Route53AutoNaming_v20170314.ListNamespaces");
  const SigV4Verdict v = r.verify(verifier);
  EXPECT_EQ(v.status, SigV4Status::InvalidSignature);
  EXPECT_NE(v.message.find("X-Amz-Target"), std::string::npos);
}

TEST(SigV4Verifier, ChecksTheScope) {
  SigV4Verifier verifier(keys(), {.region = "eu-west-1"});
  Request wrong_region;
  wrong_region.sign(kGood, kNow, "us-east-1");
  EXPECT_EQ(wrong_region.verify(verifier).status, SigV4Status::InvalidSignature);
  Request right_region;
  right_region.sign(kGood, kNow, "eu-west-1");
  EXPECT_TRUE(right_region.verify(verifier).ok());

  SigV4Verifier default_verifier(keys(), {});
  Request other_service;
  other_service.sign(kGood, kNow);
  std::string& auth = other_service.headers[3].second;
  auth.replace(auth.find("servicediscovery"), 16, "s3");
  EXPECT_EQ(other_service.verify(default_verifier).status, SigV4Status::InvalidSignature);
}

TEST(SigV4Verifier, RefusesMalformedAuthorization) {
  SigV4Verifier verifier(keys(), {});
  for (const char* header :
       {"AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1 Credential=a/b/c/d/e, SignedHeaders=host, Signature=00",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/us-east-1/servicediscovery/aws4_request",
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE, SignedHeaders=host, Signature=00",
        "Basic Zm9v"}) {
    Request r;
    r.headers.emplace_back("Authorization", header);
    r.headers.emplace_back("X-Amz-Date", std::string(kNow));
    EXPECT_EQ(r.verify(verifier).status, SigV4Status::IncompleteSignature) << header;
  }
}

TEST(SigV4Verifier, RequiresTheSessionTokenOfASessionKey) {
  SigV4Verifier verifier(keys(), {});
  Request good;
  good.sign({"ASIASESSION", "s3cr3t", "tok"}, kNow);
  EXPECT_TRUE(good.verify(verifier).ok());
  Request missing;
  missing.sign({"ASIASESSION", "s3cr3t", ""}, kNow);
  EXPECT_EQ(missing.verify(verifier).status, SigV4Status::UnrecognizedClient);
  Request wrong;
  wrong.sign({"ASIASESSION", "s3cr3t", "other"}, kNow);
  EXPECT_EQ(wrong.verify(verifier).status, SigV4Status::UnrecognizedClient);
}

TEST(SigV4Verifier, VerifiesQueriesOfSignedGets) {
  SigV4Verifier verifier(keys(), {});
  Request r;
  r.method = "GET";
  r.path = "/v1/watch";
  r.query = "namespace=mesh.local&epoch=e1&version=3&timeout=30s";
  r.body.clear();
  r.headers = {{"Host", "127.0.0.1:9000"}};
  r.sign(kGood, kNow);
  EXPECT_TRUE(r.verify(verifier).ok());
  r.query = "namespace=other&epoch=e1&version=3&timeout=30s";
  EXPECT_EQ(r.verify(verifier).status, SigV4Status::InvalidSignature);
}

TEST(SigV4Verifier, ChecksAClaimedContentHash) {
  SigV4Verifier verifier(keys(), {});
  Request r;
  r.headers.emplace_back("X-Amz-Content-Sha256", "00");
  r.sign(kGood, kNow);
  EXPECT_EQ(r.verify(verifier).status, SigV4Status::InvalidSignature);
}

}  // namespace
}  // namespace ferry::core
