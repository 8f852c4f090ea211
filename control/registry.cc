#include "control/registry.h"

namespace ferry::control {

void Registry::apply(const std::vector<RecordChange>& changes) {
  ChangeSummary summary;
  for (const RecordChange& change : changes) {
    state_.apply(change, &summary);
  }
  for (const Listener& listener : listeners_) {
    listener(summary);
  }
}

}  // namespace ferry::control
