#include "control/mutations.h"

#include <algorithm>

#include <boost/json.hpp>

namespace ferry::control {

std::optional<MutationResult> replay_idempotent(const IdempotencyKey& key,
                                                const RegistryState& state, ChangeSet& out) {
  if (key.scoped_token.empty()) {
    return std::nullopt;
  }
  const auto* entry = state.find_idempotency(key.scoped_token);
  if (entry == nullptr) {
    out.guard_absent(idempotency_key(key.scoped_token));
    return std::nullopt;
  }
  const IdempotencyRecord& record = *entry->value;
  if (record.fingerprint == key.fingerprint) {
    return MutationResult{std::nullopt, record.reply};
  }
  ApiError error =
      api_error("DuplicateRequest", "The request token was already used for a different request.");
  if (!record.operation_id.empty()) {
    error.members.emplace_back("DuplicateOperationId", record.operation_id);
  }
  return MutationResult{std::move(error), {}};
}

namespace {

void remember(const IdempotencyKey& key, const std::string& reply, const std::string& operation_id,
              Timestamp now, ChangeSet& out) {
  if (key.scoped_token.empty()) {
    return;
  }
  out.changes.push_back(put_idempotency(std::make_shared<const IdempotencyRecord>(
      IdempotencyRecord{key.scoped_token, key.fingerprint, reply, operation_id, now})));
}

void add_operation(ChangeSet& out, const std::string& id, OperationType type, Timestamp now,
                   std::string namespace_id, std::string service_id = {},
                   std::string instance_id = {}) {
  out.changes.push_back(
      put_operation(std::make_shared<const Operation>(Operation{id,
                                                                type,
                                                                "SUCCESS",
                                                                {},
                                                                {},
                                                                now,
                                                                now,
                                                                std::move(namespace_id),
                                                                std::move(service_id),
                                                                std::move(instance_id)})));
}

}  // namespace

std::string operation_reply(std::string_view operation_id) {
  return boost::json::serialize(boost::json::object{{"OperationId", operation_id}});
}

MutationResult create_namespace(const CreateNamespaceArgs& args, const RegistryState& state,
                                ChangeSet& out) {
  if (auto replayed = replay_idempotent(args.idempotency, state, out)) {
    return *replayed;
  }
  const Namespace& ns = *args.ns;
  if (const auto* existing = state.find_namespace_by_name(ns.name)) {
    ApiError error =
        api_error("NamespaceAlreadyExists", "A namespace with the name " + ns.name +
                                                " already exists (" + existing->ns.value->id + ")");
    error.members.emplace_back("NamespaceId", existing->ns.value->id);
    error.members.emplace_back("CreatorRequestId", existing->ns.value->creator_request_id);
    return fail(std::move(error));
  }
  if (state.namespaces().size() >= args.max_namespaces) {
    return fail(api_error(
        "ResourceLimitExceeded",
        "The namespace quota of " + std::to_string(args.max_namespaces) + " has been reached"));
  }
  out.guard_absent(namespace_name_index(ns.name));
  out.indexes.push_back({namespace_name_index(ns.name), true});
  out.changes.push_back(put_namespace(args.ns));
  out.changes.push_back(touch_namespace(ns.id));
  add_operation(out, args.operation_id, OperationType::CreateNamespace, ns.create_date, ns.id);
  const std::string reply = operation_reply(args.operation_id);
  remember(args.idempotency, reply, args.operation_id, ns.create_date, out);
  return {std::nullopt, reply};
}

MutationResult update_namespace(const UpdateNamespaceArgs& args, const RegistryState& state,
                                ChangeSet& out) {
  if (auto replayed = replay_idempotent(args.idempotency, state, out)) {
    return *replayed;
  }
  const auto* entry = state.find_namespace(args.id);
  if (entry == nullptr) {
    return fail(namespace_not_found(args.id));
  }
  out.guard_revision(namespace_key(args.id), entry->ns.mod_revision);
  auto updated = std::make_shared<Namespace>(*entry->ns.value);
  updated->description = args.description;
  out.changes.push_back(put_namespace(std::move(updated)));
  out.changes.push_back(touch_namespace(args.id));
  add_operation(out, args.operation_id, OperationType::UpdateNamespace, args.now, args.id);
  const std::string reply = operation_reply(args.operation_id);
  remember(args.idempotency, reply, args.operation_id, args.now, out);
  return {std::nullopt, reply};
}

MutationResult delete_namespace(const DeleteNamespaceArgs& args, const RegistryState& state,
                                ChangeSet& out) {
  const auto* entry = state.find_namespace(args.id);
  if (entry == nullptr) {
    return fail(namespace_not_found(args.id));
  }
  if (!entry->service_ids.empty()) {
    return fail(api_error("ResourceInUse", "The namespace " + args.id + " still has " +
                                               std::to_string(entry->service_ids.size()) +
                                               " service(s)"));
  }
  out.guard_revision(namespace_key(args.id), entry->ns.mod_revision);
  out.guard_range_empty(service_name_index_prefix(args.id));
  out.indexes.push_back({namespace_name_index(entry->ns.value->name), false});
  out.changes.push_back(delete_record(RecordKind::Namespace, namespace_key(args.id)));
  out.changes.push_back(
      delete_record(RecordKind::NamespaceVersion, namespace_version_key(args.id)));
  add_operation(out, args.operation_id, OperationType::DeleteNamespace, args.now, args.id);
  return {std::nullopt, operation_reply(args.operation_id)};
}

MutationResult create_service(const CreateServiceArgs& args, const RegistryState& state,
                              ChangeSet& out) {
  if (auto replayed = replay_idempotent(args.idempotency, state, out)) {
    return *replayed;
  }
  const Service& service = *args.service;
  const auto* ns = state.find_namespace(service.namespace_id);
  if (ns == nullptr) {
    return fail(namespace_not_found(service.namespace_id));
  }
  if (const auto* existing = state.find_service_by_name(service.namespace_id, service.name)) {
    const Service& other = *existing->service.value;
    ApiError error = api_error("ServiceAlreadyExists", "A service with the name " + service.name +
                                                           " already exists in namespace " +
                                                           service.namespace_id);
    error.members.emplace_back("CreatorRequestId", other.creator_request_id);
    error.members.emplace_back("ServiceId", other.id);
    error.members.emplace_back("ServiceArn", other.arn);
    return fail(std::move(error));
  }
  if (ns->service_ids.size() >= args.max_services_per_namespace) {
    return fail(api_error("ResourceLimitExceeded",
                          "The quota of " + std::to_string(args.max_services_per_namespace) +
                              " services per namespace has been reached"));
  }
  out.guard_revision(namespace_key(service.namespace_id), ns->ns.mod_revision);
  out.guard_absent(service_name_index(service.namespace_id, service.name));
  out.indexes.push_back({service_name_index(service.namespace_id, service.name), true});
  out.changes.push_back(put_service(args.service));
  out.changes.push_back(touch_service_revision(service.id));
  out.changes.push_back(touch_namespace(service.namespace_id));
  remember(args.idempotency, args.reply, {}, service.create_date, out);
  return {std::nullopt, args.reply};
}

MutationResult update_service(const UpdateServiceArgs& args, const RegistryState& state,
                              ChangeSet& out) {
  const auto* entry = state.find_service(args.id);
  if (entry == nullptr) {
    return fail(service_not_found(args.id));
  }
  out.guard_revision(service_key(args.id), entry->service.mod_revision);
  auto updated = std::make_shared<Service>(*entry->service.value);
  if (args.description) {
    updated->description = *args.description;
  }
  const std::string namespace_id = updated->namespace_id;
  out.changes.push_back(put_service(std::move(updated)));
  out.changes.push_back(touch_namespace(namespace_id));
  add_operation(out, args.operation_id, OperationType::UpdateService, args.now, namespace_id,
                args.id);
  return {std::nullopt, operation_reply(args.operation_id)};
}

MutationResult delete_service(const DeleteServiceArgs& args, const RegistryState& state,
                              ChangeSet& out) {
  const auto* entry = state.find_service(args.id);
  if (entry == nullptr) {
    return fail(service_not_found(args.id));
  }
  if (!entry->instances.empty()) {
    return fail(api_error("ResourceInUse", "The service " + args.id + " still has " +
                                               std::to_string(entry->instances.size()) +
                                               " registered instance(s)"));
  }
  const Service& service = *entry->service.value;
  out.guard_revision(service_key(args.id), entry->service.mod_revision);
  out.guard_range_empty(instance_prefix(args.id));
  out.indexes.push_back({service_name_index(service.namespace_id, service.name), false});
  out.changes.push_back(delete_record(RecordKind::Service, service_key(args.id)));
  out.changes.push_back(delete_record(RecordKind::ServiceRevision, service_revision_key(args.id)));
  out.changes.push_back(touch_namespace(service.namespace_id));
  return {std::nullopt, "{}"};
}

MutationResult change_tags(const TagArgs& args, const RegistryState& state, ChangeSet& out) {
  const std::vector<Tag>* current = nullptr;
  std::shared_ptr<const Namespace> ns;
  std::shared_ptr<const Service> service;
  if (args.type == ResourceName::Type::Namespace) {
    if (const auto* e = state.find_namespace(args.id)) {
      ns = e->ns.value;
      current = &ns->tags;
      out.guard_revision(namespace_key(args.id), e->ns.mod_revision);
    }
  } else if (const auto* e = state.find_service(args.id)) {
    service = e->service.value;
    current = &service->tags;
    out.guard_revision(service_key(args.id), e->service.mod_revision);
  }
  if (current == nullptr) {
    return fail(api_error(
        "ResourceNotFoundException",
        "The operation can't be completed because the resource " + args.arn + " was not found."));
  }
  std::vector<Tag> tags = *current;
  for (const Tag& tag : args.add) {
    auto it =
        std::find_if(tags.begin(), tags.end(), [&](const Tag& t) { return t.key == tag.key; });
    if (it != tags.end()) {
      it->value = tag.value;
    } else {
      tags.push_back(tag);
    }
  }
  for (const std::string& key : args.remove) {
    std::erase_if(tags, [&](const Tag& t) { return t.key == key; });
  }
  if (tags.size() > args.max_tags) {
    ApiError error = api_error("TooManyTagsException", "A resource may have at most " +
                                                           std::to_string(args.max_tags) + " tags");
    error.members.emplace_back("ResourceName", args.arn);
    return fail(std::move(error));
  }
  if (ns) {
    auto updated = std::make_shared<Namespace>(*ns);
    updated->tags = std::move(tags);
    out.changes.push_back(put_namespace(std::move(updated)));
  } else {
    auto updated = std::make_shared<Service>(*service);
    updated->tags = std::move(tags);
    out.changes.push_back(put_service(std::move(updated)));
  }
  return {std::nullopt, "{}"};
}

MutationResult purge_records(const std::vector<std::string>& keys, const RegistryState& state,
                             ChangeSet& out) {
  for (const std::string& key : keys) {
    const auto kind = kind_of_key(key);
    if (!kind) {
      continue;
    }
    const std::string_view id = std::string_view(key).substr(key.find('/') + 1);
    bool present = false;
    if (*kind == RecordKind::Operation) {
      present = state.find_operation(id) != nullptr;
    } else if (*kind == RecordKind::Idempotency) {
      present = state.find_idempotency(id) != nullptr;
    } else if (*kind == RecordKind::Heartbeat) {
      present = state.heartbeats().count(key) > 0;
    }
    if (present) {
      out.changes.push_back(delete_record(*kind, key));
    }
  }
  return {std::nullopt, "{}"};
}

}  // namespace ferry::control
