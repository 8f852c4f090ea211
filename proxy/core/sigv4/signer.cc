#include "proxy/core/sigv4/signer.h"

#include <utility>
#include <vector>

namespace ferry::core {

RequestSigner::RequestSigner(AwsCredentials credentials, std::string region, std::string service)
    : credentials_(std::move(credentials)),
      region_(std::move(region)),
      service_(std::move(service)) {}

SigV4Headers RequestSigner::sign(const SigningInput& input,
                                 std::chrono::system_clock::time_point now) {
  SigV4Headers out;
  out.amz_date = format_amz_date(now);
  out.security_token = credentials_.session_token;
  const std::string_view date = std::string_view(out.amz_date).substr(0, 8);

  std::vector<HeaderField> headers(input.headers.begin(), input.headers.end());
  headers.push_back({"x-amz-date", out.amz_date});
  if (!out.security_token.empty()) {
    headers.push_back({"x-amz-security-token", out.security_token});
  }
  std::vector<std::string> names;
  names.reserve(headers.size());
  for (const HeaderField& field : headers) {
    names.emplace_back(field.name);
  }
  // Every name comes from `headers` itself, so none can be missing.
  const CanonicalHeaders canonical = *canonical_headers(headers, std::move(names));

  SigningInput with_date = input;
  with_date.headers = headers;
  const std::string request =
      canonical_request(with_date, canonical, hex_encode(sha256(input.body)));
  const std::string scope = credential_scope(date, region_, service_);
  if (key_date_ != date) {
    key_ = signing_key(credentials_.secret_access_key, date, region_, service_);
    key_date_ = std::string(date);
  }
  const std::string signature =
      hex_encode(hmac_sha256(as_view(key_), string_to_sign(out.amz_date, scope, request)));

  out.authorization = "AWS4-HMAC-SHA256 Credential=";
  out.authorization.append(credentials_.access_key_id).push_back('/');
  out.authorization.append(scope);
  out.authorization.append(", SignedHeaders=").append(canonical.signed_names);
  out.authorization.append(", Signature=").append(signature);
  return out;
}

SigV4Headers sign_request(const SigningInput& input, const AwsCredentials& credentials,
                          std::string_view region, std::string_view service,
                          std::chrono::system_clock::time_point now) {
  RequestSigner signer(credentials, std::string(region), std::string(service));
  return signer.sign(input, now);
}

}  // namespace ferry::core
