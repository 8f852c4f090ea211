#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "control/records.h"

namespace ferry::control {

// What one or more applied changes touched, for the watch hub (namespaces
// whose version moved or that disappeared), the TTL tracker (instances and
// heartbeats put or deleted) and the instance gauge.
struct ChangeSummary {
  std::set<std::string> namespaces;
  std::set<std::pair<std::string, std::string>> instances;  // (service id, instance id)
  bool services_changed = false;
  void merge(const ChangeSummary& other);
};

// The registry as a set of maps with the indexes the API needs. Knows nothing
// about storage or threads: the owner serialises access (the read model lives
// on the loop thread; the SQLite writer keeps its own copy on its thread).
// apply() is deterministic, so two copies fed the same changes stay equal.
class RegistryState {
 public:
  template <class T>
  struct Entry {
    std::shared_ptr<const T> value;
    std::int64_t create_revision = 0;
    std::int64_t mod_revision = 0;
  };
  using InstanceMap = std::map<std::string, Entry<Instance>, std::less<>>;
  struct ServiceEntry {
    Entry<Service> service;
    InstanceMap instances;
  };
  struct NamespaceEntry {
    Entry<Namespace> ns;
    std::set<std::string, std::less<>> service_ids;
    std::size_t instance_count = 0;
  };

  // Applies one put or delete and returns its inverse (the previous value with
  // its previous revision), which undoes it when applied in reverse order.
  // A change whose parent is missing (an instance of an unknown service) is
  // kept all the same: stores replay records in key order.
  RecordChange apply(const RecordChange& change, ChangeSummary* summary = nullptr);

  const NamespaceEntry* find_namespace(std::string_view id) const;
  const NamespaceEntry* find_namespace_by_name(std::string_view name) const;
  const ServiceEntry* find_service(std::string_view id) const;
  const ServiceEntry* find_service_by_name(std::string_view namespace_id,
                                           std::string_view name) const;
  const Entry<Instance>* find_instance(std::string_view service_id,
                                       std::string_view instance_id) const;
  const Entry<Operation>* find_operation(std::string_view id) const;
  const Entry<IdempotencyRecord>* find_idempotency(std::string_view scoped_token) const;
  const Entry<Heartbeat>* find_heartbeat(std::string_view service_id,
                                         std::string_view instance_id) const;

  // The revision of the namespace's version marker (0 if it has none).
  std::int64_t namespace_version(std::string_view namespace_id) const;
  // The revision of the service's InstancesRevision marker (0 if none).
  std::int64_t service_revision(std::string_view service_id) const;

  const std::map<std::string, NamespaceEntry, std::less<>>& namespaces() const {
    return namespaces_;
  }
  const std::map<std::string, ServiceEntry, std::less<>>& services() const { return services_; }
  const std::map<std::string, Entry<Operation>, std::less<>>& operations() const {
    return operations_;
  }
  // Keys of operation and idempotency records, oldest first (for expiry).
  const std::set<std::pair<Timestamp, std::string>>& operations_by_age() const {
    return operations_by_age_;
  }
  const std::set<std::pair<Timestamp, std::string>>& idempotency_by_age() const {
    return idempotency_by_age_;
  }
  const std::map<std::string, Entry<Heartbeat>, std::less<>>& heartbeats() const {
    return heartbeats_;
  }
  std::size_t instance_count() const { return instance_count_; }

  // Every record as a put, in key order (the SQLite writer seeds its own copy
  // from the read model's load with this; tests compare states with it).
  std::vector<RecordChange> dump() const;

 private:
  RecordChange apply_namespace(const RecordChange& change, ChangeSummary* summary);
  RecordChange apply_service(const RecordChange& change, ChangeSummary* summary);
  RecordChange apply_instance(const RecordChange& change, ChangeSummary* summary);
  RecordChange apply_marker(const RecordChange& change, ChangeSummary* summary);
  RecordChange apply_other(const RecordChange& change, ChangeSummary* summary);
  NamespaceEntry* namespace_of_service(std::string_view service_id);

  std::map<std::string, NamespaceEntry, std::less<>> namespaces_;
  std::map<std::string, std::string, std::less<>> namespace_by_name_;
  std::map<std::string, ServiceEntry, std::less<>> services_;
  std::map<std::string, std::string, std::less<>> service_by_name_;  // "ns\0name" -> id
  // Instances of services not (yet) loaded, keyed by service id.
  std::map<std::string, InstanceMap, std::less<>> orphans_;
  std::map<std::string, Entry<Operation>, std::less<>> operations_;
  std::set<std::pair<Timestamp, std::string>> operations_by_age_;
  // Looked up on every tokened write; never iterated in order.
  std::unordered_map<std::string, Entry<IdempotencyRecord>> idempotency_;
  std::set<std::pair<Timestamp, std::string>> idempotency_by_age_;
  std::map<std::string, Entry<Heartbeat>, std::less<>> heartbeats_;
  std::map<std::string, std::int64_t, std::less<>> namespace_versions_;
  std::map<std::string, std::int64_t, std::less<>> service_revisions_;
  std::size_t instance_count_ = 0;
};

}  // namespace ferry::control
