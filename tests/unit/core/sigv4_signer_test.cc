#include "proxy/core/sigv4/signer.h"

#include <gtest/gtest.h>

#include <vector>

#include "proxy/core/sigv4/canonical_request.h"
#include "proxy/core/sigv4/digest.h"

namespace ferry::core {
namespace {

constexpr std::string_view kSecret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

std::chrono::system_clock::time_point at(std::string_view amz_date) {
  return *parse_amz_date(amz_date);
}

std::string signature_of(const std::string& authorization) {
  return authorization.substr(authorization.find("Signature=") + 10);
}

// The vector from CLOUDMAP.md, observed from the AWS CLI against ferry-control.
TEST(SigV4Signer, MatchesTheCloudMapVector) {
  const std::string canonical =
      "POST\n/\n\ncontent-type:application/x-amz-json-1.1\nhost:127.0.0.1:37013\n"
      "x-amz-date:20261122T004615Z\nx-amz-target:Route53AutoNaming_v20170314.ListNamespaces\n\n"
      "content-type;host;x-amz-date;x-amz-target\n"
      "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
  const std::string scope = credential_scope("20261122", "us-east-1", "servicediscovery");
  const std::string to_sign = string_to_sign("20261122T004615Z", scope, canonical);
  EXPECT_EQ(to_sign,
            "AWS4-HMAC-SHA256\n20261122T004615Z\n20261122/us-east-1/servicediscovery/aws4_request\n"
            "bd34f15e89cb27892e122fce0cf2c44e6feb1952007141187d149c3709dfdded");
  const auto key = signing_key(kSecret, "20261122", "us-east-1", "servicediscovery");
  EXPECT_EQ(hex_encode(hmac_sha256(as_view(key), to_sign)),
            "7943e3ce85c8e83814fbdf03d506e8fefba272dc028044c2acde6eed7b967a8d");
}

TEST(SigV4Signer, SignsTheCloudMapRequestEndToEnd) {
  // The body hash in the vector is that of "{}".
  EXPECT_EQ(hex_encode(sha256("{}")),
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  const std::vector<HeaderField> headers = {
      {"Content-Type", "application/x-amz-json-1.1"},
      {"Host", "127.0.0.1:37013"},
      {"X-Amz-Target", "Route53AutoNaming_v20170314.ListNamespaces"},
  };
  const SigningInput input{"POST", "/", "", headers, "{}"};
  const SigV4Headers signed_headers =
      sign_request(input, {"AKIDEXAMPLE", std::string(kSecret), ""}, "us-east-1",
                   "servicediscovery", at("20261122T004615Z"));
  EXPECT_EQ(signed_headers.amz_date, "20261122T004615Z");
  EXPECT_EQ(signed_headers.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261122/us-east-1/servicediscovery/"
            "aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
            "Signature=7943e3ce85c8e83814fbdf03d506e8fefba272dc028044c2acde6eed7b967a8d");
  EXPECT_TRUE(signed_headers.security_token.empty());
}

struct BotocoreCase {
  const char* method;
  const char* path;
  const char* query;
  std::vector<HeaderField> headers;
  const char* body;
  const char* service;
  const char* signature;
};

// Signatures computed by botocore's SigV4Auth (Debian's python3-botocore) for
// the same requests: query ordering, dot segments and an escaped path, and
// header values with runs of spaces.
TEST(SigV4Signer, AgreesWithBotocore) {
  const std::vector<BotocoreCase> cases = {
      {"GET",
       "/",
       "",
       {{"Host", "example.amazonaws.com"}},
       "",
       "service",
       "3237baa44edfdead5a214e5125395fabf2697968312386b13e8453b9521c5f66"},
      {"GET",
       "/",
       "Param2=value2&Param1=value1",
       {{"Host", "example.amazonaws.com"}},
       "",
       "service",
       "02def4a23d191058b313a4d7cd2cc39c4508edb879e3e84a612de59de799183c"},
      {"GET",
       "/v1/watch",
       "namespace=mesh.local&epoch=abc&version=17&timeout=30s",
       {{"Host", "127.0.0.1:9000"}},
       "",
       "servicediscovery",
       "90322ae69171be60d2114ed99546600a8dd791bfefd64e35de3456fd20558a04"},
      {"POST",
       "/a%20b/../c",
       "",
       {{"Host", "data-localhost:9000"},
        {"X-Amz-Target", "Route53AutoNaming_v20170314.DiscoverInstances"},
        {"Content-Type", "application/x-amz-json-1.1"},
        {"X-Odd", "  a   b  c "}},
       R"({"NamespaceName":"x"})",
       "servicediscovery",
       "7584ffbf8d34d27e0fe6091b15ab97e4e88a306987f4f1e93ed4e49d489c0df2"},
  };
  for (const BotocoreCase& c : cases) {
    RequestSigner signer({"AKIDEXAMPLE", std::string(kSecret), ""}, "us-east-1", c.service);
    const SigningInput input{c.method, c.path, c.query, c.headers, c.body};
    EXPECT_EQ(signature_of(signer.sign(input, at("20261122T004615Z")).authorization), c.signature)
        << c.method << " " << c.path << "?" << c.query;
  }
}

TEST(SigV4Signer, SignsTheSessionToken) {
  const std::vector<HeaderField> headers = {{"host", "h"}};
  RequestSigner signer({"AKID", "secret", "token-1"}, "us-east-1", "servicediscovery");
  const SigV4Headers out = signer.sign({"GET", "/", "", headers, ""}, at("20261122T004615Z"));
  EXPECT_EQ(out.security_token, "token-1");
  EXPECT_NE(out.authorization.find("SignedHeaders=host;x-amz-date;x-amz-security-token,"),
            std::string::npos)
      << out.authorization;
}

TEST(SigV4Signer, ReusesItsKeyOnlyWithinADay) {
  const std::vector<HeaderField> headers = {{"host", "h"}};
  RequestSigner cached({"AKID", "secret", ""}, "us-east-1", "servicediscovery");
  for (const char* when : {"20261122T004615Z", "20261123T000001Z", "20261122T235959Z"}) {
    const SigningInput input{"GET", "/", "", headers, ""};
    EXPECT_EQ(cached.sign(input, at(when)).authorization,
              sign_request(input, {"AKID", "secret", ""}, "us-east-1", "servicediscovery", at(when))
                  .authorization)
        << when;
  }
}

TEST(SigV4Canonical, EncodesLikeAws) {
  EXPECT_EQ(aws_uri_encode("a b/c~d-_.e*", false), "a%20b%2Fc~d-_.e%2A");
  EXPECT_EQ(aws_uri_encode("a b/c", true), "a%20b/c");
  EXPECT_EQ(canonical_uri(""), "/");
  EXPECT_EQ(canonical_uri("/a/./b/../c/"), "/a/c/");
  EXPECT_EQ(canonical_uri("/../.."), "/");
  EXPECT_EQ(canonical_uri("/a%2Fb"), "/a%252Fb");
  EXPECT_EQ(canonical_query("b=2&a=1&a=0&c"), "a=0&a=1&b=2&c=");
  EXPECT_EQ(canonical_query("k=a%20b+c&x=%7E%zz"), "k=a%20b%2Bc&x=~%25zz");
  EXPECT_EQ(canonical_query(""), "");
}

TEST(SigV4Canonical, JoinsRepeatedHeadersAndFailsOnMissingOnes) {
  const std::vector<HeaderField> headers = {{"X-A", " 1 "}, {"x-a", "2  3"}, {"Host", "h"}};
  const auto out = canonical_headers(headers, {"x-a", "HOST"});
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->block, "host:h\nx-a:1,2 3\n");
  EXPECT_EQ(out->signed_names, "host;x-a");
  EXPECT_FALSE(canonical_headers(headers, {"host", "x-b"}).has_value());
}

TEST(SigV4Canonical, ParsesAndFormatsAmzDates) {
  const auto t = parse_amz_date("20261122T004615Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(format_amz_date(*t), "20261122T004615Z");
  for (const char* bad : {"", "20261122T004615", "2026-11-22T00:46:15Z", "20261322T004615Z",
                          "20260230T004615Z", "20261122T254615Z", "2026112xT004615Z"}) {
    EXPECT_FALSE(parse_amz_date(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace ferry::core
