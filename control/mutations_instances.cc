// The instance mutations of mutations.h: registration, deregistration,
// custom health and heartbeats.
#include <algorithm>

#include "control/mutations.h"

namespace ferry::control {
namespace {

HealthStatus initial_health(const Service& service, const Attributes& attributes) {
  if (!service.custom_health) {
    return HealthStatus::Unknown;
  }
  for (const auto& [key, value] : attributes) {
    if (key == "AWS_INIT_HEALTH_STATUS" && value == "UNHEALTHY") {
      return HealthStatus::Unhealthy;
    }
  }
  return HealthStatus::Healthy;
}

std::optional<ApiError> check_quota(const RegisterInstanceArgs& args, const RegistryState& state,
                                    const RegistryState::ServiceEntry& service) {
  if (service.instances.size() >= args.limits.max_instances_per_service) {
    return api_error("ResourceLimitExceeded",
                     "The quota of " + std::to_string(args.limits.max_instances_per_service) +
                         " instances per service has been reached");
  }
  const auto* ns = state.find_namespace(service.service.value->namespace_id);
  if (ns != nullptr && ns->instance_count >= args.limits.max_instances_per_namespace) {
    return api_error("ResourceLimitExceeded",
                     "The quota of " + std::to_string(args.limits.max_instances_per_namespace) +
                         " instances per namespace has been reached");
  }
  return std::nullopt;
}

void add_operation(ChangeSet& out, const std::string& id, OperationType type, Timestamp now,
                   const Service& service, const std::string& instance_id) {
  out.changes.push_back(put_operation(std::make_shared<const Operation>(Operation{
      id, type, "SUCCESS", {}, {}, now, now, service.namespace_id, service.id, instance_id})));
}

}  // namespace

MutationResult register_instance(const RegisterInstanceArgs& args, const RegistryState& state,
                                 ChangeSet& out) {
  if (auto replayed = replay_idempotent(args.idempotency, state, out)) {
    return *replayed;
  }
  const auto* service_entry = state.find_service(args.service_id);
  if (service_entry == nullptr) {
    return fail(service_not_found(args.service_id));
  }
  const Service& service = *service_entry->service.value;
  const auto* existing = state.find_instance(args.service_id, args.instance_id);
  if (existing == nullptr) {
    if (auto error = check_quota(args, state, *service_entry)) {
      return fail(std::move(*error));
    }
  }
  out.guard_revision(service_key(args.service_id), service_entry->service.mod_revision);
  const std::string key = instance_key(args.service_id, args.instance_id);
  if (existing == nullptr) {
    out.guard_absent(key);
  } else {
    out.guard_revision(key, existing->mod_revision);
  }
  Instance instance;
  instance.service_id = args.service_id;
  instance.id = args.instance_id;
  instance.creator_request_id = args.creator_request_id;
  instance.attributes = args.attributes;
  // Re-registering keeps the health the instance has; AWS_INIT_HEALTH_STATUS
  // is only the initial one.
  instance.health =
      existing != nullptr ? existing->value->health : initial_health(service, args.attributes);
  if (!service.custom_health) {
    instance.health = HealthStatus::Unknown;
  }
  instance.create_date = existing != nullptr ? existing->value->create_date : args.now;
  instance.update_date = args.now;
  out.changes.push_back(put_instance(make_instance(std::move(instance))));
  out.changes.push_back(touch_service_revision(args.service_id));
  out.changes.push_back(touch_namespace(service.namespace_id));
  add_operation(out, args.operation_id, OperationType::RegisterInstance, args.now, service,
                args.instance_id);
  std::string reply = operation_reply(args.operation_id);
  if (!args.idempotency.scoped_token.empty()) {
    out.changes.push_back(put_idempotency(std::make_shared<const IdempotencyRecord>(
        IdempotencyRecord{args.idempotency.scoped_token, args.idempotency.fingerprint, reply,
                          args.operation_id, args.now})));
  }
  return {std::nullopt, std::move(reply)};
}

MutationResult deregister_instance(const DeregisterInstanceArgs& args, const RegistryState& state,
                                   ChangeSet& out) {
  const auto* service_entry = state.find_service(args.service_id);
  if (service_entry == nullptr) {
    return fail(service_not_found(args.service_id));
  }
  const auto* existing = state.find_instance(args.service_id, args.instance_id);
  if (existing == nullptr) {
    return fail(instance_not_found(args.instance_id));
  }
  const Service& service = *service_entry->service.value;
  const std::string key = instance_key(args.service_id, args.instance_id);
  out.guard_revision(key, existing->mod_revision);
  out.changes.push_back(delete_record(RecordKind::Instance, key));
  if (state.find_heartbeat(args.service_id, args.instance_id) != nullptr) {
    out.changes.push_back(
        delete_record(RecordKind::Heartbeat, heartbeat_key(args.service_id, args.instance_id)));
  }
  out.changes.push_back(touch_service_revision(args.service_id));
  out.changes.push_back(touch_namespace(service.namespace_id));
  add_operation(out, args.operation_id, OperationType::DeregisterInstance, args.now, service,
                args.instance_id);
  return {std::nullopt, operation_reply(args.operation_id)};
}

MutationResult set_instance_health(const SetHealthArgs& args, const RegistryState& state,
                                   ChangeSet& out) {
  const auto* service_entry = state.find_service(args.service_id);
  if (service_entry == nullptr) {
    return fail(service_not_found(args.service_id));
  }
  const auto* existing = state.find_instance(args.service_id, args.instance_id);
  if (existing == nullptr) {
    return fail(instance_not_found(args.instance_id));
  }
  if (!service_entry->service.value->custom_health) {
    return fail(api_error("CustomHealthNotFound",
                          "The service " + args.service_id +
                              " has no HealthCheckCustomConfig; its health cannot be set"));
  }
  if (args.expected_revision && *args.expected_revision != existing->mod_revision) {
    return {std::nullopt, "{}"};  // changed since the TTL fired: nothing to expire
  }
  if (args.expected_heartbeat_revision) {
    const auto* heartbeat = state.find_heartbeat(args.service_id, args.instance_id);
    const std::int64_t revision = heartbeat == nullptr ? 0 : heartbeat->mod_revision;
    if (revision != *args.expected_heartbeat_revision) {
      return {std::nullopt, "{}"};  // renewed through another replica meanwhile
    }
    const std::string hb = heartbeat_key(args.service_id, args.instance_id);
    if (revision == 0) {
      out.guard_absent(hb);
    } else {
      out.guard_revision(hb, revision);
    }
  }
  if (existing->value->health == args.status) {
    return {std::nullopt, "{}"};
  }
  const std::string key = instance_key(args.service_id, args.instance_id);
  out.guard_revision(key, existing->mod_revision);
  auto updated = std::make_shared<Instance>(*existing->value);
  updated->health = args.status;
  out.changes.push_back(put_instance(std::move(updated)));
  out.changes.push_back(touch_namespace(service_entry->service.value->namespace_id));
  return {std::nullopt, "{}"};
}

MutationResult record_heartbeat(const Heartbeat& heartbeat, const RegistryState& state,
                                ChangeSet& out) {
  if (state.find_instance(heartbeat.service_id, heartbeat.instance_id) == nullptr) {
    return {std::nullopt, "{}"};
  }
  out.changes.push_back(put_heartbeat(std::make_shared<const Heartbeat>(heartbeat)));
  return {std::nullopt, "{}"};
}

}  // namespace ferry::control
