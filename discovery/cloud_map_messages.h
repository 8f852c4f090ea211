#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// The few Cloud Map (servicediscovery, JSON 1.1) messages self-registration
// sends, and what it reads from the answers: request bodies as JSON text,
// answers parsed leniently (members ferry does not need are ignored, a
// missing needed member is nullopt). Pure; any thread.
namespace ferry::discovery::cloud_map {

std::string list_namespaces(std::string_view name);
// The Id of the namespace called `name` in a ListNamespaces answer.
std::optional<std::string> find_namespace_id(std::string_view body, std::string_view name);

std::string create_http_namespace(std::string_view name, std::string_view token);
std::string list_services(std::string_view namespace_id, std::string_view next_token);

struct ServiceSummary {
  std::string id;
  bool custom_health = false;  // has HealthCheckCustomConfig
};
struct ServicePage {
  std::optional<ServiceSummary> found;  // the service called `name`, if on this page
  std::string next_token;               // empty on the last page
};
std::optional<ServicePage> read_service_page(std::string_view body, std::string_view name);

std::string create_service(std::string_view name, std::string_view namespace_id,
                           std::string_view token);
// Service.Id of a CreateService answer.
std::optional<std::string> created_service_id(std::string_view body);

std::string register_instance(std::string_view service_id, std::string_view instance_id,
                              std::string_view token,
                              const std::map<std::string, std::string>& attributes);
std::string deregister_instance(std::string_view service_id, std::string_view instance_id);
std::string update_health(std::string_view service_id, std::string_view instance_id, bool healthy);
std::string get_operation(std::string_view operation_id);

// OperationId of an asynchronous mutation's answer.
std::optional<std::string> operation_id(std::string_view body);

struct OperationState {
  std::string status;                          // SUBMITTED | PENDING | SUCCESS | FAIL
  std::map<std::string, std::string> targets;  // NAMESPACE / SERVICE / INSTANCE -> id
  std::string error;                           // ErrorCode: ErrorMessage of a FAIL
};
std::optional<OperationState> read_operation(std::string_view body);

// A member of an error body (NamespaceAlreadyExists carries NamespaceId,
// ServiceAlreadyExists ServiceId).
std::optional<std::string> error_member(std::string_view body, std::string_view member);

// A fresh idempotency token (a random UUID, as the SDKs make them).
std::string new_token();

}  // namespace ferry::discovery::cloud_map
