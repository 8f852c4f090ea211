#include "control/health_ttl.h"

namespace ferry::control {

void HealthTtl::arm(const Key& key, Clock::time_point now) {
  disarm(key);
  const Clock::time_point deadline = now + ttl_;
  deadlines_.emplace(key, deadline);
  by_deadline_.emplace(deadline, key);
}

void HealthTtl::disarm(const Key& key) {
  auto it = deadlines_.find(key);
  if (it == deadlines_.end()) {
    return;
  }
  by_deadline_.erase({it->second, key});
  deadlines_.erase(it);
}

std::vector<HealthTtl::Key> HealthTtl::expire(Clock::time_point now) {
  std::vector<Key> out;
  while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
    Key key = by_deadline_.begin()->second;
    by_deadline_.erase(by_deadline_.begin());
    deadlines_.erase(key);
    out.push_back(std::move(key));
  }
  return out;
}

std::optional<HealthTtl::Clock::time_point> HealthTtl::next_deadline() const {
  if (by_deadline_.empty()) {
    return std::nullopt;
  }
  return by_deadline_.begin()->first;
}

}  // namespace ferry::control
