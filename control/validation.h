#pragma once

#include <optional>
#include <string_view>

#include "control/api_error.h"
#include "control/records.h"

namespace ferry::control {

// The service model's patterns (botocore servicediscovery 2017-03-14),
// written out by hand: no regex engine on the request path, and no pattern
// that can backtrack.

// The ServiceName pattern as the API's validation messages quote it.
inline constexpr std::string_view kServiceNamePattern =
    "((?=^.{1,127}$)^([a-zA-Z0-9_][a-zA-Z0-9-_]{0,61}[a-zA-Z0-9_]|[a-zA-Z0-9])(\\.([a-zA-Z0-9_]["
    "a-zA-Z0-9-_]{0,61}[a-zA-Z0-9_]|[a-zA-Z0-9]))*$)|(^\\.$)";

// NamespaceNameHttp: ^(?!arn:)[!-~]{1,1024}$
bool is_valid_http_namespace_name(std::string_view name);
// NamespaceName (DiscoverInstances): ^[!-~]{1,1024}$
bool is_valid_namespace_name(std::string_view name);
// ServiceName: DNS-like labels of [A-Za-z0-9_-] (no leading or trailing '-'),
// 1..63 each, 127 in all; or exactly ".".
bool is_valid_service_name(std::string_view name);
// InstanceId: ^[0-9a-zA-Z_/:.@-]+$, at most 64.
bool is_valid_instance_id(std::string_view id);
// AttrKey: ^[a-zA-Z0-9!-~]+$, at most 255.
bool is_valid_attribute_key(std::string_view key);
// AttrValue: empty, or a visible ASCII character followed by visible ASCII,
// spaces and tabs; at most 1024.
bool is_valid_attribute_value(std::string_view value);
// Dotted-quad IPv4 (no leading zeros, each part 0..255) and textual IPv6.
bool is_valid_ipv4(std::string_view text);
bool is_valid_ipv6(std::string_view text);

// Limits on instance attributes (Cloud Map's quotas; see control/README.md).
struct AttributeLimits {
  std::size_t max_custom = 30;         // attributes other than the AWS_* reserved ones
  std::size_t max_total_chars = 5000;  // sum of every key and value length
};

// Checks a RegisterInstance attribute map: each key and value against the
// model, the reserved AWS_* attributes (IPv4/IPv6 addresses, a port in
// 1..65535, AWS_INIT_HEALTH_STATUS only HEALTHY|UNHEALTHY, AWS_EC2_INSTANCE_ID
// alone), and the quotas. The error names the offending attribute.
std::optional<ApiError> validate_attributes(const Attributes& attributes,
                                            const AttributeLimits& limits);

}  // namespace ferry::control
