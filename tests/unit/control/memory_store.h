#pragma once

#include <cstdint>
#include <string>

#include "control/registry.h"
#include "control/store.h"

namespace ferry::control::testing {

// A Store fake that commits at once into the registry it feeds: no disk, no
// thread. For tests (and fuzz harnesses) that exercise the API's decoding,
// validation and mutations without the cost of durability.
class MemoryStore : public Store {
 public:
  explicit MemoryStore(Registry& registry) : registry_(registry) { registry_.set_epoch(epoch_); }
  const std::string& epoch() const override { return epoch_; }
  void submit(std::shared_ptr<const Mutation> mutation, MutationCallback done) override {
    ChangeSet changes;
    MutationResult result = mutation->evaluate(registry_.state(), changes);
    if (!result.error && !changes.empty()) {
      ++sequence_;
      for (RecordChange& c : changes.changes) {
        c.revision = sequence_;
      }
      registry_.apply(changes.changes);
    }
    done(std::move(result));
  }
  void sync(std::function<void(bool)> done) override { done(true); }
  bool ready() const override { return true; }
  void stop(std::function<void()> done) override { done(); }

 private:
  Registry& registry_;
  std::string epoch_ = "memory";
  std::int64_t sequence_ = 0;
};

}  // namespace ferry::control::testing
