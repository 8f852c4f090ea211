#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "control/api_error.h"
#include "control/change_set.h"
#include "control/ids.h"
#include "control/records.h"
#include "control/registry_state.h"

namespace ferry::control {

// A write, as a pure function of the registry state: it checks its
// preconditions against `state` and appends the records to write (and, for
// etcd, the guards they rely on) to `out`. It never modifies `state` and keeps
// no reference to it. The SQLite writer evaluates it on its own thread against
// its exact state; the etcd store evaluates it on the loop against its cache
// and re-evaluates after a conflict. Everything random or time-dependent (ids,
// timestamps) is decided before, by the API handler, so re-evaluation gives
// the same records.
struct MutationResult {
  std::optional<ApiError> error;
  std::string reply;  // the JSON response body on success
};

inline MutationResult fail(ApiError error) {
  return {std::move(error), {}};
}

struct Mutation {
  std::string action;  // for logs and metrics
  std::function<MutationResult(const RegistryState& state, ChangeSet& out)> evaluate;
};

// Quotas a mutation enforces (Cloud Map's defaults; flags in control/README.md).
struct RegistryLimits {
  std::size_t max_namespaces = 50;
  std::size_t max_services_per_namespace = 1000;
  std::size_t max_instances_per_service = 1000;
  std::size_t max_instances_per_namespace = 2000;
  std::size_t max_tags_per_resource = 50;
};

// A CreatorRequestId/UpdaterRequestId scoped by action ("RegisterInstance/<token>")
// and the fingerprint of the request it came with. Empty token: no idempotency.
struct IdempotencyKey {
  std::string scoped_token;
  std::string fingerprint;
};

struct CreateNamespaceArgs {
  std::shared_ptr<const Namespace> ns;
  std::string operation_id;
  IdempotencyKey idempotency;
  std::size_t max_namespaces = 50;
};
struct UpdateNamespaceArgs {
  std::string id;
  std::string description;
  std::string operation_id;
  IdempotencyKey idempotency;
  Timestamp now = 0;
};
struct DeleteNamespaceArgs {
  std::string id;
  std::string operation_id;
  Timestamp now = 0;
};
struct CreateServiceArgs {
  std::shared_ptr<const Service> service;
  std::string reply;  // {"Service": ...} rendered by the handler
  IdempotencyKey idempotency;
  std::size_t max_services_per_namespace = 1000;
};
struct UpdateServiceArgs {
  std::string id;
  std::optional<std::string> description;
  std::string operation_id;
  Timestamp now = 0;
};
struct DeleteServiceArgs {
  std::string id;
};
struct RegisterInstanceArgs {
  std::string service_id;
  std::string instance_id;
  Attributes attributes;
  std::string creator_request_id;
  std::string operation_id;
  IdempotencyKey idempotency;
  Timestamp now = 0;
  RegistryLimits limits;
};
struct DeregisterInstanceArgs {
  std::string service_id;
  std::string instance_id;
  std::string operation_id;
  Timestamp now = 0;
};
struct SetHealthArgs {
  std::string service_id;
  std::string instance_id;
  HealthStatus status = HealthStatus::Healthy;
  Timestamp now = 0;
  // TTL expiry only: apply only if the instance (and its heartbeat, with
  // etcd) are still at these revisions; otherwise a renewal won the race.
  std::optional<std::int64_t> expected_revision;
  std::optional<std::int64_t> expected_heartbeat_revision;  // 0: no heartbeat
};
struct TagArgs {
  std::string arn;
  ResourceName::Type type = ResourceName::Type::Namespace;
  std::string id;
  std::vector<Tag> add;
  std::vector<std::string> remove;
  std::size_t max_tags = 50;
};

MutationResult create_namespace(const CreateNamespaceArgs& args, const RegistryState& state,
                                ChangeSet& out);
MutationResult update_namespace(const UpdateNamespaceArgs& args, const RegistryState& state,
                                ChangeSet& out);
MutationResult delete_namespace(const DeleteNamespaceArgs& args, const RegistryState& state,
                                ChangeSet& out);
MutationResult create_service(const CreateServiceArgs& args, const RegistryState& state,
                              ChangeSet& out);
MutationResult update_service(const UpdateServiceArgs& args, const RegistryState& state,
                              ChangeSet& out);
MutationResult delete_service(const DeleteServiceArgs& args, const RegistryState& state,
                              ChangeSet& out);
MutationResult register_instance(const RegisterInstanceArgs& args, const RegistryState& state,
                                 ChangeSet& out);
MutationResult deregister_instance(const DeregisterInstanceArgs& args, const RegistryState& state,
                                   ChangeSet& out);
MutationResult set_instance_health(const SetHealthArgs& args, const RegistryState& state,
                                   ChangeSet& out);
MutationResult change_tags(const TagArgs& args, const RegistryState& state, ChangeSet& out);
// Deletes whichever of `keys` (operation, idempotency or heartbeat records)
// still exist; expiry of old records.
MutationResult purge_records(const std::vector<std::string>& keys, const RegistryState& state,
                             ChangeSet& out);
// Records a custom-health renewal for the other replicas (etcd only).
MutationResult record_heartbeat(const Heartbeat& heartbeat, const RegistryState& state,
                                ChangeSet& out);

// The reply for a reused CreatorRequestId/UpdaterRequestId: the first reply
// again, or DuplicateRequest when the token came with another request. With
// no record yet, guards the token's key so two replicas cannot both take it
// and returns nullopt.
std::optional<MutationResult> replay_idempotent(const IdempotencyKey& key,
                                                const RegistryState& state, ChangeSet& out);

// Wraps one of the functions above with its arguments.
template <class Args>
std::shared_ptr<const Mutation> make_mutation(std::string action, Args args,
                                              MutationResult (*fn)(const Args&,
                                                                   const RegistryState&,
                                                                   ChangeSet&)) {
  return std::make_shared<const Mutation>(Mutation{
      std::move(action), [args = std::move(args), fn](const RegistryState& state, ChangeSet& out) {
        return fn(args, state, out);
      }});
}

// {"OperationId": "..."}.
std::string operation_reply(std::string_view operation_id);

}  // namespace ferry::control
