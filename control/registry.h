#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "control/registry_state.h"

namespace ferry::control {

// The read model: the registry as the API, the watch hub and the TTL tracker
// see it. Lives on the loop thread; stores feed it committed changes (in
// commit order) through apply(), and every listener then learns what changed.
class Registry {
 public:
  using Listener = std::function<void(const ChangeSummary&)>;

  const RegistryState& state() const { return state_; }

  // The store's epoch (see Store::epoch); set once the store knows it.
  const std::string& epoch() const { return epoch_; }
  void set_epoch(std::string epoch) { epoch_ = std::move(epoch); }

  // Applies committed changes, then calls every listener once with their
  // summary. Loop thread only.
  void apply(const std::vector<RecordChange>& changes);

  // Listeners live as long as the registry; added at start-up.
  void add_listener(Listener listener) { listeners_.push_back(std::move(listener)); }

 private:
  RegistryState state_;
  std::string epoch_;
  std::vector<Listener> listeners_;
};

}  // namespace ferry::control
