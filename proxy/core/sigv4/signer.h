#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "proxy/core/sigv4/canonical_request.h"
#include "proxy/core/sigv4/digest.h"

namespace ferry::core {

// One access key: what a shared-credentials profile or the AWS_* environment
// variables hold. `session_token` is empty for long-term keys.
struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
};

// The headers a signed request must carry besides its own.
struct SigV4Headers {
  std::string authorization;  // "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."
  std::string amz_date;       // X-Amz-Date
  std::string security_token;  // X-Amz-Security-Token; empty when the key has no session
};

// Signs requests with one key for one region and service, caching the derived
// signing key per day (deriving it is four HMACs). Not thread-safe: each
// thread (or each client connection) owns its signer.
class RequestSigner {
 public:
  RequestSigner(AwsCredentials credentials, std::string region, std::string service);

  // Signs `input` as sent at `now`. Every header in input.headers is signed
  // (it must include Host, exactly as it will be sent) plus X-Amz-Date and,
  // with a session token, X-Amz-Security-Token, which the caller then adds to
  // the request from the result. The body is hashed as given.
  SigV4Headers sign(const SigningInput& input, std::chrono::system_clock::time_point now);

  const AwsCredentials& credentials() const { return credentials_; }

 private:
  AwsCredentials credentials_;
  std::string region_;
  std::string service_;
  std::string key_date_;  // yyyymmdd the cached key belongs to
  Sha256Digest key_{};
};

// One-shot form of RequestSigner::sign (derives the key every call).
SigV4Headers sign_request(const SigningInput& input, const AwsCredentials& credentials,
                          std::string_view region, std::string_view service,
                          std::chrono::system_clock::time_point now);

}  // namespace ferry::core
