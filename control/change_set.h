#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "control/records.h"

namespace ferry::control {

// A precondition a mutation's changes rely on. The SQLite store evaluates
// mutations one at a time against its exact state and ignores guards; the
// etcd store turns them into the compares of the transaction (optimistic
// concurrency between replicas), so a mutation evaluated against a stale
// cache is retried instead of committed.
struct Guard {
  enum class Type {
    Revision,    // `key` exists with mod revision `revision`
    Absent,      // `key` does not exist
    RangeEmpty,  // no key starts with `key`
  };
  Type type = Type::Revision;
  std::string key;
  std::int64_t revision = 0;
};

// A uniqueness reservation only the etcd store writes: names are unique per
// scope ("nsname/<name>", "svcname/<namespace id>/<name>"), which SQLite
// enforces with UNIQUE constraints and etcd only through keys.
struct IndexChange {
  std::string key;
  bool put = true;
};

std::string namespace_name_index(std::string_view name);
std::string service_name_index(std::string_view namespace_id, std::string_view name);
std::string service_name_index_prefix(std::string_view namespace_id);
std::string instance_prefix(std::string_view service_id);

// What one mutation wants written, built by Mutation::evaluate.
struct ChangeSet {
  std::vector<RecordChange> changes;
  std::vector<Guard> guards;
  std::vector<IndexChange> indexes;

  void guard_revision(std::string key, std::int64_t revision) {
    guards.push_back({Guard::Type::Revision, std::move(key), revision});
  }
  void guard_absent(std::string key) { guards.push_back({Guard::Type::Absent, std::move(key), 0}); }
  void guard_range_empty(std::string prefix) {
    guards.push_back({Guard::Type::RangeEmpty, std::move(prefix), 0});
  }
  bool empty() const { return changes.empty(); }
};

}  // namespace ferry::control
