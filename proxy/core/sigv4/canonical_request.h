#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/core/sigv4/digest.h"

namespace ferry::core {

// The building blocks of an AWS Signature Version 4 canonical request, shared
// by the signer and the verifier so both compute exactly the same bytes.
// Reference: AWS General Reference, "Create a canonical request for SigV4".

// One header as sent or received; the name in any case.
struct HeaderField {
  std::string_view name;
  std::string_view value;
};

// A request as it appears on the wire. Every view must outlive the call that
// receives the struct; nothing is copied or kept.
struct SigningInput {
  std::string_view method;               // "POST"
  std::string_view path;                 // as sent (percent-encoded), without the query
  std::string_view query;                // raw query string without '?', may be empty
  std::span<const HeaderField> headers;  // every header of the request
  std::string_view body;
};

// AWS URI encoding: every byte except the unreserved set A-Z a-z 0-9 - _ . ~
// becomes %XX (upper-case hex); '/' is kept when `keep_slash`.
std::string aws_uri_encode(std::string_view text, bool keep_slash);

// The canonical URI of a path as sent: dot segments removed, then encoded once
// more (services other than S3 sign the doubly encoded path, as botocore does).
std::string canonical_uri(std::string_view path);

// The canonical query string: parameters decoded, re-encoded with
// aws_uri_encode, sorted by name then value, joined with '&'.
std::string canonical_query(std::string_view query);

// The canonical headers block ("name:value\n" per header) and the
// signed-headers list ("a;b;c") for the headers named in `names` (lower-case,
// any order). Values are trimmed with inner runs of spaces collapsed; repeated
// headers are joined with ','. nullopt when a named header is absent.
struct CanonicalHeaders {
  std::string block;
  std::string signed_names;
};
std::optional<CanonicalHeaders> canonical_headers(std::span<const HeaderField> headers,
                                                  std::vector<std::string> names);

// "METHOD\nURI\nQUERY\nHEADERS\nSIGNED\nPAYLOADHASH".
std::string canonical_request(const SigningInput& input, const CanonicalHeaders& headers,
                              std::string_view payload_hash);

// "AWS4-HMAC-SHA256\n<amz date>\n<scope>\n<hex sha256 of canonical request>".
std::string string_to_sign(std::string_view amz_date, std::string_view scope,
                           std::string_view canonical);

// The credential scope "<yyyymmdd>/<region>/<service>/aws4_request".
std::string credential_scope(std::string_view date, std::string_view region,
                             std::string_view service);

// HMAC chain "AWS4"+secret -> date -> region -> service -> "aws4_request".
Sha256Digest signing_key(std::string_view secret, std::string_view date, std::string_view region,
                         std::string_view service);

// X-Amz-Date's ISO 8601 basic form, "20261122T004615Z" (UTC, whole seconds).
std::string format_amz_date(std::chrono::system_clock::time_point time);
std::optional<std::chrono::system_clock::time_point> parse_amz_date(std::string_view text);

}  // namespace ferry::core
