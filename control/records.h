#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ferry::control {

// The registry's durable records. Every record is immutable once built and
// shared by `std::shared_ptr<const T>`: the read model, the writer's model and
// in-flight replies may all hold the same one.

// Seconds since the Unix epoch (Cloud Map's timestamps, fractions allowed).
using Timestamp = double;

enum class HealthStatus { Healthy, Unhealthy, Unknown };
std::string_view to_string(HealthStatus status);
std::optional<HealthStatus> parse_health_status(std::string_view text);

struct Tag {
  std::string key;
  std::string value;
  friend bool operator==(const Tag&, const Tag&) = default;
};

struct Namespace {
  std::string id;  // ns-xxxxxxxxxxxxxxxx
  std::string arn;
  std::string name;  // also its HttpName
  std::string description;
  std::string creator_request_id;
  Timestamp create_date = 0;
  std::vector<Tag> tags;
};

struct Service {
  std::string id;  // srv-xxxxxxxxxxxxxxxx
  std::string arn;
  std::string name;
  std::string namespace_id;
  std::string description;
  std::string creator_request_id;
  Timestamp create_date = 0;
  bool custom_health = false;            // HealthCheckCustomConfig present
  std::optional<int> failure_threshold;  // deprecated member, echoed back
  std::vector<Tag> tags;
};

using Attributes = std::vector<std::pair<std::string, std::string>>;  // sorted by key

struct Instance {
  std::string service_id;
  std::string id;
  std::string creator_request_id;
  Attributes attributes;
  HealthStatus health = HealthStatus::Unknown;
  Timestamp create_date = 0;
  Timestamp update_date = 0;
  // Serialised once when the record is built, reused by every DiscoverInstances
  // and watch snapshot: the id as a JSON string and the attributes as a JSON
  // object.
  std::string id_json;
  std::string attributes_json;
};

// Builds an Instance with its cached JSON fragments (attributes get sorted).
std::shared_ptr<const Instance> make_instance(Instance instance);

enum class OperationType {
  CreateNamespace,
  DeleteNamespace,
  UpdateNamespace,
  UpdateService,
  RegisterInstance,
  DeregisterInstance,
};
std::string_view to_string(OperationType type);
std::optional<OperationType> parse_operation_type(std::string_view text);

struct Operation {
  std::string id;
  OperationType type = OperationType::CreateNamespace;
  std::string status = "SUCCESS";  // SUBMITTED | PENDING | SUCCESS | FAIL
  std::string error_code;
  std::string error_message;
  Timestamp create_date = 0;
  Timestamp update_date = 0;
  std::string namespace_id;  // targets; empty when not applicable
  std::string service_id;
  std::string instance_id;
};

// What a CreatorRequestId (or UpdaterRequestId) was first used for: the same
// token with the same request gets `reply` again; with another request,
// DuplicateRequest.
struct IdempotencyRecord {
  std::string key;          // "<action>/<token>"
  std::string fingerprint;  // hex SHA-256 of the canonical request
  std::string reply;        // the JSON body first returned
  std::string operation_id;
  Timestamp create_date = 0;
};

// The last custom-health renewal one replica recorded for an instance (etcd
// only: replicas share renewals through it so every replica's TTL agrees).
struct Heartbeat {
  std::string service_id;
  std::string instance_id;
  Timestamp at = 0;
};

// A version marker: its revision is the version of a namespace, or the
// InstancesRevision of a service. Carries no data.
struct Marker {};

enum class RecordKind {
  Namespace,
  Service,
  Instance,
  Operation,
  Idempotency,
  Heartbeat,
  NamespaceVersion,
  ServiceRevision,
};

using RecordValue = std::variant<std::monostate,  // a deletion
                                 std::shared_ptr<const Namespace>, std::shared_ptr<const Service>,
                                 std::shared_ptr<const Instance>, std::shared_ptr<const Operation>,
                                 std::shared_ptr<const IdempotencyRecord>,
                                 std::shared_ptr<const Heartbeat>, Marker>;

// One put or delete of a record. `revision` is the store's revision of the
// change (SQLite: the commit sequence; etcd: the mod revision); stores fill
// it in when the change is committed.
struct RecordChange {
  RecordKind kind = RecordKind::Namespace;
  std::string key;
  RecordValue value;
  std::int64_t revision = 0;

  bool is_delete() const { return std::holds_alternative<std::monostate>(value); }
};

// Keys, shared by both stores (etcd keys are "<prefix><key>"). Ids never hold
// '/', so an instance key splits unambiguously at its second '/'.
std::string namespace_key(std::string_view id);
std::string service_key(std::string_view id);
std::string instance_key(std::string_view service_id, std::string_view instance_id);
std::string operation_key(std::string_view id);
std::string idempotency_key(std::string_view scoped_token);
std::string heartbeat_key(std::string_view service_id, std::string_view instance_id);
std::string namespace_version_key(std::string_view namespace_id);
std::string service_revision_key(std::string_view service_id);

// The kind a key belongs to, from its prefix; nullopt for a foreign key.
std::optional<RecordKind> kind_of_key(std::string_view key);

// Storage encoding (JSON text). encode_record of a deletion or a marker is "".
std::string encode_record(const RecordValue& value);

// Decodes what encode_record wrote. A damaged or foreign body gives nullopt
// with `error` set; callers refuse to serve such a store.
std::optional<RecordValue> decode_record(RecordKind kind, std::string_view key,
                                         std::string_view body, std::string& error);

RecordChange put_namespace(std::shared_ptr<const Namespace> ns);
RecordChange put_service(std::shared_ptr<const Service> service);
RecordChange put_instance(std::shared_ptr<const Instance> instance);
RecordChange put_operation(std::shared_ptr<const Operation> op);
RecordChange put_idempotency(std::shared_ptr<const IdempotencyRecord> record);
RecordChange put_heartbeat(std::shared_ptr<const Heartbeat> heartbeat);
RecordChange touch_namespace(std::string_view namespace_id);
RecordChange touch_service_revision(std::string_view service_id);
RecordChange delete_record(RecordKind kind, std::string key);

}  // namespace ferry::control
