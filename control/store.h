#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "control/mutations.h"
#include "control/records.h"

namespace ferry::control {

// Runs a task on the loop thread (the thread that owns the read model, the
// API, the watch hub and the HTTP server). Safe to call from any thread.
using LoopPost = std::function<void(std::function<void()>)>;

// Completion of a submitted mutation; runs on the loop thread after the
// mutation's changes are durable AND applied to the read model (so the
// client that gets the reply can read its own write), or with an error.
using MutationCallback = std::function<void(MutationResult)>;

// Where a store delivers committed changes, in commit order, on the loop
// thread: the read model applies them.
using CommitSink = std::function<void(std::vector<RecordChange>)>;

// How long a commit took and how many requests it acknowledged; on the loop
// thread (the commit metrics are observed there).
using CommitObserver = std::function<void(std::chrono::nanoseconds duration, std::size_t batch)>;

// A durable home for the registry: SQLite in a data dir (one process) or
// etcd (replicas). Both evaluate mutations (mutations.h) and acknowledge a
// write only once it is durable. Every method is called on the loop thread.
class Store {
 public:
  virtual ~Store() = default;

  // The store's identity, stable for its life: a fresh data dir or an empty
  // etcd prefix gets a new one (the watch API's `epoch`).
  virtual const std::string& epoch() const = 0;

  // Evaluates and commits `mutation`; `done` runs once. A store that cannot
  // commit (disk full, etcd down, stopping) answers 503 ServiceUnavailable.
  virtual void submit(std::shared_ptr<const Mutation> mutation, MutationCallback done) = 0;

  // A read barrier: `done(true)` once the read model holds every write that
  // any replica acknowledged before this call; `done(false)` when that
  // cannot be known (etcd unreachable). SQLite answers at once.
  virtual void sync(std::function<void(bool ok)> done) = 0;

  // False while the store cannot serve (etcd unreachable or not yet synced).
  virtual bool ready() const = 0;

  // Stops accepting work and finishes what was accepted; completions still
  // arrive through the loop, so the caller keeps the loop running until
  // `done` runs.
  virtual void stop(std::function<void()> done) = 0;
};

}  // namespace ferry::control
