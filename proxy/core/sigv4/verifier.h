#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "proxy/core/sigv4/canonical_request.h"
#include "proxy/core/sigv4/credentials_file.h"
#include "proxy/core/sigv4/digest.h"

namespace ferry::core {

// Why a request was refused, each mapped to AWS's error code (the `__type`
// clients read) by sigv4_error_code().
enum class SigV4Status {
  Ok,
  MissingAuthenticationToken,  // no Authorization header at all
  IncompleteSignature,         // Authorization present but malformed, or no X-Amz-Date
  InvalidSignature,            // wrong scope, mismatched signature, unsigned X-Amz-Target
  SignatureExpired,            // X-Amz-Date outside the allowed clock skew
  UnrecognizedClient,          // unknown access key id, or a wrong session token
};

// "MissingAuthenticationTokenException", "InvalidSignatureException", ...
// (SignatureExpired is reported as InvalidSignatureException, as AWS does).
std::string_view sigv4_error_code(SigV4Status status);

struct SigV4Verdict {
  SigV4Status status = SigV4Status::Ok;
  std::string access_key_id;  // as claimed by the request, when it got that far
  std::string message;        // AWS-style explanation; never contains a secret
  bool ok() const { return status == SigV4Status::Ok; }
};

// Verifies AWS Signature Version 4 `Authorization` headers against a set of
// accepted keys. Accepts only `service` and `region` in the credential scope,
// and X-Amz-Date within `max_clock_skew` of the server's clock. The header
// that selects the action (X-Amz-Target), when present, must be among the
// signed headers, so a captured signature cannot be replayed against another
// action.
//
// verify() is safe to call from any thread (the derived-key cache is behind a
// mutex held only for a map lookup).
class SigV4Verifier {
 public:
  struct Options {
    std::string service = "servicediscovery";
    std::string region = "us-east-1";
    std::chrono::seconds max_clock_skew = std::chrono::minutes(5);
  };

  SigV4Verifier(std::shared_ptr<const CredentialsFile> credentials, Options options);

  SigV4Verdict verify(const SigningInput& request, std::chrono::system_clock::time_point now) const;

 private:
  Sha256Digest key_for(const AwsCredentials& credentials, std::string_view date) const;

  std::shared_ptr<const CredentialsFile> credentials_;
  Options options_;
  mutable std::mutex cache_mutex_;
  mutable std::map<std::string, Sha256Digest, std::less<>> key_cache_;  // "akid/date"
};

}  // namespace ferry::core
