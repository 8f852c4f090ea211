#include "control/registry_state.h"

#include <type_traits>

namespace ferry::control {
namespace {

std::string service_name_key(std::string_view namespace_id, std::string_view name) {
  std::string out(namespace_id);
  out.push_back('\0');
  out.append(name);
  return out;
}

// "inst/<svc>/<inst>" or "hb/<svc>/<inst>" -> (svc, inst).
std::pair<std::string_view, std::string_view> split_pair_key(std::string_view key) {
  const std::size_t first = key.find('/');
  const std::size_t second = key.find('/', first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos) {
    return {};
  }
  return {key.substr(first + 1, second - first - 1), key.substr(second + 1)};
}

std::string_view id_of_key(std::string_view key) {
  const std::size_t slash = key.find('/');
  return slash == std::string_view::npos ? std::string_view() : key.substr(slash + 1);
}

template <class T>
RecordChange inverse_of(RecordKind kind, std::string_view key,
                        const RegistryState::Entry<T>* previous) {
  if (previous == nullptr) {
    return {kind, std::string(key), std::monostate{}, 0};
  }
  return {kind, std::string(key), previous->value, previous->mod_revision};
}

// Replaces or erases `key` in `map`, keeping the create revision of an
// existing entry. Returns the inverse change.
template <class T, class Map>
RecordChange upsert(Map& map, const RecordChange& change) {
  auto it = map.find(change.key);
  RecordChange inverse =
      inverse_of<T>(change.kind, change.key, it == map.end() ? nullptr : &it->second);
  if (change.is_delete()) {
    if (it != map.end()) {
      map.erase(it);
    }
    return inverse;
  }
  const auto& value = std::get<std::shared_ptr<const T>>(change.value);
  if (it == map.end()) {
    map.emplace(change.key, RegistryState::Entry<T>{value, change.revision, change.revision});
  } else {
    it->second.value = value;
    it->second.mod_revision = change.revision;
  }
  return inverse;
}

}  // namespace

void ChangeSummary::merge(const ChangeSummary& other) {
  namespaces.insert(other.namespaces.begin(), other.namespaces.end());
  instances.insert(other.instances.begin(), other.instances.end());
  services_changed = services_changed || other.services_changed;
}

RecordChange RegistryState::apply(const RecordChange& change, ChangeSummary* summary) {
  switch (change.kind) {
    case RecordKind::Namespace:
      return apply_namespace(change, summary);
    case RecordKind::Service:
      return apply_service(change, summary);
    case RecordKind::Instance:
      return apply_instance(change, summary);
    case RecordKind::NamespaceVersion:
    case RecordKind::ServiceRevision:
      return apply_marker(change, summary);
    case RecordKind::Operation:
    case RecordKind::Idempotency:
    case RecordKind::Heartbeat:
      return apply_other(change, summary);
  }
  return change;
}

RecordChange RegistryState::apply_namespace(const RecordChange& change, ChangeSummary* summary) {
  const std::string id(id_of_key(change.key));
  auto it = namespaces_.find(id);
  RecordChange inverse = inverse_of<Namespace>(change.kind, change.key,
                                               it == namespaces_.end() ? nullptr : &it->second.ns);
  if (it != namespaces_.end()) {
    namespace_by_name_.erase(it->second.ns.value->name);
  }
  if (summary != nullptr) {
    summary->namespaces.insert(id);
  }
  if (change.is_delete()) {
    if (it != namespaces_.end()) {
      namespaces_.erase(it);
    }
    return inverse;
  }
  const auto& ns = std::get<std::shared_ptr<const Namespace>>(change.value);
  if (it == namespaces_.end()) {
    it = namespaces_.emplace(id, NamespaceEntry{{ns, change.revision, change.revision}, {}, 0})
             .first;
    // Services loaded before their namespace (key order) join it now.
    for (auto& [service_id, entry] : services_) {
      if (entry.service.value->namespace_id == id) {
        it->second.service_ids.insert(service_id);
        it->second.instance_count += entry.instances.size();
      }
    }
  } else {
    it->second.ns.value = ns;
    it->second.ns.mod_revision = change.revision;
  }
  namespace_by_name_[ns->name] = id;
  return inverse;
}

RegistryState::NamespaceEntry* RegistryState::namespace_of_service(std::string_view service_id) {
  auto it = services_.find(service_id);
  if (it == services_.end()) {
    return nullptr;
  }
  auto ns = namespaces_.find(it->second.service.value->namespace_id);
  return ns == namespaces_.end() ? nullptr : &ns->second;
}

RecordChange RegistryState::apply_service(const RecordChange& change, ChangeSummary* summary) {
  const std::string id(id_of_key(change.key));
  auto it = services_.find(id);
  RecordChange inverse = inverse_of<Service>(change.kind, change.key,
                                             it == services_.end() ? nullptr : &it->second.service);
  if (summary != nullptr) {
    summary->services_changed = true;
  }
  if (it != services_.end()) {
    const Service& old = *it->second.service.value;
    service_by_name_.erase(service_name_key(old.namespace_id, old.name));
    if (NamespaceEntry* ns = namespace_of_service(id)) {
      ns->service_ids.erase(id);
      ns->instance_count -= it->second.instances.size();
    }
  }
  if (change.is_delete()) {
    if (it != services_.end()) {
      if (!it->second.instances.empty()) {
        orphans_[id] = std::move(it->second.instances);
      }
      services_.erase(it);
    }
    return inverse;
  }
  const auto& service = std::get<std::shared_ptr<const Service>>(change.value);
  if (it == services_.end()) {
    it = services_.emplace(id, ServiceEntry{{service, change.revision, change.revision}, {}}).first;
    if (auto orphans = orphans_.find(id); orphans != orphans_.end()) {
      it->second.instances = std::move(orphans->second);
      orphans_.erase(orphans);
    }
  } else {
    it->second.service.value = service;
    it->second.service.mod_revision = change.revision;
  }
  service_by_name_[service_name_key(service->namespace_id, service->name)] = id;
  if (NamespaceEntry* ns = namespace_of_service(id)) {
    ns->service_ids.insert(id);
    ns->instance_count += it->second.instances.size();
  }
  return inverse;
}

RecordChange RegistryState::apply_instance(const RecordChange& change, ChangeSummary* summary) {
  const auto [service_id, instance_id] = split_pair_key(change.key);
  auto service = services_.find(service_id);
  InstanceMap& instances =
      service != services_.end() ? service->second.instances : orphans_[std::string(service_id)];
  const std::size_t before = instances.size();
  auto it = instances.find(instance_id);
  RecordChange inverse =
      inverse_of<Instance>(change.kind, change.key, it == instances.end() ? nullptr : &it->second);
  if (change.is_delete()) {
    if (it != instances.end()) {
      instances.erase(it);
    }
  } else {
    const auto& instance = std::get<std::shared_ptr<const Instance>>(change.value);
    if (it == instances.end()) {
      instances.emplace(std::string(instance_id),
                        Entry<Instance>{instance, change.revision, change.revision});
    } else {
      it->second.value = instance;
      it->second.mod_revision = change.revision;
    }
  }
  const std::size_t after = instances.size();
  instance_count_ = instance_count_ + after - before;
  if (service != services_.end()) {
    if (NamespaceEntry* ns = namespace_of_service(service_id)) {
      ns->instance_count = ns->instance_count + after - before;
    }
  } else if (instances.empty()) {
    orphans_.erase(std::string(service_id));
  }
  if (summary != nullptr) {
    summary->instances.emplace(std::string(service_id), std::string(instance_id));
  }
  return inverse;
}

RecordChange RegistryState::apply_marker(const RecordChange& change, ChangeSummary* summary) {
  auto& map =
      change.kind == RecordKind::NamespaceVersion ? namespace_versions_ : service_revisions_;
  const std::string id(id_of_key(change.key));
  auto it = map.find(id);
  RecordChange inverse{change.kind, change.key, std::monostate{}, 0};
  if (it != map.end()) {
    inverse.value = Marker{};
    inverse.revision = it->second;
  }
  if (change.is_delete()) {
    if (it != map.end()) {
      map.erase(it);
    }
  } else {
    map[id] = change.revision;
  }
  if (summary != nullptr && change.kind == RecordKind::NamespaceVersion) {
    summary->namespaces.insert(id);
  }
  return inverse;
}

RecordChange RegistryState::apply_other(const RecordChange& change, ChangeSummary* summary) {
  switch (change.kind) {
    case RecordKind::Operation: {
      if (auto it = operations_.find(change.key); it != operations_.end()) {
        operations_by_age_.erase({it->second.value->create_date, change.key});
      }
      RecordChange inverse = upsert<Operation>(operations_, change);
      if (!change.is_delete()) {
        const auto& op = std::get<std::shared_ptr<const Operation>>(change.value);
        operations_by_age_.emplace(op->create_date, change.key);
      }
      return inverse;
    }
    case RecordKind::Idempotency: {
      if (auto it = idempotency_.find(change.key); it != idempotency_.end()) {
        idempotency_by_age_.erase({it->second.value->create_date, change.key});
      }
      RecordChange inverse = upsert<IdempotencyRecord>(idempotency_, change);
      if (!change.is_delete()) {
        const auto& r = std::get<std::shared_ptr<const IdempotencyRecord>>(change.value);
        idempotency_by_age_.emplace(r->create_date, change.key);
      }
      return inverse;
    }
    case RecordKind::Heartbeat: {
      if (summary != nullptr) {
        const auto [service_id, instance_id] = split_pair_key(change.key);
        summary->instances.emplace(std::string(service_id), std::string(instance_id));
      }
      return upsert<Heartbeat>(heartbeats_, change);
    }
    default:
      return change;
  }
}

const RegistryState::NamespaceEntry* RegistryState::find_namespace(std::string_view id) const {
  auto it = namespaces_.find(id);
  return it == namespaces_.end() ? nullptr : &it->second;
}

const RegistryState::NamespaceEntry* RegistryState::find_namespace_by_name(
    std::string_view name) const {
  auto it = namespace_by_name_.find(name);
  return it == namespace_by_name_.end() ? nullptr : find_namespace(it->second);
}

const RegistryState::ServiceEntry* RegistryState::find_service(std::string_view id) const {
  auto it = services_.find(id);
  return it == services_.end() ? nullptr : &it->second;
}

const RegistryState::ServiceEntry* RegistryState::find_service_by_name(
    std::string_view namespace_id, std::string_view name) const {
  auto it = service_by_name_.find(service_name_key(namespace_id, name));
  return it == service_by_name_.end() ? nullptr : find_service(it->second);
}

const RegistryState::Entry<Instance>* RegistryState::find_instance(
    std::string_view service_id, std::string_view instance_id) const {
  const ServiceEntry* service = find_service(service_id);
  if (service == nullptr) {
    return nullptr;
  }
  auto it = service->instances.find(instance_id);
  return it == service->instances.end() ? nullptr : &it->second;
}

const RegistryState::Entry<Operation>* RegistryState::find_operation(std::string_view id) const {
  auto it = operations_.find(operation_key(id));
  return it == operations_.end() ? nullptr : &it->second;
}

const RegistryState::Entry<IdempotencyRecord>* RegistryState::find_idempotency(
    std::string_view scoped_token) const {
  auto it = idempotency_.find(idempotency_key(scoped_token));
  return it == idempotency_.end() ? nullptr : &it->second;
}

const RegistryState::Entry<Heartbeat>* RegistryState::find_heartbeat(
    std::string_view service_id, std::string_view instance_id) const {
  auto it = heartbeats_.find(heartbeat_key(service_id, instance_id));
  return it == heartbeats_.end() ? nullptr : &it->second;
}

std::int64_t RegistryState::namespace_version(std::string_view namespace_id) const {
  auto it = namespace_versions_.find(namespace_id);
  return it == namespace_versions_.end() ? 0 : it->second;
}

std::int64_t RegistryState::service_revision(std::string_view service_id) const {
  auto it = service_revisions_.find(service_id);
  return it == service_revisions_.end() ? 0 : it->second;
}

std::vector<RecordChange> RegistryState::dump() const {
  std::vector<RecordChange> out;
  auto put = [&](RecordKind kind, std::string key, RecordValue value, std::int64_t revision) {
    out.push_back({kind, std::move(key), std::move(value), revision});
  };
  for (const auto& [id, e] : namespaces_) {
    put(RecordKind::Namespace, namespace_key(id), e.ns.value, e.ns.mod_revision);
  }
  for (const auto& [id, e] : services_) {
    put(RecordKind::Service, service_key(id), e.service.value, e.service.mod_revision);
    for (const auto& [inst, ie] : e.instances) {
      put(RecordKind::Instance, instance_key(id, inst), ie.value, ie.mod_revision);
    }
  }
  for (const auto& [id, instances] : orphans_) {
    for (const auto& [inst, ie] : instances) {
      put(RecordKind::Instance, instance_key(id, inst), ie.value, ie.mod_revision);
    }
  }
  for (const auto& [key, e] : operations_) {
    put(RecordKind::Operation, key, e.value, e.mod_revision);
  }
  std::map<std::string_view, const Entry<IdempotencyRecord>*> tokens;  // dump in key order
  for (const auto& [key, e] : idempotency_) {
    tokens.emplace(key, &e);
  }
  for (const auto& [key, e] : tokens) {
    put(RecordKind::Idempotency, std::string(key), e->value, e->mod_revision);
  }
  for (const auto& [key, e] : heartbeats_) {
    put(RecordKind::Heartbeat, key, e.value, e.mod_revision);
  }
  for (const auto& [id, rev] : namespace_versions_) {
    put(RecordKind::NamespaceVersion, namespace_version_key(id), Marker{}, rev);
  }
  for (const auto& [id, rev] : service_revisions_) {
    put(RecordKind::ServiceRevision, service_revision_key(id), Marker{}, rev);
  }
  return out;
}

}  // namespace ferry::control
