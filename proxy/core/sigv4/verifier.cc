#include "proxy/core/sigv4/verifier.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>
#include <vector>

#include "proxy/core/text.h"

namespace ferry::core {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

const HeaderField* find_header(std::span<const HeaderField> headers, std::string_view name) {
  for (const HeaderField& h : headers) {
    if (iequals(h.name, name)) {
      return &h;
    }
  }
  return nullptr;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t next = text.find(sep, pos);
    out.push_back(text.substr(pos, next == std::string_view::npos ? text.npos : next - pos));
    if (next == std::string_view::npos) {
      return out;
    }
    pos = next + 1;
  }
}

struct ParsedAuthorization {
  std::string_view credential;
  std::string_view signed_headers;
  std::string_view signature;
};

// "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=..."; an
// empty string on success, else what is missing (AWS's wording).
std::string parse_authorization(std::string_view header, ParsedAuthorization& out) {
  header = trim_ows(header);
  if (header.substr(0, kAlgorithm.size()) != kAlgorithm ||
      (header.size() > kAlgorithm.size() && header[kAlgorithm.size()] != ' ')) {
    return "Unsupported authorization type; only AWS4-HMAC-SHA256 is accepted.";
  }
  for (std::string_view part : split(header.substr(kAlgorithm.size()), ',')) {
    part = trim_ows(part);
    const std::size_t eq = part.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    const std::string_view key = trim_ows(part.substr(0, eq));
    const std::string_view value = trim_ows(part.substr(eq + 1));
    if (key == "Credential") {
      out.credential = value;
    } else if (key == "SignedHeaders") {
      out.signed_headers = value;
    } else if (key == "Signature") {
      out.signature = value;
    }
  }
  std::string missing;
  for (auto [name, value] :
       {std::pair{"Credential", out.credential}, std::pair{"Signature", out.signature},
        std::pair{"SignedHeaders", out.signed_headers}}) {
    if (value.empty()) {
      missing.append("Authorization header requires '").append(name).append("' parameter. ");
    }
  }
  if (!missing.empty()) {
    missing.pop_back();
  }
  return missing;
}

SigV4Verdict refuse(SigV4Status status, std::string message, std::string_view akid = {}) {
  return {status, std::string(akid), std::move(message)};
}

}  // namespace

std::string_view sigv4_error_code(SigV4Status status) {
  switch (status) {
    case SigV4Status::Ok:
      return "";
    case SigV4Status::MissingAuthenticationToken:
      return "MissingAuthenticationTokenException";
    case SigV4Status::IncompleteSignature:
      return "IncompleteSignatureException";
    case SigV4Status::InvalidSignature:
    case SigV4Status::SignatureExpired:
      return "InvalidSignatureException";
    case SigV4Status::UnrecognizedClient:
      return "UnrecognizedClientException";
  }
  return "InvalidSignatureException";
}

SigV4Verifier::SigV4Verifier(std::shared_ptr<const CredentialsFile> credentials, Options options)
    : credentials_(std::move(credentials)), options_(std::move(options)) {}

Sha256Digest SigV4Verifier::key_for(const AwsCredentials& credentials,
                                    std::string_view date) const {
  std::string cache_key = credentials.access_key_id;
  cache_key.append("/").append(date);
  {
    std::lock_guard lock(cache_mutex_);
    if (auto it = key_cache_.find(cache_key); it != key_cache_.end()) {
      return it->second;
    }
  }
  const Sha256Digest key =
      signing_key(credentials.secret_access_key, date, options_.region, options_.service);
  std::lock_guard lock(cache_mutex_);
  if (key_cache_.size() > 1024) {
    key_cache_.clear();  // dates roll over; never let the cache grow without bound
  }
  key_cache_.emplace(std::move(cache_key), key);
  return key;
}

namespace {

// The credential scope "AKID/date/region/service/aws4_request" against the
// accepted service and region; nullopt when it is acceptable.
std::optional<SigV4Verdict> check_scope(const std::vector<std::string_view>& scope,
                                        const SigV4Verifier::Options& options) {
  const std::string_view akid = scope[0];
  if (scope[4] != "aws4_request") {
    return refuse(SigV4Status::InvalidSignature,
                  "Credential should be scoped with a valid terminator: 'aws4_request'.", akid);
  }
  if (scope[3] != options.service) {
    return refuse(SigV4Status::InvalidSignature,
                  "Credential should be scoped to correct service: '" + options.service + "'.",
                  akid);
  }
  if (scope[2] != options.region) {
    return refuse(
        SigV4Status::InvalidSignature,
        "Credential should be scoped to a valid region, not '" + std::string(scope[2]) + "'.",
        akid);
  }
  return std::nullopt;
}

// X-Amz-Date: present, well formed, the scope's day, and within the skew.
std::optional<SigV4Verdict> check_date(std::string_view amz_date, std::string_view scope_date,
                                       std::string_view akid, std::chrono::seconds skew,
                                       std::chrono::system_clock::time_point now) {
  const auto signed_at = parse_amz_date(amz_date);
  if (!signed_at) {
    return refuse(SigV4Status::IncompleteSignature,
                  "X-Amz-Date must be in ISO 8601 basic format (yyyyMMddTHHmmssZ).", akid);
  }
  if (scope_date != amz_date.substr(0, 8)) {
    return refuse(SigV4Status::InvalidSignature,
                  "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date "
                  "from HTTP: '" +
                      std::string(scope_date) + "' != '" + std::string(amz_date.substr(0, 8)) +
                      "', from '" + std::string(amz_date) + "'.",
                  akid);
  }
  const std::string skew_text = std::to_string(skew.count()) + " s.)";
  if (*signed_at < now - skew) {
    return refuse(SigV4Status::SignatureExpired,
                  "Signature expired: " + std::string(amz_date) + " is now earlier than " +
                      format_amz_date(now - skew) + " (" + format_amz_date(now) + " - " + skew_text,
                  akid);
  }
  if (*signed_at > now + skew) {
    return refuse(SigV4Status::SignatureExpired,
                  "Signature not yet current: " + std::string(amz_date) + " is still later than " +
                      format_amz_date(now + skew) + " (" + format_amz_date(now) + " + " + skew_text,
                  akid);
  }
  return std::nullopt;
}

// Which headers must be signed, the session token, and a claimed body hash.
std::optional<SigV4Verdict> check_headers(const SigningInput& request,
                                          const std::vector<std::string>& names,
                                          const AwsCredentials& credentials,
                                          std::string_view payload_hash, std::string_view akid) {
  auto is_signed = [&](std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  };
  if (!is_signed("host")) {
    return refuse(SigV4Status::InvalidSignature, "'Host' must be a signed header.", akid);
  }
  if (find_header(request.headers, "x-amz-target") != nullptr && !is_signed("x-amz-target")) {
    return refuse(SigV4Status::InvalidSignature, "'X-Amz-Target' must be a signed header.", akid);
  }
  if (!credentials.session_token.empty()) {
    const HeaderField* token = find_header(request.headers, "x-amz-security-token");
    if (token == nullptr ||
        !constant_time_equal(trim_ows(token->value), credentials.session_token)) {
      return refuse(SigV4Status::UnrecognizedClient,
                    "The security token included in the request is invalid.", akid);
    }
  }
  if (const HeaderField* claimed = find_header(request.headers, "x-amz-content-sha256");
      claimed != nullptr && trim_ows(claimed->value) != "UNSIGNED-PAYLOAD" &&
      !iequals(trim_ows(claimed->value), payload_hash)) {
    return refuse(SigV4Status::InvalidSignature,
                  "The provided 'x-amz-content-sha256' header does not match what was computed.",
                  akid);
  }
  return std::nullopt;
}

}  // namespace

SigV4Verdict SigV4Verifier::verify(const SigningInput& request,
                                   std::chrono::system_clock::time_point now) const {
  const HeaderField* auth = find_header(request.headers, "authorization");
  if (auth == nullptr) {
    return refuse(SigV4Status::MissingAuthenticationToken, "Missing Authentication Token");
  }
  ParsedAuthorization parsed;
  if (std::string missing = parse_authorization(auth->value, parsed); !missing.empty()) {
    return refuse(SigV4Status::IncompleteSignature, std::move(missing));
  }
  const std::vector<std::string_view> scope = split(parsed.credential, '/');
  if (scope.size() != 5 || scope[0].empty()) {
    return refuse(SigV4Status::IncompleteSignature,
                  "Credential must have exactly 5 slash-delimited elements, e.g. "
                  "keyid/date/region/service/term.");
  }
  const std::string_view akid = scope[0];
  const AwsCredentials* credentials = credentials_->find_access_key(akid);
  if (credentials == nullptr) {
    return refuse(SigV4Status::UnrecognizedClient,
                  "The security token included in the request is invalid.", akid);
  }
  if (auto refused = check_scope(scope, options_)) {
    return *refused;
  }
  const HeaderField* date_header = find_header(request.headers, "x-amz-date");
  if (date_header == nullptr) {
    return refuse(SigV4Status::IncompleteSignature,
                  "Authorization header requires existence of a 'X-Amz-Date' header.", akid);
  }
  const std::string_view amz_date = trim_ows(date_header->value);
  if (auto refused = check_date(amz_date, scope[1], akid, options_.max_clock_skew, now)) {
    return *refused;
  }
  std::vector<std::string> names;
  for (std::string_view name : split(parsed.signed_headers, ';')) {
    names.emplace_back(name);
  }
  const std::string payload_hash = hex_encode(sha256(request.body));
  if (auto refused = check_headers(request, names, *credentials, payload_hash, akid)) {
    return *refused;
  }
  static constexpr std::string_view kMismatch =
      "The request signature we calculated does not match the signature you provided. Check "
      "your AWS Secret Access Key and signing method. Consult the service documentation for "
      "details.";
  const auto canonical = canonical_headers(request.headers, std::move(names));
  if (!canonical) {
    return refuse(SigV4Status::InvalidSignature, std::string(kMismatch), akid);
  }
  const std::string to_sign =
      string_to_sign(amz_date, credential_scope(scope[1], scope[2], scope[3]),
                     canonical_request(request, *canonical, payload_hash));
  const std::string expected =
      hex_encode(hmac_sha256(as_view(key_for(*credentials, scope[1])), to_sign));
  if (!constant_time_equal(expected, parsed.signature)) {
    return refuse(SigV4Status::InvalidSignature, std::string(kMismatch), akid);
  }
  return {SigV4Status::Ok, std::string(akid), {}};
}

}  // namespace ferry::core
