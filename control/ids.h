#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ferry::control {

// Identifiers in Cloud Map's formats. Random from a per-thread generator
// seeded by std::random_device; any thread may call them.
std::string new_namespace_id();  // "ns-" + 16 lower-case alphanumerics
std::string new_service_id();    // "srv-" + 16
std::string new_operation_id();  // 32 + "-" + 8 lower-case alphanumerics, time-ordered
std::string new_request_id();    // UUID v4, for x-amzn-RequestId
std::string new_epoch();         // 16 lower-case alphanumerics

// "arn:aws:servicediscovery:<region>:<account>:namespace/<id>" and ".../service/<id>".
std::string namespace_arn(std::string_view region, std::string_view account, std::string_view id);
std::string service_arn(std::string_view region, std::string_view account, std::string_view id);

// What an ARN names, for the tagging actions and for Id members given as an
// ARN (newer SDKs accept both forms). nullopt when it is not one of ours.
struct ResourceName {
  enum class Type { Namespace, Service } type;
  std::string id;
};
std::optional<ResourceName> parse_resource_arn(std::string_view arn, std::string_view region,
                                               std::string_view account);

// An Id member: a plain id, or the ARN of the resource (region and account
// must be ours). Returns the plain id, or nullopt for a foreign ARN.
std::optional<std::string> resolve_id(std::string_view id_or_arn, ResourceName::Type type,
                                      std::string_view region, std::string_view account);

}  // namespace ferry::control
