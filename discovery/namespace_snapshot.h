#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "discovery/service_attributes.h"
#include "filters/host.h"
#include "proxy/core/address.h"
#include "proxy/core/config/proxy_config.h"

namespace boost::json {
class value;
}  // namespace boost::json

namespace ferry::discovery {

// One registered instance, as ferry-control's watch API lists it.
struct InstanceRecord {
  std::string id;
  filters::HealthStatus health = filters::HealthStatus::Unknown;
  AttributeMap attributes;
  // Derived when the snapshot is validated: AWS_INSTANCE_IPV4 (else
  // AWS_INSTANCE_IPV6) with AWS_INSTANCE_PORT; nullopt when the instance
  // lacks an address or a port (it is listed but not routable).
  std::optional<core::SocketAddress> endpoint;
};

struct ServiceRecord {
  std::string name;
  std::string id;
  std::vector<InstanceRecord> instances;  // sorted by id, ids unique
};

// One namespace of the registry at one version: the immutable object the
// watcher hands out (as shared_ptr<const>) and the snapshot store saves.
// Every instance of it passed validation (parse_snapshot).
struct NamespaceSnapshot {
  std::string namespace_name;
  // The store's identity; a new epoch means a new (or wiped) store.
  std::string epoch;
  // Moves on every change in the namespace, health included.
  std::int64_t version = 0;
  std::vector<ServiceRecord> services;  // sorted by name, names and ids unique

  const ServiceRecord* find_service(std::string_view name) const;
  std::size_t instance_count() const;
};

// Bounds on what a snapshot may hold; beyond them it is rejected whole.
// Defaults sit well above Cloud Map's own quotas (1000 instances per
// service, 30 custom attributes per instance).
struct SnapshotLimits {
  std::size_t max_bytes = 32 * core::kMiB;  // of the JSON text
  std::size_t max_services = 10'000;
  std::size_t max_instances = 100'000;  // in the whole namespace
  std::size_t max_attributes = 64;      // per instance, reserved ones included
  std::size_t max_attribute_key = 255;
  std::size_t max_attribute_value = 1024;
};

// The result of parsing: a snapshot, or why there is none.
struct SnapshotParse {
  std::optional<NamespaceSnapshot> snapshot;
  std::string error;  // "services[2].instances[0].attributes.AWS_INSTANCE_PORT: ..."
};

// Parses and validates the watch API's snapshot JSON (DESIGN.md, "Watch
// API"). Every rule must hold or nothing is returned: the shape and types
// of each member; namespace name and epoch non-empty; version >= 0; service
// ids "srv-" + letters/digits, unique, names unique; instance ids Cloud Map's
// pattern ([0-9a-zA-Z_/:.@-], at most 64), unique per service; health one of
// HEALTHY|UNHEALTHY|UNKNOWN; attributes string-valued, keys printable ASCII;
// AWS_INSTANCE_IPV4 / _IPV6 numeric addresses of their family,
// AWS_INSTANCE_PORT 1-65535; the ferry.* attributes well formed
// (service_attributes.h); every count and size within `limits`. Members ferry
// does not know are ignored (a newer ferry-control may add some). When
// `expected_namespace` is not empty, the snapshot must be of that namespace.
SnapshotParse parse_snapshot(std::string_view json, const SnapshotLimits& limits,
                             std::string_view expected_namespace = {});
// The same for a value already parsed (the snapshot file embeds snapshots).
SnapshotParse snapshot_from_json(const boost::json::value& value, const SnapshotLimits& limits,
                                 std::string_view expected_namespace = {});

// The epoch and version a snapshot text claims, read without validating the
// rest: after rejecting a snapshot the watcher still tells the server which
// version it has seen, so the next watch waits for a newer one. nullopt when
// the text is not a JSON object with a string epoch and an integer version.
struct SnapshotMarker {
  std::string epoch;
  std::int64_t version = 0;
  friend bool operator==(const SnapshotMarker&, const SnapshotMarker&) = default;
};
std::optional<SnapshotMarker> peek_marker(std::string_view json, const SnapshotLimits& limits);

// The watch API's JSON shape; parse_snapshot(snapshot_to_json(s)) gives s back.
std::string snapshot_to_json(const NamespaceSnapshot& snapshot);

// "HEALTHY" / "UNHEALTHY" / "UNKNOWN".
std::string_view health_name(filters::HealthStatus health);

}  // namespace ferry::discovery
