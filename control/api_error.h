#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ferry::control {

// A Cloud Map error as the clients read it: HTTP status plus a JSON body
// {"__type": code, "Message": message, ...members}. `members` carries the
// extra fields some error shapes have (DuplicateRequest.DuplicateOperationId,
// NamespaceAlreadyExists.NamespaceId, ...).
struct ApiError {
  int status = 400;
  std::string code;
  std::string message;
  std::vector<std::pair<std::string, std::string>> members;

  std::string body() const;
};

inline ApiError api_error(std::string code, std::string message, int status = 400) {
  return {status, std::move(code), std::move(message), {}};
}
inline ApiError invalid_input(std::string message) {
  return api_error("InvalidInput", std::move(message));
}
inline ApiError namespace_not_found(std::string_view id) {
  return api_error("NamespaceNotFound", "No namespace exists with the ID " + std::string(id));
}
inline ApiError service_not_found(std::string_view id) {
  return api_error("ServiceNotFound", "No service exists with the ID " + std::string(id));
}
inline ApiError instance_not_found(std::string_view id) {
  return api_error("InstanceNotFound", "No instance exists with the ID " + std::string(id));
}
// Disk full, etcd unreachable, a commit that failed: the write did not happen
// (or its outcome is unknown) and may be retried. Never a 2xx.
inline ApiError store_unavailable(std::string message) {
  return api_error("ServiceUnavailable", std::move(message), 503);
}

}  // namespace ferry::control
